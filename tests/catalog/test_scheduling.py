"""Screens and schedules: the overlap rule (runtime plus cleaning gap), schedules in the
cinema's local time (DST), all-or-nothing batches, screen capacity changes, and two staff
members scheduling on one screen at once (exactly one wins), on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog import scheduling
from catalog.films import create_cinema
from catalog.models import Screen, Showtime
from catalog.scheduling import MAX_BATCH, create_showtime, schedule_showtimes
from catalog.screens import create_screen, update_screen
from kernel.db import Database
from kernel.errors import DomainError
from tests.factory import make_film

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


async def _paris(db: Database, *, runtime: int = 100) -> tuple[int, int]:
    """(film id, screen id) of a film and a 120-seat screen in a Paris cinema."""
    async with db.session() as session:
        film = await make_film(session, runtime_minutes=runtime)
        cinema = await create_cinema(
            session, name="Le Rex", city="Paris", country="FR", timezone="Europe/Paris"
        )
        screen = await create_screen(
            session, cinema_id=cinema.id, name="Grande salle", capacity=120
        )
        return film.id, screen.id


async def _count(db: Database, screen_id: int) -> int:
    async with db.read_session() as session:
        return await session.scalar(
            select(func.count()).select_from(Showtime).where(Showtime.screen_id == screen_id)
        )


async def _one(db: Database, film_id: int, screen_id: int, at: datetime, **kw: Any) -> Showtime:
    async with db.session() as session:
        return await create_showtime(
            session, film_id=film_id, screen_id=screen_id, starts_at=at, price_minor=1100,
            currency="EUR", now=NOW, **kw,
        )  # fmt: skip


async def test_a_showtime_holds_its_screen_for_the_runtime_plus_the_cleaning_gap(
    db: Database,
) -> None:
    # Given a 100-minute film at 18:00 UTC: the screen is held until 19:40 + 20 = 20:00
    film, screen = await _paris(db)
    at = datetime(2026, 4, 1, 18, tzinfo=UTC)
    first = await _one(db, film, screen, at)
    assert first.capacity == 120  # the screen's seats
    # When another starts at 19:59, or ends after 18:00 (starts 16:01), it is refused
    for clash in (at + timedelta(minutes=119), at - timedelta(minutes=119)):
        with pytest.raises(DomainError) as refused:
            await _one(db, film, screen, clash)
        assert (refused.value.code, refused.value.field) == ("SHOWTIME_OVERLAP", "starts_at")
        assert "Grande salle" in refused.value.message
    # Then 20:00 (and 16:00) fit exactly; a smaller gap setting lets 19:50 in
    await _one(db, film, screen, at + timedelta(minutes=120))
    await _one(db, film, screen, at - timedelta(minutes=120))
    with pytest.raises(DomainError):  # 21:50 meets 20:00 + 100 + 20 minutes
        await _one(db, film, screen, at + timedelta(minutes=230))
    await _one(db, film, screen, at + timedelta(minutes=230), gap_minutes=10)
    assert await _count(db, screen) == 4


async def test_showtime_capacity_is_at_most_the_screens(db: Database) -> None:
    film, screen = await _paris(db)
    at = datetime(2026, 4, 1, 18, tzinfo=UTC)
    smaller = await _one(db, film, screen, at, capacity=80)
    assert smaller.capacity == 80
    with pytest.raises(DomainError) as refused:
        await _one(db, film, screen, at + timedelta(days=1), capacity=121)
    assert (refused.value.code, refused.value.field) == ("INVALID_CAPACITY", "capacity")


async def _schedule(db: Database, film: int, screen: int, **kw: Any) -> list[Showtime]:
    args = {
        "times": ["14:30", "19:30"],
        "from_date": date(2026, 3, 27),
        "to_date": date(2026, 3, 30),
        "price_minor": 1100,
        "currency": "EUR",
        "now": NOW,
    }
    args.update(kw)
    async with db.session() as session:
        return await schedule_showtimes(session, film_id=film, screen_id=screen, **args)  # type: ignore[arg-type]


async def test_a_schedule_follows_the_cinemas_clock_across_a_dst_change(db: Database) -> None:
    # Given Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026
    film, screen = await _paris(db)
    # When 14:30 and 19:30 are scheduled every day from the 27th to the 30th
    made = await _schedule(db, film, screen)
    # Then there are 8 showtimes, at 14:30 and 19:30 Paris time on each day
    starts = sorted(s.starts_at for s in made)
    assert len(starts) == 8
    assert starts[0] == datetime(2026, 3, 27, 13, 30, tzinfo=UTC)  # UTC+1
    assert starts[-1] == datetime(2026, 3, 30, 17, 30, tzinfo=UTC)  # UTC+2
    assert datetime(2026, 3, 29, 12, 30, tzinfo=UTC) in starts  # the change day: UTC+2


async def test_a_local_time_that_does_not_exist_is_refused_and_nothing_is_stored(
    db: Database,
) -> None:
    film, screen = await _paris(db, runtime=30)
    with pytest.raises(DomainError) as refused:
        await _schedule(db, film, screen, times=["01:30", "02:30"])
    assert refused.value.code == "NONEXISTENT_LOCAL_TIME"
    assert refused.value.field == "times"
    assert "2026-03-29" in refused.value.message
    assert await _count(db, screen) == 0


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"from_date": date(2026, 3, 19)}, "SHOWTIME_IN_PAST", "from_date"),
        ({"from_date": date(2026, 3, 31)}, "INVALID_WINDOW", "to_date"),
        ({"to_date": date(2026, 3, 27) + timedelta(days=MAX_BATCH // 2)}, "TOO_MANY_SHOWTIMES",
         "to_date"),
        ({"to_date": date(9999, 12, 31)}, "TOO_MANY_SHOWTIMES", "to_date"),
        ({"times": ["14:30", "15:00"]}, "SHOWTIME_OVERLAP", "times"),  # within the batch
        ({"times": []}, "INVALID", "times"),
        ({"times": ["25:00"]}, "INVALID", "times"),
        ({"times": ["\uff11\uff14:\uff13\uff10"]}, "INVALID", "times"),  # full-width digits
        ({"times": ["14:30\x00"]}, "INVALID", "times"),
        ({"times": ["14:30", "14:30"]}, "INVALID", "times"),
        ({"price_minor": -1}, "INVALID_PRICE", "price_minor"),
    ],
)  # fmt: skip
async def test_bad_schedules_are_refused_whole(
    db: Database, change: dict, code: str, field: str
) -> None:
    film, screen = await _paris(db)
    with pytest.raises(DomainError) as refused:
        await _schedule(db, film, screen, **change)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert await _count(db, screen) == 0


async def test_a_schedule_that_meets_an_existing_showtime_creates_none(db: Database) -> None:
    film, screen = await _paris(db)
    # 30 March 20:00 Paris (18:00 UTC) meets the 19:30 showtime of that day
    await _one(db, film, screen, datetime(2026, 3, 30, 18, tzinfo=UTC))
    with pytest.raises(DomainError) as refused:
        await _schedule(db, film, screen)
    assert refused.value.code == "SHOWTIME_OVERLAP"
    assert "2026-03-30 20:00" in refused.value.message  # in the cinema's time
    assert await _count(db, screen) == 1


async def test_screen_capacity_changes_follow_to_coming_showtimes_only(db: Database) -> None:
    film, screen = await _paris(db)
    coming = await _one(db, film, screen, datetime(2026, 4, 1, 18, tzinfo=UTC))
    async with db.session() as session:
        row = await session.get(Showtime, coming.id)
        row.seats_taken = 90
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await update_screen(session, screen, capacity=89, now=NOW)
    assert (refused.value.code, refused.value.field) == ("CAPACITY_BELOW_SEATS_TAKEN", "capacity")
    async with db.session() as session:
        await update_screen(session, screen, capacity=90, name="Salle 1", now=NOW)
    async with db.read_session() as session:
        assert (await session.get(Showtime, coming.id)).capacity == 90
        assert (await session.get(Screen, screen)).name == "Salle 1"


async def test_screen_names_are_unique_in_a_cinema(db: Database) -> None:
    _, screen = await _paris(db)
    async with db.session() as session:
        cinema_id = (await session.get(Screen, screen)).cinema_id
        with pytest.raises(DomainError) as taken:
            await create_screen(session, cinema_id=cinema_id, name="Grande salle", capacity=5)
        with pytest.raises(DomainError) as empty:
            await create_screen(session, cinema_id=cinema_id, name="  ", capacity=0)
    assert taken.value.code == "DUPLICATE"
    assert empty.value.field in {"name", "capacity"}


async def test_two_staff_scheduling_one_screen_at_once_exactly_one_wins(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two overlapping showtimes asked for at the same moment, each pausing after its
    # overlap check (where, without the screen lock, both would pass)
    film, screen = await _paris(db)
    check = scheduling.check_no_overlap

    async def slow_check(*args: Any, **kwargs: Any) -> None:
        await check(*args, **kwargs)
        await asyncio.sleep(0.3)

    monkeypatch.setattr(scheduling, "check_no_overlap", slow_check)
    at = datetime(2026, 4, 1, 18, tzinfo=UTC)
    results = await asyncio.gather(
        _one(db, film, screen, at),
        _one(db, film, screen, at + timedelta(minutes=30)),
        return_exceptions=True,
    )
    # Then one is created and the other refused as overlapping
    won = [r for r in results if isinstance(r, Showtime)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code == "SHOWTIME_OVERLAP"
    assert await _count(db, screen) == 1
