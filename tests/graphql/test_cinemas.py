"""Cinema mutations: staff add screens and schedule showtimes on them; merchants and the
public may not; bad input (unknown zones and countries, overlaps, the past, reversed dates,
another cinema's screen) is refused with a field and a code and stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Cinema, Screen, Showtime
from kernel.db import Database
from tests.graphql.conftest import NOW, Gql, World, gid

SCREEN = """mutation($input: CreateScreenInput!) { createScreen(input: $input) {
    screen { id name capacity cinema { name } } errors { field code message } } }"""
UPDATE = """mutation($input: UpdateScreenInput!) { updateScreen(input: $input) {
    screen { name capacity } errors { field code message } } }"""
SCHEDULE = """mutation($input: ScheduleShowtimesInput!) { scheduleShowtimes(input: $input) {
    showtimes { startsAt capacity screen { name } cinema { name } }
    errors { field code message } } }"""
SHOWTIME = """mutation($input: CreateShowtimeInput!) { createShowtime(input: $input) {
    showtime { startsAt capacity screen { name } } errors { field code message } } }"""
CINEMA = """mutation($input: CreateCinemaInput!) { createCinema(input: $input) {
    cinema { id } errors { field code message } } }"""


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _screen_id(db: Database, world: World) -> str:
    async with db.read_session() as session:
        pk = await session.scalar(select(Screen.id).where(Screen.cinema_id == world.cinema_id))
    return gid("Screen", pk)


def _days(n: int) -> str:
    return (NOW + timedelta(days=n)).date().isoformat()


def _schedule(world: World, screen: str, **change: Any) -> dict[str, Any]:
    return {"input": {"filmId": gid("Film", world.film_id), "screenId": screen,
                      "times": ["14:30", "19:30"], "fromDate": _days(5), "toDate": _days(7),
                      "price": {"amount": "12.50", "currency": "USD"}, **change}}  # fmt: skip


async def test_staff_add_a_screen_and_schedule_a_week_on_it(
    gql: Gql, world: World, db: Database
) -> None:
    # Given the Rex cinema, when staff add a 150-seat screen "2"
    made = payload(await gql(SCREEN, {"input": {"cinemaId": gid("Cinema", world.cinema_id),
                   "name": "2", "capacity": 150}}, token=world.staff_token))  # fmt: skip
    assert made["errors"] == []
    assert made["screen"]["cinema"] == {"name": "Rex"}
    # and schedule 14:30 and 19:30 for three days on it
    answer = payload(await gql(SCHEDULE, _schedule(world, made["screen"]["id"]),
                               token=world.staff_token))  # fmt: skip
    # then six showtimes are made, with the screen's seats
    assert answer["errors"] == []
    assert len(answer["showtimes"]) == 6
    assert {s["capacity"] for s in answer["showtimes"]} == {150}
    assert {s["screen"]["name"] for s in answer["showtimes"]} == {"2"}
    assert answer["showtimes"][0]["startsAt"].startswith(f"{_days(5)}T14:30:00")  # Rex is UTC
    # and the cinema lists its screens by name
    screens = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Cinema { screens { name capacity } } } }",
        {"id": gid("Cinema", world.cinema_id)},
    )
    assert screens["node"]["screens"] == [
        {"name": "2", "capacity": 150},
        {"name": "Screen 1", "capacity": 500},
    ]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"fromDate": _days(-1)}, "fromDate", "SHOWTIME_IN_PAST"),
        ({"fromDate": _days(8)}, "toDate", "INVALID_WINDOW"),
        ({"toDate": _days(400)}, "toDate", "TOO_MANY_SHOWTIMES"),
        ({"times": ["14:30", "15:00"]}, "times", "SHOWTIME_OVERLAP"),
        ({"times": ["2:30pm"]}, "times", "INVALID"),
        ({"times": ["14h30"]}, "times", "INVALID"),
        ({"screenId": gid("Screen", 999_999)}, "screenId", "NOT_FOUND"),
        ({"screenId": gid("Cinema", 1)}, "screenId", "NOT_FOUND"),
        ({"price": {"amount": "-1.00", "currency": "USD"}}, "price", "INVALID_PRICE"),
    ],
)
async def test_bad_schedules_are_refused_and_store_nothing(
    gql: Gql, world: World, db: Database, change: dict, field: str, code: str
) -> None:
    screen = await _screen_id(db, world)
    before = await count(db, Showtime)
    answer = payload(await gql(SCHEDULE, _schedule(world, screen, **change),
                               token=world.staff_token))  # fmt: skip
    assert answer["showtimes"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]
    assert code not in answer["errors"][0]["message"]  # words, not the code
    assert await count(db, Showtime) == before


async def test_a_schedule_meeting_the_worlds_showtime_is_refused_whole(
    gql: Gql, world: World, db: Database
) -> None:
    # The world's showtime is in 3 days, on Screen 1, at the time of NOW (UTC)
    screen = await _screen_id(db, world)
    at = (NOW + timedelta(days=3)).strftime("%H:%M")
    before = await count(db, Showtime)
    answer = payload(await gql(SCHEDULE, _schedule(world, screen, times=[at],
                     fromDate=_days(2), toDate=_days(4)), token=world.staff_token))  # fmt: skip
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("times", "SHOWTIME_OVERLAP")]
    assert "Moon Harbor" in answer["errors"][0]["message"]
    assert await count(db, Showtime) == before


async def test_create_showtime_on_another_cinemas_screen_is_refused(
    gql: Gql, world: World, db: Database
) -> None:
    odeon = {"name": "Odeon", "city": "Leeds", "country": "GB", "timezone": "Europe/London"}
    other = payload(await gql(CINEMA, {"input": odeon}, token=world.staff_token))
    screen = await _screen_id(db, world)
    before = await count(db, Showtime)
    base = {"filmId": gid("Film", world.film_id), "startsAt": (NOW + timedelta(days=9)).isoformat(),
            "price": {"amount": "9.00", "currency": "GBP"}}  # fmt: skip
    mismatch = payload(await gql(SHOWTIME, {"input": {**base, "cinemaId": other["cinema"]["id"],
                       "screenId": screen}}, token=world.staff_token))  # fmt: skip
    assert [(e["field"], e["code"]) for e in mismatch["errors"]] == [
        ("screenId", "SCREEN_NOT_OF_CINEMA")
    ]
    # a cinema without a screen cannot take a showtime by its id alone
    bare = payload(await gql(SHOWTIME, {"input": {**base, "cinemaId": other["cinema"]["id"]}},
                             token=world.staff_token))  # fmt: skip
    assert [(e["field"], e["code"]) for e in bare["errors"]] == [("screenId", "SCREEN_REQUIRED")]
    past = payload(await gql(SHOWTIME, {"input": {**base, "screenId": screen,
                   "startsAt": (NOW - timedelta(minutes=1)).isoformat()}},
                   token=world.staff_token))  # fmt: skip
    assert [(e["field"], e["code"]) for e in past["errors"]] == [("startsAt", "SHOWTIME_IN_PAST")]
    assert await count(db, Showtime) == before
    ok = payload(await gql(SHOWTIME, {"input": {**base, "screenId": screen}},
                           token=world.staff_token))  # fmt: skip
    assert ok["errors"] == [] and ok["showtime"]["capacity"] == 500


@pytest.mark.parametrize(
    ("timezone", "country", "field", "code"),
    [
        ("Mars/Olympus", "GB", "timezone", "INVALID_TIMEZONE"),
        ("localtime", "GB", "timezone", "INVALID_TIMEZONE"),
        ("europe/london", "GB", "timezone", "INVALID_TIMEZONE"),
        ("posix/Europe/London", "GB", "timezone", "INVALID_TIMEZONE"),
        ("../../etc/passwd", "GB", "timezone", "INVALID_TIMEZONE"),
        ("Europe/London", "ZZ", "country", "INVALID_COUNTRY"),
    ],
)
async def test_unknown_zones_and_countries_are_refused(
    gql: Gql, world: World, db: Database, timezone: str, country: str, field: str, code: str
) -> None:
    before = await count(db, Cinema)
    odeon = {"name": "Odeon", "city": "Leeds", "country": country, "timezone": timezone}
    answer = payload(await gql(CINEMA, {"input": odeon}, token=world.staff_token))
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]
    assert await count(db, Cinema) == before


async def test_update_screen_keeps_capacity_above_seats_sold(
    gql: Gql, world: World, db: Database
) -> None:
    async with db.session() as session:
        show = await session.get(Showtime, world.showtime_id)
        show.seats_taken = 60
    screen = await _screen_id(db, world)
    low = payload(await gql(UPDATE, {"input": {"id": screen, "capacity": 59}},
                            token=world.staff_token))  # fmt: skip
    assert [(e["field"], e["code"]) for e in low["errors"]] == [
        ("capacity", "CAPACITY_BELOW_SEATS_TAKEN")
    ]
    ok = payload(await gql(UPDATE, {"input": {"id": screen, "capacity": 60, "name": "Big"}},
                           token=world.staff_token))  # fmt: skip
    assert ok == {"screen": {"name": "Big", "capacity": 60}, "errors": []}
    async with db.read_session() as session:
        assert (await session.get(Showtime, world.showtime_id)).capacity == 60


@pytest.mark.parametrize("who", ["merchant", "public"])
async def test_only_staff_manage_screens_and_schedules(
    gql: Gql, world: World, db: Database, who: str
) -> None:
    token = world.a.token if who == "merchant" else None
    screen = await _screen_id(db, world)
    before = (await count(db, Screen), await count(db, Showtime))
    for query, variables in [
        (SCREEN, {"input": {"cinemaId": gid("Cinema", world.cinema_id), "name": "X",
                            "capacity": 5}}),
        (UPDATE, {"input": {"id": screen, "capacity": 1}}),
        (SCHEDULE, _schedule(world, screen)),
    ]:  # fmt: skip
        body = await gql(query, variables, token=token)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes == {"FORBIDDEN" if token else "UNAUTHENTICATED"}
    assert (await count(db, Screen), await count(db, Showtime)) == before


async def test_an_archived_film_cannot_be_scheduled(gql: Gql, world: World, db: Database) -> None:
    # Given the film archived by staff
    archived = await gql(
        "mutation($id: ID!) { archiveFilm(input: {id: $id}) { errors { code } } }",
        {"id": gid("Film", world.film_id)},
        token=world.staff_token,
    )
    assert payload(archived)["errors"] == []
    screen = await _screen_id(db, world)
    before = await count(db, Showtime)
    # When staff schedule a week of it, or one showtime
    week = payload(await gql(SCHEDULE, _schedule(world, screen), token=world.staff_token))
    show = {"filmId": gid("Film", world.film_id), "screenId": screen,
            "startsAt": (NOW + timedelta(days=3)).isoformat(),
            "price": {"amount": "12.50", "currency": "USD"}}  # fmt: skip
    one = payload(await gql(SHOWTIME, {"input": show}, token=world.staff_token))
    # Then both are refused naming the film, and no showtime is stored
    for answer in (week, one):
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [("filmId", "FILM_ARCHIVED")]
    assert await count(db, Showtime) == before
