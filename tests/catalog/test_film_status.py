"""A film's status in cinemas (catalog.film_status): the rule on its boundaries, and its
Python and SQL forms agreeing on random films, showtimes and clocks (midnight and the very
second a showtime starts included), on the real database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalog.film_status import (
    FilmStatus,
    film_status,
    film_status_clause,
    film_status_column,
    is_to_come,
)
from catalog.models import Cinema, Film, Screen, Showtime
from graphql_schema import scalars
from kernel.db import Database

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
_seq = itertools.count(1)


@pytest.mark.parametrize(
    ("release", "to_come", "expected"),
    [
        (date(2026, 7, 2), True, FilmStatus.COMING_SOON),  # previews do not make it showing
        (date(2026, 7, 2), False, FilmStatus.COMING_SOON),
        (date(2026, 7, 1), True, FilmStatus.NOW_SHOWING),  # released today
        (date(2026, 7, 1), False, FilmStatus.OUT_OF_CINEMAS),
        (date(2020, 1, 1), True, FilmStatus.NOW_SHOWING),
        (date(2020, 1, 1), False, FilmStatus.OUT_OF_CINEMAS),
    ],
)
def test_the_status_follows_the_release_date_and_the_showtimes_to_come(release, to_come, expected):
    assert film_status(release, showtime_to_come=to_come, now=NOW) == expected


@pytest.mark.parametrize("release", [date(2026, 7, 2), date(2026, 7, 1), date(2020, 1, 1)])
@pytest.mark.parametrize("to_come", [True, False])
def test_an_archived_film_is_archived_whatever_its_dates(release, to_come):
    status = film_status(release, showtime_to_come=to_come, now=NOW, archived=True)
    assert status == FilmStatus.ARCHIVED


def test_a_showtime_is_to_come_until_the_second_it_starts():
    assert is_to_come(NOW, NOW)
    assert is_to_come(NOW + timedelta(seconds=1), NOW)
    assert not is_to_come(NOW - timedelta(seconds=1), NOW)


def test_the_graphql_enum_has_the_values_of_the_rule():
    assert {m.value for m in scalars.FilmStatus} == {s.value for s in FilmStatus}


# Clocks at midnight, noon and the last second of a day, so that "today" is tested at its ends.
clocks = st.builds(
    lambda day, at: datetime.combine(date(2026, 7, 1) + timedelta(days=day), at, tzinfo=UTC),
    st.integers(0, 2),
    st.sampled_from([time(0, 0), time(12, 0), time(23, 59, 59)]),
)
# Showtimes at, just before and just after the clock, or hours and days away.
offsets = st.sampled_from([0, -1, 1, -3600, 3600, -86400, 86400, -3 * 86400, 3 * 86400])
# (release day offset, showtime offsets, archived by staff)
films = st.lists(
    st.tuples(st.integers(-2, 2), st.lists(offsets, max_size=3), st.booleans()),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=60,
    deadline=None,
    # Every example writes its own rows, so sharing the test's database is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: on a database it takes minutes, and the failing example is small already.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(now=clocks, plans=films)
async def test_the_sql_forms_agree_with_the_python_form(
    db: Database, now: datetime, plans: list[tuple[int, list[int], bool]]
) -> None:
    n = next(_seq)
    expected: dict[int, FilmStatus] = {}
    async with db.session() as session:
        cinema = Cinema(name="C", city="C", country="US", timezone="UTC")
        session.add(cinema)
        await session.flush()
        screen = Screen(cinema_id=cinema.id, name="1", capacity=10)
        session.add(screen)
        for i, (release_offset, showtime_offsets, archived) in enumerate(plans):
            release = now.date() + timedelta(days=release_offset)
            film = Film(
                slug=f"status-{n}-{i}",
                title="F",
                release_date=release,
                runtime_minutes=90,
                archived_at=now - timedelta(days=1) if archived else None,
            )
            session.add(film)
            await session.flush()
            starts = [now + timedelta(seconds=s) for s in showtime_offsets]
            session.add_all(
                Showtime(film_id=film.id, cinema_id=cinema.id, screen_id=screen.id,
                         starts_at=at, capacity=10, price_minor=100, currency="USD")
                for at in starts
            )  # fmt: skip
            to_come = any(is_to_come(at, now) for at in starts)
            expected[film.id] = film_status(
                release, showtime_to_come=to_come, now=now, archived=archived
            )
            event(f"status: {expected[film.id]}")
    ids = list(expected)
    async with db.read_session() as session:
        rows = await session.execute(
            select(Film.id, film_status_column(now)).where(Film.id.in_(ids))
        )
        column = {fid: value for fid, value in rows}
        assert {fid: FilmStatus(value) for fid, value in column.items()} == expected
        for status in FilmStatus:
            kept = set(
                await session.scalars(
                    select(Film.id).where(Film.id.in_(ids), film_status_clause(status, now))
                )
            )
            assert kept == {fid for fid, s in expected.items() if s == status}, status
