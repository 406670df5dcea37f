"""What the pages need to name cart and order lines from their structured fields (the
template macros in `_macros/lines.html`): film titles in the shopper's language and the
bundle offers named by order lines. One statement each, whatever the number of lines."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.film_titles import DEFAULT_LANGUAGE, film_title
from catalog.models import BundleOffer, Film, FilmTitle


async def film_titles(
    session: AsyncSession, films: Iterable[Film], language: str
) -> dict[int, str]:
    """Each film's title in `language` by film id (catalog.film_titles' fallback rule)."""
    by_id = {film.id: film for film in films}
    if language == DEFAULT_LANGUAGE:  # `Film.title` is the default language's title
        return {film_id: film.title for film_id, film in by_id.items()}
    if not by_id:
        return {}
    rows = list(
        await session.scalars(
            select(FilmTitle).where(FilmTitle.film_id.in_(by_id), FilmTitle.language == language)
        )
    )
    return {film_id: film_title(film, language, rows) for film_id, film in by_id.items()}


async def bundle_offers(session: AsyncSession, lines: Iterable[object]) -> dict[int, BundleOffer]:
    """The bundle offers that order lines (`bundle_offer_id`) name, by id."""
    ids = {i for line in lines if (i := getattr(line, "bundle_offer_id", None))}
    if not ids:
        return {}
    rows = await session.scalars(select(BundleOffer).where(BundleOffer.id.in_(ids)))
    return {offer.id: offer for offer in rows}
