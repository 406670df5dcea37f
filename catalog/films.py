"""Films, franchises and cinemas: what the studio shows and where (SPEC §3, §5)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.codes import CatalogError
from catalog.models import Cinema, Film
from kernel import countries
from kernel.errors import DomainError
from kernel.timezones import timezone_name

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


def check_slug(slug: str, *, field: str = "slug") -> str:
    """A lower-case, dash-separated slug of at most 80 characters."""
    value = (slug or "").strip()
    if not _SLUG.match(value):
        raise DomainError(
            CatalogError.INVALID_SLUG,
            f"{slug!r} is not a slug (lower-case letters, digits and dashes).",
            field,
        )
    return value


def check_country(country: str, *, field: str = "country") -> str:
    """An assigned ISO 3166-1 alpha-2 code, upper-cased; INVALID_COUNTRY naming `field`
    otherwise (a code of the right shape that names no country, like "ZZ", is refused)."""
    return countries.check_country(country, code=CatalogError.INVALID_COUNTRY, field=field)


def _required(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(CatalogError.INVALID, f"{field} must not be empty.", field)
    return text


async def get_film(session: AsyncSession, film_id: int) -> Film:
    """The film with `film_id` (its franchise loaded), or NOT_FOUND."""
    film = await session.scalar(
        select(Film).where(Film.id == film_id).options(selectinload(Film.franchise))
    )
    if film is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No film {film_id}.", "film_id")
    return film


async def film_by_slug(session: AsyncSession, slug: str) -> Film | None:
    """The film with `slug` (its franchise loaded), or None."""
    return await session.scalar(
        select(Film).where(Film.slug == slug).options(selectinload(Film.franchise))
    )


def check_timezone(name: str, *, field: str = "timezone") -> str:
    """An IANA time zone name such as "America/New_York" (kernel.timezones: not
    "localtime" nor another name that is not a place)."""
    zone = timezone_name(name)
    if zone is None:
        raise DomainError(
            CatalogError.INVALID_TIMEZONE,
            f"{name!r} is not an IANA time zone like Europe/Paris.",
            field,
        )
    return zone


async def create_cinema(
    session: AsyncSession, *, name: str, city: str, country: str, timezone: str = "UTC"
) -> Cinema:
    """Create a cinema (staff). The country is an ISO 3166-1 alpha-2 code: it is the
    territory in which bundle merch sold for its showtimes must be licensed. Showtimes are
    shown in the cinema's time zone (IANA name)."""
    cinema = Cinema(
        name=_required(name, "name"),
        city=_required(city, "city"),
        country=check_country(country),
        timezone=check_timezone(timezone),
    )
    session.add(cinema)
    await session.flush()
    return cinema


async def get_cinema(session: AsyncSession, cinema_id: int) -> Cinema:
    """The cinema with `cinema_id`, or NOT_FOUND."""
    cinema = await session.get(Cinema, cinema_id)
    if cinema is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No cinema {cinema_id}.", "cinema_id")
    return cinema
