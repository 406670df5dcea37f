"""Staff's film services: create, update, archive and unarchive a film (SPEC §3, §7).

Every input is checked before anything is written, and every bad field is named at once
(`kernel.errors.Checks`): a refused film stores nothing, not even a new franchise. Titles and
synopses are kept per language (catalog.film_titles); `Film.title` and `Film.synopsis` follow
the `en` row, or the original title when there is none. A film's status stays computed from
its dates (catalog.film_status); archiving is the one status staff set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.film_status import FilmStatus, film_status_column
from catalog.film_titles import DEFAULT_LANGUAGE, LANGUAGES, check_language
from catalog.films import check_slug, get_film
from catalog.models import Film, FilmTitle, Franchise
from catalog.product_images import studio_image
from kernel.errors import Checks, DomainError
from kernel.parsing import clean_text, parse_int

MAX_TITLE = 200
MAX_SYNOPSIS = 5000
MAX_RATING = 16
MAX_TITLES = 10  # more than the languages, so that a language given twice is named as such
MAX_RUNTIME = 600  # minutes: the longest cut tiein takes
FIRST_RELEASE_YEAR = 1888  # the first film
YEARS_AHEAD = 10  # a release date at most this many years from now


@dataclass(frozen=True)
class TitleInput:
    """A film's title and synopsis in one language."""

    language: str
    title: str
    synopsis: str = ""


@dataclass(frozen=True)
class FilmInput:
    """What staff give for a film. On update, None leaves a field as it is; `titles` is then
    the whole set (a language left out loses its title) and `franchise_slug=""` takes the
    film out of its franchise."""

    slug: str | None = None
    original_title: str | None = None
    titles: Sequence[TitleInput] | None = None
    release_date: date | str | None = None  # a date, or its ISO text from a form
    runtime_minutes: int | str | None = None
    rating: str | None = None
    franchise_slug: str | None = None
    franchise_name: str | None = None
    # An image uploaded by staff (POST /uploads or the console) to make the film's poster;
    # None leaves the poster as it is (catalog.product_images.set_film_poster clears it).
    poster_image_id: int | None = None


@dataclass(frozen=True)
class _Checked:
    slug: str | None
    original_title: str | None
    titles: list[TitleInput] | None
    release_date: date | None
    runtime_minutes: int | None
    rating: str | None
    franchise_slug: str | None
    franchise_name: str | None
    poster_image_id: int | None


