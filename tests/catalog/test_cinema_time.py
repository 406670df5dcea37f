"""Showtimes are shown, and grouped by day, in their cinema's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalog.film_admin import FilmInput, create_film
from catalog.films import create_cinema
from catalog.scheduling import create_showtime
from catalog.screens import create_screen
from catalog.showtimes import group_by_day_and_cinema, local_start
from kernel.db import Database
from kernel.errors import DomainError
from storefront.web import local_time

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def test_a_late_show_in_new_york_belongs_to_its_local_day(db: Database) -> None:
    async with db.session() as session:
        film = await create_film(
            session,
            FilmInput(slug="night-film", original_title="Night Film",
                      release_date=date(2026, 11, 1), runtime_minutes=90),
            now=NOW,
        )  # fmt: skip
        cinema = await create_cinema(
            session, name="Aurora", city="New York", country="US", timezone="America/New_York"
        )
        screen = await create_screen(session, cinema_id=cinema.id, name="1", capacity=10)
        # 02:30 UTC on the 22nd is 21:30 on the 21st in New York (EST, UTC-5).
        show = await create_showtime(
            session, film_id=film.id, screen_id=screen.id,
            starts_at=datetime(2026, 11, 22, 2, 30, tzinfo=UTC), capacity=10, price_minor=1400,
            currency="USD", now=NOW,
        )  # fmt: skip
        show.cinema = cinema
        assert local_start(show).hour == 21
        [group] = group_by_day_and_cinema([show])
        assert group.day == date(2026, 11, 21)
        assert local_time(show.starts_at, cinema.timezone, "%d %H:%M") == "21 21:30 EST"


async def test_an_unknown_time_zone_is_refused_naming_the_field(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(DomainError) as caught:
            await create_cinema(
                session, name="Nowhere", city="X", country="US", timezone="Mars/Olympus"
            )
    assert caught.value.field == "timezone"
    assert "Mars/Olympus" in caught.value.message
