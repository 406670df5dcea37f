"""Screens: a cinema's auditoriums, each with its seats (SPEC §5, issue 12).

A showtime is on one screen and starts with the screen's capacity. Changing a screen's
capacity changes the capacity of its showtimes still to come, and is refused when one of them
has sold (or holds) more seats than the new capacity.

`lock_screen` is the one lock of scheduling: a write that adds showtimes to a screen (or
changes its seats) takes it first, so two such writes on one screen run one after the other
— SELECT … FOR UPDATE on PostgreSQL; on SQLite every write transaction begins with BEGIN
IMMEDIATE (kernel.db), which serializes them already.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import Cinema, Screen, Showtime
from kernel.errors import Checks, DomainError

MAX_SCREEN_CAPACITY = 100_000


def check_screen_name(name: object, *, field: str = "name") -> str:
    """A screen's name: 1 to 80 characters of text ("Screen 1", "IMAX")."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise DomainError(CatalogError.INVALID, "Give the screen a name.", field)
    if len(text) > 80:
        raise DomainError(CatalogError.INVALID, "A screen's name has at most 80 characters.", field)
    return text


def check_capacity(capacity: object, *, field: str = "capacity") -> int:
    """Seats: a whole number from 1 to MAX_SCREEN_CAPACITY."""
    if (
        not isinstance(capacity, int)
        or isinstance(capacity, bool)
        or not 0 < capacity <= MAX_SCREEN_CAPACITY
    ):
        raise DomainError(
            CatalogError.INVALID_CAPACITY,
            f"The capacity must be a whole number of seats from 1 to {MAX_SCREEN_CAPACITY:,}.",
            field,
        )
    return capacity


async def _name_taken(
    session: AsyncSession, cinema_id: int, name: str, *, other_than: int | None = None
) -> bool:
    stmt = select(Screen.id).where(Screen.cinema_id == cinema_id, Screen.name == name)
    if other_than is not None:
        stmt = stmt.where(Screen.id != other_than)
    return await session.scalar(stmt) is not None


def _duplicate(name: str) -> DomainError:
    return DomainError(
        CatalogError.DUPLICATE, f"The cinema has a screen called {name!r} already.", "name"
    )


async def create_screen(
    session: AsyncSession, *, cinema_id: int, name: str, capacity: int
) -> Screen:
    """Add a screen to a cinema (staff). Its name is unique within the cinema."""
    checks = Checks()
    with checks:
        name = check_screen_name(name)
    with checks:
        capacity = check_capacity(capacity)
    checks.done()
    # the cinema row is locked so that two screens of one name cannot both pass the check
    cinema = await session.scalar(select(Cinema).where(Cinema.id == cinema_id).with_for_update())
    if cinema is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No cinema {cinema_id}.", "cinema_id")
    if await _name_taken(session, cinema_id, name):
        raise _duplicate(name)
    screen = Screen(cinema_id=cinema_id, name=name, capacity=capacity)
    session.add(screen)
    await session.flush()
    return screen


async def get_screen(session: AsyncSession, screen_id: int, *, field: str = "screen_id") -> Screen:
    """The screen with `screen_id`, or NOT_FOUND naming `field`."""
    screen = await session.get(Screen, screen_id)
    if screen is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No screen {screen_id}.", field)
    return screen


async def lock_screen(session: AsyncSession, screen_id: int, *, field: str = "screen_id") -> Screen:
    """The screen, locked until the transaction ends (see the module's docstring)."""
    screen = await session.scalar(
        select(Screen)
        .where(Screen.id == screen_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if screen is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No screen {screen_id}.", field)
    return screen


async def screens_of(session: AsyncSession, cinema_id: int) -> list[Screen]:
    """The cinema's screens, by name."""
    rows = await session.scalars(
        select(Screen).where(Screen.cinema_id == cinema_id).order_by(Screen.name, Screen.id)
    )
    return list(rows)


async def update_screen(
    session: AsyncSession,
    screen_id: int,
    *,
    name: str | None = None,
    capacity: int | None = None,
    now: datetime,
) -> Screen:
    """Rename a screen or change its seats (staff). A new capacity is also the capacity of
    every showtime on it that has not started; it may not be below the seats one of them has
    sold or holds (CAPACITY_BELOW_SEATS_TAKEN)."""
    checks = Checks()
    with checks:
        name = None if name is None else check_screen_name(name)
    with checks:
        capacity = None if capacity is None else check_capacity(capacity)
    checks.done()
    screen = await lock_screen(session, screen_id, field="id")
    if name is not None and name != screen.name:
        if await _name_taken(session, screen.cinema_id, name, other_than=screen.id):
            raise _duplicate(name)
        screen.name = name
    if capacity is not None and capacity != screen.capacity:
        coming = (Showtime.screen_id == screen.id, Showtime.starts_at > now)
        # lock the coming showtimes' rows: a seat taken meanwhile waits for this change
        taken = await session.scalar(
            select(func.max(Showtime.seats_taken)).where(
                Showtime.id.in_(select(Showtime.id).where(*coming).with_for_update())
            )
        )
        if taken is not None and taken > capacity:
            raise DomainError(
                CatalogError.CAPACITY_BELOW_SEATS_TAKEN,
                f"A coming showtime on this screen has {taken} seats sold or held; the "
                f"capacity cannot go below that.",
                "capacity",
            )
        await session.execute(
            update(Showtime)
            .where(*coming, Showtime.seats_taken <= capacity)
            .values(capacity=capacity)
            .execution_options(synchronize_session=False)
        )
        screen.capacity = capacity
    await session.flush()
    return screen