def check_release_date(value: object, now: datetime, *, field: str = "release_date") -> date:
    """A date (or its ISO text, 2026-07-01) from 1888 (the first film) to ten years from
    now."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError(
            CatalogError.INVALID, "Give the release date as a date, e.g. 2026-07-01.", field
        )
    latest = now.date().replace(year=now.year + YEARS_AHEAD, day=min(now.day, 28))
    if not date(FIRST_RELEASE_YEAR, 1, 1) <= value <= latest:
        raise DomainError(
            CatalogError.INVALID,
            f"The release date must be between {FIRST_RELEASE_YEAR} and {latest.isoformat()}.",
            field,
        )
    return value


def check_runtime(value: object, *, field: str = "runtime_minutes") -> int:
    """A whole number of minutes from 1 to 600."""
    try:
        return parse_int(value, field=field, min=1, max=MAX_RUNTIME)
    except DomainError:
        raise DomainError(
            CatalogError.INVALID,
            f"The runtime must be a whole number of minutes from 1 to {MAX_RUNTIME}.",
            field,
        ) from None


def _check_titles(checks: Checks, titles: Sequence[TitleInput]) -> list[TitleInput]:
    """Each title in a known language, once, not empty; positions count from 1."""
    if len(titles) > MAX_TITLES:  # bounded, so that a refusal names a few fields, not thousands
        checks.add(
            DomainError(
                CatalogError.INVALID,
                f"Give one title per language ({', '.join(LANGUAGES)}), not {len(titles)}.",
                "titles",
            )
        )
        return []
    kept: list[TitleInput] = []
    seen: set[str] = set()
    for n, given in enumerate(titles, start=1):
        where = f"titles.{n}"
        language = title = synopsis = None
        with checks:
            language = check_language(given.language, field=f"{where}.language")
            if language in seen:
                raise DomainError(
                    CatalogError.DUPLICATE,
                    f"The {language} title is given twice.",
                    f"{where}.language",
                )
            seen.add(language)
        with checks:
            title = clean_text(given.title, field=f"{where}.title", max_len=MAX_TITLE)
            if not title:
                raise DomainError(
                    CatalogError.INVALID, "A title must not be empty.", f"{where}.title"
                )
        with checks:
            synopsis = clean_text(given.synopsis, field=f"{where}.synopsis", max_len=MAX_SYNOPSIS)
        if language and title is not None and synopsis is not None:
            kept.append(TitleInput(language, title, synopsis))
    return kept


async def _check(
    session: AsyncSession, data: FilmInput, *, now: datetime, film: Film | None
) -> _Checked:
    """Every field of `data` checked; all refusals raised together."""
    checks = Checks()
    slug = original = titles = release = runtime = rating = franchise = franchise_name = None
    if data.slug is not None:
        with checks:
            slug = check_slug(clean_text(data.slug, field="slug", max_len=80))
            taken = await session.scalar(select(Film.id).where(Film.slug == slug))
            if taken is not None and (film is None or taken != film.id):
                raise DomainError(
                    CatalogError.DUPLICATE, f"A film with the slug {slug!r} exists already.", "slug"
                )
    if data.original_title is not None:
        with checks:
            original = clean_text(data.original_title, field="original_title", max_len=MAX_TITLE)
    if data.titles is not None:
        titles = _check_titles(checks, data.titles)
    if data.release_date is not None or film is None:  # a film must have one
        with checks:
            release = check_release_date(data.release_date, now)
    if data.runtime_minutes is not None or film is None:
        with checks:
            runtime = check_runtime(data.runtime_minutes)
    if data.rating is not None:
        with checks:
            rating = clean_text(data.rating, field="rating", max_len=MAX_RATING)
    if data.franchise_slug is not None:
        with checks:
            franchise = clean_text(data.franchise_slug, field="franchise_slug", max_len=80)
            franchise = check_slug(franchise, field="franchise_slug") if franchise else ""
    if data.franchise_name is not None:
        with checks:
            franchise_name = clean_text(data.franchise_name, field="franchise_name", max_len=200)
    poster = None
    if data.poster_image_id is not None:
        with checks:
            poster = (
                await studio_image(session, data.poster_image_id, field="poster_upload_id")
            ).id
    # A film needs a title to show: its `en` title or its original title.
    if titles is not None:
        has_en = any(t.language == DEFAULT_LANGUAGE for t in titles)
    else:
        has_en = film is not None and await _has_en_title(session, film.id)
    final_original = original if original is not None else (film.original_title if film else "")
    refused = {(e.field or "").split(".")[0] for e in checks.errors}
    if not has_en and not final_original and not refused & {"titles", "original_title"}:
        checks.add(
            DomainError(
                CatalogError.INVALID,
                "Give the film an English title or its original title.",
                "original_title",
            )
        )
    checks.done()
    return _Checked(
        slug, original, titles, release, runtime, rating, franchise, franchise_name, poster
    )


async def _has_en_title(session: AsyncSession, film_id: int) -> bool:
    found = await session.scalar(
        select(FilmTitle.id).where(
            FilmTitle.film_id == film_id, FilmTitle.language == DEFAULT_LANGUAGE
        )
    )
    return found is not None


async def _franchise_id(session: AsyncSession, slug: str, name: str | None) -> int | None:
    if not slug:
        return None
    franchise = await session.scalar(select(Franchise).where(Franchise.slug == slug))
    if franchise is None:
        franchise = Franchise(slug=slug, name=name or slug.replace("-", " ").title())
        session.add(franchise)
        await session.flush()
    return franchise.id


def _apply_titles(film: Film, titles: list[TitleInput]) -> list[FilmTitle]:
    en = next((t for t in titles if t.language == DEFAULT_LANGUAGE), None)
    film.title = en.title if en else film.original_title
    film.synopsis = en.synopsis if en else ""
    return [
        FilmTitle(film_id=film.id, language=t.language, title=t.title, synopsis=t.synopsis)
        for t in titles
    ]


async def create_film(session: AsyncSession, data: FilmInput, *, now: datetime) -> Film:
    """Create a film (staff). Its slug is lower-case letters, digits and dashes, and unique;
    its titles are in known languages (`en`, `zh-Hans`, `ja`), at most one each; it has an
    `en` title or an original title; its runtime is 1 to 600 minutes; its release date is
    from 1888 to ten years ahead; a franchise slug joins it to that franchise (made when
    new); a poster is an image uploaded by staff (another's upload is not found). Every
    refused field is named; nothing is stored on a refusal."""
    if data.slug is None:
        raise DomainError(CatalogError.INVALID_SLUG, "Give the film a slug.", "slug")
    checked = await _check(session, data, now=now, film=None)
    assert checked.slug is not None and checked.release_date and checked.runtime_minutes
    film = Film(
        slug=checked.slug,
        title="",
        original_title=checked.original_title or "",
        synopsis="",
        release_date=checked.release_date,
        runtime_minutes=checked.runtime_minutes,
        rating=checked.rating or "",
        franchise_id=await _franchise_id(
            session, checked.franchise_slug or "", checked.franchise_name
        ),
        poster_image_id=checked.poster_image_id,
    )
    film.title = film.original_title
    session.add(film)
    await session.flush()
    session.add_all(_apply_titles(film, checked.titles or []))
    await session.flush()
    return film


async def update_film(
    session: AsyncSession, film_id: int, data: FilmInput, *, now: datetime
) -> Film:
    """Change a film (staff): the fields given, with the rules of `create_film`. Given
    titles replace the film's titles (a language left out loses its title)."""
    film = await get_film(session, film_id)
    checked = await _check(session, data, now=now, film=film)
    if checked.slug is not None:
        film.slug = checked.slug
    if checked.original_title is not None:
        film.original_title = checked.original_title
    if checked.release_date is not None:
        film.release_date = checked.release_date
    if checked.runtime_minutes is not None:
        film.runtime_minutes = checked.runtime_minutes
    if checked.rating is not None:
        film.rating = checked.rating
    if checked.poster_image_id is not None:
        film.poster_image_id = checked.poster_image_id
    if checked.franchise_slug is not None:
        film.franchise_id = await _franchise_id(
            session, checked.franchise_slug, checked.franchise_name
        )
    if checked.titles is not None:
        await session.execute(delete(FilmTitle).where(FilmTitle.film_id == film.id))
        session.add_all(_apply_titles(film, checked.titles))
    elif checked.original_title is not None and not await _has_en_title(session, film.id):
        film.title = film.original_title  # the title shown is the original title
    await session.flush()
    return film


async def archive_film(session: AsyncSession, film_id: int, *, now: datetime) -> Film:
    """Archive a film (staff): it is hidden from the public everywhere and its merch and
    bundles are no longer sold (the sellable rule's FILM_ARCHIVED); staff still see it.
    Archiving an archived film changes nothing."""
    film = await get_film(session, film_id)
    if film.archived_at is None:
        film.archived_at = now
        await session.flush()
    return film


async def unarchive_film(session: AsyncSession, film_id: int) -> Film:
    """Bring an archived film back: public again, its merch sellable by the usual rule."""
    film = await get_film(session, film_id)
    film.archived_at = None
    await session.flush()
    return film


@dataclass(frozen=True)
class FilmRow:
    """A film as staff list it: with its status (ARCHIVED included) and franchise name."""

    film: Film
    status: FilmStatus
    franchise: str


async def list_films(session: AsyncSession, *, now: datetime) -> list[FilmRow]:
    """Every film, archived ones included, newest release first, with its status as of
    `now` (catalog.film_status) and its franchise's name: one statement for any number."""
    rows = await session.execute(
        select(Film, film_status_column(now), Franchise.name)
        .outerjoin(Franchise, Franchise.id == Film.franchise_id)
        .order_by(Film.release_date.desc(), Film.id.desc())
    )
    return [FilmRow(film, FilmStatus(status), name or "") for film, status, name in rows]
