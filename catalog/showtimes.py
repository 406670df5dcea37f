"""Showtimes: a film at a cinema at a time, with seats and a ticket price (SPEC §5). They
are created by catalog.scheduling (on a screen, without overlaps); this module reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.codes import CatalogError
from catalog.models import Cinema, Showtime
from kernel.errors import DomainError


async def get_showtime(session: AsyncSession, showtime_id: int) -> Showtime:
    """The showtime with `showtime_id`, its film and cinema loaded, or NOT_FOUND."""
    showtime = await session.scalar(
        select(Showtime)
        .where(Showtime.id == showtime_id)
        .options(selectinload(Showtime.cinema), selectinload(Showtime.film))
    )
    if showtime is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No showtime {showtime_id}.", "showtime_id")
    return showtime


def check_on_sale(showtime: Showtime, *, now: datetime) -> None:
    """No ticket is sold for a showtime that has started."""
    if showtime.starts_at <= now:
        raise DomainError(
            CatalogError.SHOWTIME_IN_PAST,
            "This showtime has already started; tickets are no longer sold.",
            "showtime_id",
        )


async def showtimes_for_film(
    session: AsyncSession, film_id: int, *, now: datetime, days: int = 14
) -> list[Showtime]:
    """The film's showtimes that start after `now` and within `days` days, in start order,
    each with its cinema loaded. Past showtimes are never listed (not for sale)."""
    rows = await session.scalars(
        select(Showtime)
        .where(
            Showtime.film_id == film_id,
            Showtime.starts_at > now,
            Showtime.starts_at < now + timedelta(days=days),
        )
        .options(selectinload(Showtime.cinema))
        .order_by(Showtime.starts_at, Showtime.cinema_id, Showtime.id)
    )
    return list(rows)


@dataclass(frozen=True)
class ShowtimeGroup:
    """The showtimes of one day at one cinema, for a film page."""

    day: date
    cinema: Cinema
    showtimes: list[Showtime]


def local_start(showtime: Showtime) -> datetime:
    """When the showtime starts in its cinema's time zone (cinema loaded)."""
    return showtime.starts_at.astimezone(ZoneInfo(showtime.cinema.timezone))


def group_by_day_and_cinema(showtimes: Sequence[Showtime]) -> list[ShowtimeGroup]:
    """Group showtimes (cinema loaded) by the cinema's local day, then cinema name; start
    order inside."""
    groups: dict[tuple[date, int], list[Showtime]] = {}
    cinemas: dict[int, Cinema] = {}
    for showtime in sorted(showtimes, key=lambda s: (s.starts_at, s.id)):
        day = local_start(showtime).date()
        groups.setdefault((day, showtime.cinema_id), []).append(showtime)
        cinemas[showtime.cinema_id] = showtime.cinema
    keys = sorted(groups, key=lambda k: (k[0], cinemas[k[1]].name, k[1]))
    return [ShowtimeGroup(day, cinemas[cid], groups[(day, cid)]) for day, cid in keys]
