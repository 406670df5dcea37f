"""Films, cinemas and showtimes: no showtime in the past, listed by day and cinema."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalog.film_admin import FilmInput, create_film
from catalog.films import create_cinema
from catalog.scheduling import create_showtime
from catalog.screens import create_screen
from catalog.showtimes import check_on_sale, group_by_day_and_cinema, showtimes_for_film
from kernel.db import Database
from kernel.errors import DomainError
from tests.catalog.conftest import NOW, World


async def test_film_slugs_are_unique_and_franchises_are_shared(db: Database, world: World) -> None:
    assert world.film.franchise_id is not None
    assert world.film.franchise_id == world.sequel.franchise_id
    async with db.session() as session:
        with pytest.raises(DomainError) as duplicate:
            await create_film(
                session,
                FilmInput(slug="star-harbor", original_title="Again",
                          release_date=date(2026, 1, 1), runtime_minutes=90),
                now=NOW,
            )  # fmt: skip
        with pytest.raises(DomainError) as bad_slug:
            await create_film(
                session,
                FilmInput(slug="Star Harbor!", original_title="x",
                          release_date=date(2026, 1, 1), runtime_minutes=90),
                now=NOW,
            )  # fmt: skip
        with pytest.raises(DomainError) as bad_country:
            await create_cinema(session, name="Nowhere", city="X", country="USA")
    assert duplicate.value.code == "DUPLICATE"
    assert bad_slug.value.code == "INVALID_SLUG"
    assert bad_country.value.code == "INVALID_COUNTRY"


@pytest.mark.parametrize(
    ("starts_in", "capacity", "price", "code"),
    [
        (timedelta(hours=-1), 100, 6000, "SHOWTIME_IN_PAST"),
        (timedelta(0), 100, 6000, "SHOWTIME_IN_PAST"),
        (timedelta(days=1), 0, 6000, "INVALID_CAPACITY"),
        (timedelta(days=1), 501, 6000, "INVALID_CAPACITY"),  # more than the screen's 500
        (timedelta(days=1), 100, -1, "INVALID_PRICE"),
    ],
)
async def test_showtime_rules(
    db: Database, world: World, starts_in: timedelta, capacity: int, price: int, code: str
) -> None:
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await create_showtime(
                session, film_id=world.film.id, screen_id=world.showtime.screen_id,
                starts_at=NOW + starts_in, capacity=capacity, price_minor=price,
                currency="USD", now=NOW,
            )  # fmt: skip
    assert refused.value.code == code


async def test_a_films_showtimes_are_future_ordered_and_grouped(db: Database, world: World) -> None:
    async with db.session() as session:
        second = await create_cinema(session, name="Aurora", city="Boston", country="US")
        screen = await create_screen(session, cinema_id=second.id, name="1", capacity=10)
        # the world's showtime (in 48 hours) holds Screen 1 of Harbor Lights from 46:00 on
        other = await create_screen(session, cinema_id=world.cinema.id, name="2", capacity=10)
        for screen_id, hours in [(screen.id, 50), (other.id, 47), (screen.id, 30)]:
            await create_showtime(
                session, film_id=world.film.id, screen_id=screen_id,
                starts_at=NOW + timedelta(hours=hours), capacity=10, price_minor=5000,
                currency="USD", now=NOW,
            )  # fmt: skip
        # Far beyond the 14-day horizon.
        await create_showtime(
            session, film_id=world.film.id, screen_id=screen.id,
            starts_at=NOW + timedelta(days=30), capacity=10, price_minor=5000,
            currency="USD", now=NOW,
        )  # fmt: skip
    async with db.read_session() as session:
        # Later, the 30-hour showtime has started: it is no longer listed.
        listed = await showtimes_for_film(session, world.film.id, now=NOW + timedelta(hours=31))
    hours = [(s.starts_at - NOW) / timedelta(hours=1) for s in listed]
    assert hours == [47, 48, 50]  # 48 is the world's own showtime, at Harbor Lights
    groups = group_by_day_and_cinema(listed)
    assert [(g.day, g.cinema.name, len(g.showtimes)) for g in groups] == [
        (date(2026, 7, 3), "Aurora", 1),
        (date(2026, 7, 3), "Harbor Lights", 2),
    ]
    with pytest.raises(DomainError) as past:
        check_on_sale(listed[0], now=listed[0].starts_at)
    assert past.value.code == "SHOWTIME_IN_PAST"
