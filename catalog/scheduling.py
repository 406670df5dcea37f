"""Scheduling showtimes on screens: one showtime, or a schedule of many in one transaction.

**The overlap rule** (the one place it lives): on one screen, a showtime holds the screen
over [starts_at, starts_at + the film's runtime + the cleaning gap). A new showtime whose span
meets the span of one already on the screen, or of another of the same batch, is refused
(SHOWTIME_OVERLAP). The gap is `Settings.cleaning_gap_minutes` (TIEIN_CLEANING_GAP_MINUTES,
default 20); callers pass it.

**Race safety**: both services lock the screen first (catalog.screens.lock_screen), then read
the showtimes already on it, so two transactions scheduling on one screen never both pass the
check: the second waits for the first and then sees its showtimes.

**Schedules** turn local wall-clock times ("14:30") on every day from D1 to D2 inclusive into
instants in the cinema's time zone, DST included: 19:30 in Paris is 17:30 UTC in summer and
18:30 UTC in winter. A local time that does not exist on a day (clocks jump from 02:00 to
03:00) is refused with NONEXISTENT_LOCAL_TIME naming the day — nothing is guessed; a time that
happens twice (clocks go back) is its first occurrence, the one before the change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import Cinema, Film, Screen, Showtime
from catalog.screens import check_capacity, lock_screen
from kernel.config import DEFAULT_CLEANING_GAP_MINUTES
from kernel.errors import Checks, DomainError
from kernel.money import check_currency

MAX_BATCH = 500  # showtimes one schedule may create
MAX_TIMES_PER_DAY = 24
_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Slot:
    """A span a showtime holds its screen: [start, end)."""

    start: datetime
    end: datetime
    label: str  # how a refusal names it

    def meets(self, other: Slot) -> bool:
        return self.start < other.end and other.start < self.end


def span(starts_at: datetime, runtime_minutes: int, gap_minutes: int) -> timedelta:
    """How long a showtime holds its screen."""
    return timedelta(minutes=runtime_minutes + gap_minutes)


async def check_no_overlap(
    session: AsyncSession,
    screen: Screen,
    new: Sequence[Slot],
    *,
    gap_minutes: int,
    field: str,
) -> None:
    """Refuse (SHOWTIME_OVERLAP, `field`) when one of `new` meets another of `new` or a
    showtime already on `screen` (whose row the caller holds locked). Two statements."""
    if not new:
        return
    ordered = sorted(new, key=lambda s: s.start)
    for before, after in pairwise(ordered):
        if before.meets(after):
            raise DomainError(
                CatalogError.SHOWTIME_OVERLAP,
                f"{after.label} starts before {before.label} and its cleaning gap are over "
                "(both on this screen).",
                field,
            )
    longest = await session.scalar(select(func.max(Film.runtime_minutes))) or 0
    reach = timedelta(minutes=longest + gap_minutes)
    rows = await session.execute(
        select(Showtime.starts_at, Film.runtime_minutes, Film.title)
        .join(Film, Film.id == Showtime.film_id)
        .where(
            Showtime.screen_id == screen.id,
            Showtime.starts_at > ordered[0].start - reach,
            Showtime.starts_at < max(s.end for s in ordered),
        )
        .order_by(Showtime.starts_at)
    )
    zone = ZoneInfo(await _zone_of(session, screen))
    for starts_at, runtime, title in rows:
        there = Slot(starts_at, starts_at + span(starts_at, runtime, gap_minutes), "")
        for slot in ordered:
            if slot.meets(there):
                local = starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                raise DomainError(
                    CatalogError.SHOWTIME_OVERLAP,
                    f"{slot.label} overlaps {title} at {local} on {screen.name} (its runtime "
                    f"plus the {gap_minutes}-minute cleaning gap).",
                    field,
                )


async def _zone_of(session: AsyncSession, screen: Screen) -> str:
    return await session.scalar(select(Cinema.timezone).where(Cinema.id == screen.cinema_id))


def _film_runtime_checked(film: Film | None, film_id: int) -> Film:
    """The film to schedule: it exists and staff have not archived it (an archived film is
    hidden from the public, so a showtime of it could never be sold)."""
    if film is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No film {film_id}.", "film_id")
    if film.archived_at is not None:
        raise DomainError(
            CatalogError.FILM_ARCHIVED,
            f"{film.title} is archived: bring it back before scheduling showtimes of it.",
            "film_id",
        )
    return film


def _price(price_minor: object) -> int:
    if not isinstance(price_minor, int) or isinstance(price_minor, bool) or price_minor < 0:
        raise DomainError(
            CatalogError.INVALID_PRICE, "The ticket price must not be negative.", "price_minor"
        )
    return price_minor


async def create_showtime(
    session: AsyncSession,
    *,
    film_id: int,
    screen_id: int,
    starts_at: datetime,
    price_minor: int,
    currency: str,
    now: datetime,
    capacity: int | None = None,
    gap_minutes: int = DEFAULT_CLEANING_GAP_MINUTES,
) -> Showtime:
    """Schedule one showtime (staff) on a screen: it starts in the future, its seats are the
    screen's (or fewer, when `capacity` says so), its ticket price is zero or more minor units
    of a known currency, and it overlaps nothing on the screen."""
    checks = Checks()
    with checks:
        if starts_at.tzinfo is None:
            raise DomainError(CatalogError.INVALID, "starts_at needs a time zone.", "starts_at")
        if starts_at <= now:
            raise DomainError(
                CatalogError.SHOWTIME_IN_PAST, "A showtime must start in the future.", "starts_at"
            )
    with checks:
        _price(price_minor)
    with checks:
        currency = check_currency(currency)
    with checks:
        if capacity is not None:
            check_capacity(capacity)
    checks.done()
    screen = await lock_screen(session, screen_id)
    film = _film_runtime_checked(await session.get(Film, film_id), film_id)
    if capacity is not None and capacity > screen.capacity:
        raise DomainError(
            CatalogError.INVALID_CAPACITY,
            f"{screen.name} has {screen.capacity} seats; a showtime on it cannot have more.",
            "capacity",
        )
    start = starts_at.astimezone(UTC)
    slot = Slot(start, start + span(start, film.runtime_minutes, gap_minutes), film.title)
    await check_no_overlap(session, screen, [slot], gap_minutes=gap_minutes, field="starts_at")
    showtime = Showtime(
        film_id=film.id,
        cinema_id=screen.cinema_id,
        screen_id=screen.id,
        starts_at=start,
        capacity=capacity or screen.capacity,
        seats_taken=0,
        price_minor=price_minor,
        currency=currency,
    )
    session.add(showtime)
    await session.flush()
    return showtime


def parse_local_times(values: Sequence[object], *, field: str = "times") -> list[time]:
    """Wall-clock times "HH:MM" (24-hour), at least one, no repeats, sorted."""
    if not values:
        raise DomainError(CatalogError.INVALID, "Give at least one time, like 14:30.", field)
    if len(values) > MAX_TIMES_PER_DAY:
        raise DomainError(CatalogError.INVALID, f"At most {MAX_TIMES_PER_DAY} times a day.", field)
    found: set[time] = set()
    for value in values:
        match = _HH_MM.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            shown = value if isinstance(value, str) and len(value) <= 20 else "a value"
            raise DomainError(
                CatalogError.INVALID,
                f"{shown!r} is not a time like 14:30 (24-hour clock, hours and minutes).",
                field,
            )
        moment = time(int(match.group(1)), int(match.group(2)))
        if moment in found:
            raise DomainError(CatalogError.INVALID, f"{moment:%H:%M} is given twice.", field)
        found.add(moment)
    return sorted(found)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """`day` at wall-clock `at` in `zone`, as a UTC instant; None when that wall-clock time
    does not exist that day (skipped by a DST change). A repeated one is its first."""
    wall = datetime.combine(day, at, tzinfo=zone)  # fold=0: the earlier of two
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return instant


def schedule_instants(
    times: Sequence[time], first: date, last: date, zone: ZoneInfo, *, field: str = "times"
) -> list[datetime]:
    """Every day from `first` to `last` inclusive at each of `times`, in `zone` (checked:
    the order of the dates, the batch's size, times that do not exist)."""
    if last < first:
        raise DomainError(
            CatalogError.INVALID_WINDOW, "The last day is before the first day.", "to_date"
        )
    days = (last - first).days + 1
    if days * len(times) > MAX_BATCH:
        raise DomainError(
            CatalogError.TOO_MANY_SHOWTIMES,
            f"{days} days of {len(times)} times are {days * len(times)} showtimes; one schedule "
            f"makes at most {MAX_BATCH}.",
            "to_date",
        )
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        for at in times:
            instant = local_instant(day, at, zone)
            if instant is None:
                raise DomainError(
                    CatalogError.NONEXISTENT_LOCAL_TIME,
                    f"{at:%H:%M} does not exist on {day.isoformat()} in {zone.key}: the clocks "
                    "go forward over it. Schedule that day separately.",
                    field,
                )
            out.append(instant)
    return out


async def schedule_showtimes(
    session: AsyncSession,
    *,
    film_id: int,
    screen_id: int,
    times: Sequence[object],
    from_date: date,
    to_date: date,
    price_minor: int,
    currency: str,
    now: datetime,
    gap_minutes: int = DEFAULT_CLEANING_GAP_MINUTES,
) -> list[Showtime]:
    """Create a showtime of `film_id` on `screen_id` at each local time of `times` ("14:30")
    on every day from `from_date` to `to_date` inclusive, in the cinema's time zone, all in the
    caller's transaction: one refusal and none is created. Refused: a start in the past, more
    than MAX_BATCH showtimes, a reversed range, a local time that does not exist on a day, and
    any overlap (with the screen's showtimes or within the batch)."""
    checks = Checks()
    parsed: list[time] = []
    with checks:
        parsed = parse_local_times(times)
    with checks:
        _price(price_minor)
    with checks:
        currency = check_currency(currency)
    checks.done()
    screen = await lock_screen(session, screen_id)
    film = _film_runtime_checked(await session.get(Film, film_id), film_id)
    zone = ZoneInfo(await _zone_of(session, screen))
    instants = schedule_instants(parsed, from_date, to_date, zone)
    past = [i for i in instants if i <= now]
    if past:
        first = past[0].astimezone(zone).strftime("%Y-%m-%d %H:%M")
        raise DomainError(
            CatalogError.SHOWTIME_IN_PAST,
            f"{len(past)} of these showtimes would start in the past (the first: {first} "
            f"{zone.key}); start the schedule later.",
            "from_date",
        )
    slots = [
        Slot(
            i,
            i + span(i, film.runtime_minutes, gap_minutes),
            f"{film.title} at {i.astimezone(zone):%Y-%m-%d %H:%M}",
        )
        for i in instants
    ]
    await check_no_overlap(session, screen, slots, gap_minutes=gap_minutes, field="times")
    showtimes = [
        Showtime(
            film_id=film.id,
            cinema_id=screen.cinema_id,
            screen_id=screen.id,
            starts_at=i,
            capacity=screen.capacity,
            seats_taken=0,
            price_minor=price_minor,
            currency=currency,
        )
        for i in instants
    ]
    session.add_all(showtimes)
    await session.flush()
    return showtimes
