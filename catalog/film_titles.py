"""A film's title and synopsis per language, and the one fallback rule.

Titles are kept for the languages of LANGUAGES (`FilmTitle` rows, one per language). A
language without a row, or one tiein does not keep, shows the film's original title (its
`title` when it has no original title; English shows `title`, its en title) and its default
synopsis: `film_title` and
`film_synopsis` are the only places that say so, for GraphQL and the storefront alike.
`Film.title` and `Film.synopsis` stay the default text (the `en` title, or the original
title): catalog.film_admin keeps them in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import Film, FilmTitle
from kernel.errors import DomainError

DEFAULT_LANGUAGE = "en"
# The languages whose titles tiein keeps, with their names for forms (BCP 47 tags).
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "Chinese (simplified)", "ja": "Japanese"}


def check_language(code: str, *, field: str = "language") -> str:
    """A language tiein keeps titles for (`en`, `zh-Hans`, `ja`), as spelled there; the
    case of the letters does not matter (`zh-hans` is `zh-Hans`)."""
    wanted = (code or "").strip().lower()
    for known in LANGUAGES:
        if known.lower() == wanted:
            return known
    raise DomainError(
        CatalogError.INVALID_LANGUAGE,
        f"{code[:40]!r} is not a language tiein keeps titles for; use one of "
        f"{', '.join(LANGUAGES)}.",
        field,
    )


def _row(film: Film, language: str, titles: Iterable[FilmTitle] | None) -> FilmTitle | None:
    rows = film.titles if titles is None else titles
    return next((t for t in rows if t.language == language and t.film_id == film.id), None)


def film_title(film: Film, language: str, titles: Iterable[FilmTitle] | None = None) -> str:
    """The film's title in `language`, or else its original title (its title when it has
    none). `titles` are its FilmTitle rows; by default `film.titles`, which must be loaded."""
    row = _row(film, language, titles)
    if row is not None and row.title:
        return row.title
    if language == DEFAULT_LANGUAGE:  # `Film.title` is the en title (film_admin keeps it so)
        return film.title
    return film.original_title or film.title


def film_synopsis(film: Film, language: str, titles: Iterable[FilmTitle] | None = None) -> str:
    """The film's synopsis in `language`, or else its default synopsis."""
    row = _row(film, language, titles)
    if row is not None and row.synopsis:
        return row.synopsis
    return film.synopsis


async def titles_of(session: AsyncSession, film_ids: Sequence[int]) -> dict[int, list[FilmTitle]]:
    """The FilmTitle rows of the given films, by film, in one statement."""
    found: dict[int, list[FilmTitle]] = {film_id: [] for film_id in film_ids}
    if not film_ids:
        return found
    rows = await session.scalars(
        select(FilmTitle)
        .where(FilmTitle.film_id.in_(list(film_ids)))
        .order_by(FilmTitle.film_id, FilmTitle.language)
    )
    for row in rows:
        found[row.film_id].append(row)
    return found
