"""Cinemas in the staff console: add a cinema, its screens and a schedule of showtimes; bad
input is answered in words naming the field, and nothing is stored."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from catalog.models import Cinema, Screen, Showtime
from kernel.clock import now_utc
from kernel.db import Database
from tests.factory import make_cinema, make_film, staff_member
from tests.storefront.console import post_form, sign_in


async def _count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _signed_in(client: httpx.AsyncClient, db: Database) -> None:
    await staff_member(db)
    await sign_in(client)


async def test_staff_add_a_cinema_a_screen_and_a_schedule(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _signed_in(client, db)
    async with db.session() as session:
        film = await make_film(session, title="Night Train", runtime_minutes=110)
    listing = await client.get("/staff/cinemas")
    assert listing.status_code == 200 and 'href="/staff/cinemas"' in listing.text  # in the nav

    # Given a new cinema in Paris
    added = await post_form(
        client,
        "/staff/cinemas",
        {"name": "Le Rex", "city": "Paris", "country": "FR", "timezone": "Europe/Paris"},
        page="/staff/cinemas",
    )
    assert added.status_code == 303
    home = added.headers["location"]
    assert home.startswith("/staff/cinemas/")
    # with a 300-seat screen
    screen = await post_form(
        client, f"{home}/screens", {"name": "Grande salle", "capacity": "300"}, page=home
    )
    assert screen.status_code == 303
    # When staff schedule 14:30 and 19:30 for three days
    first = (now_utc() + timedelta(days=3)).date()
    async with db.read_session() as session:
        screen_id = await session.scalar(select(Screen.id).where(Screen.name == "Grande salle"))
    form = {
        "film_id": str(film.id),
        "screen_id": str(screen_id),
        "times": "14:30 and 19:30",
        "from_date": first.isoformat(),
        "to_date": (first + timedelta(days=2)).isoformat(),
        "price": "11.50",
        "currency": "EUR",
    }
    done = await post_form(client, f"{home}/schedule", form, page=home)
    assert done.status_code == 303
    # Then six showtimes exist and the page lists them by local day, the zone named
    assert await _count(db, Showtime) == 6
    page = await client.get(home)
    assert "6 showtimes were scheduled on Grande salle." in page.text
    assert "Europe/Paris" in page.text
    assert page.text.count(">14:30 CE") == 3 and page.text.count(">19:30 CE") == 3
    assert "300 of 300" in page.text

    # And the same schedule again overlaps: refused in words naming the field, nothing stored
    again = await post_form(client, f"{home}/schedule", form, page=home)
    assert again.status_code == 400
    assert "Times: Night Train at " in again.text and "overlaps" in again.text
    assert "SHOWTIME_OVERLAP" not in again.text.split("<main", 1)[-1].replace('data-code="', "")
    assert await _count(db, Showtime) == 6
    # Reversed dates and a screen of another cinema are refused too
    reversed_ = {**form, "from_date": form["to_date"], "to_date": form["from_date"]}
    answer = await post_form(client, f"{home}/schedule", reversed_, page=home)
    assert answer.status_code == 400 and "Last day: The last day is before" in answer.text
    async with db.session() as session:
        other = await make_cinema(session, name="Elsewhere")
        other_screen = await session.scalar(select(Screen.id).where(Screen.cinema_id == other.id))
    stolen = await post_form(
        client,
        f"{home}/schedule",
        {
            **form,
            "screen_id": str(other_screen),
            "from_date": (first + timedelta(days=9)).isoformat(),
            "to_date": (first + timedelta(days=9)).isoformat(),
        },
        page=home,
    )
    assert stolen.status_code == 400 and "Screen: Choose one of this cinema" in stolen.text
    assert await _count(db, Showtime) == 6
    # A screen of another cinema cannot be edited through this cinema's page
    edit = await post_form(
        client, f"{home}/screens/{other_screen}", {"name": "Mine", "capacity": "5"}, page=home
    )
    assert edit.status_code == 404


async def test_bad_cinemas_and_screens_are_refused_in_words(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _signed_in(client, db)
    before = await _count(db, Cinema)
    for country, zone, words in [
        ("FR", "Mars/Olympus", "Time zone: 'Mars/Olympus' is not an IANA time zone"),
        ("FR", "localtime", "Time zone: "),
        ("ZZ", "Europe/Paris", "Country: 'ZZ' is not an ISO 3166-1"),
    ]:
        answer = await post_form(
            client,
            "/staff/cinemas",
            {"name": "X", "city": "Y", "country": country, "timezone": zone},
            page="/staff/cinemas",
        )
        assert answer.status_code == 400, answer.text
        assert words in answer.text.replace("&#39;", "'")
        assert "(INVALID" not in answer.text
    assert await _count(db, Cinema) == before
    # without the CSRF token, nothing happens
    forged = await client.post("/staff/cinemas", data={"name": "X", "city": "Y", "country": "FR"})
    assert forged.status_code == 403
    assert await _count(db, Cinema) == before

    async with db.session() as session:
        cinema = await make_cinema(session, name="Roxy", screen_capacity=0)
    home = f"/staff/cinemas/{cinema.id}"
    for capacity, words in [
        ("0", "Seats: Give a number of 1 or more."),
        ("١٢", "Seats: Write a whole number with the digits 0-9."),
    ]:
        bad = await post_form(
            client, f"{home}/screens", {"name": "1", "capacity": capacity}, page=home
        )
        assert bad.status_code == 400 and words in bad.text
    assert await _count(db, Screen) == 0
    assert (await client.get("/staff/cinemas/999999")).status_code == 404
    assert (await client.get("/staff/cinemas/abc")).status_code == 404


async def test_the_schedule_currency_is_a_list_defaulting_to_the_cinemas_usual_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _signed_in(client, db)
    # Given a cinema without showtimes, and an archived film beside a current one
    async with db.session() as session:
        await make_film(session, title="Current Film")
        gone = await make_film(session, title="Gone Film")
        gone.archived_at = now_utc()
        cinema = await make_cinema(session, name="Odeon")
    home = f"/staff/cinemas/{cinema.id}"
    page = (await client.get(home)).text
    # Then the currency is a list of the known currencies, the installation's chosen
    assert '<select id="f-currency" name="currency"' in page
    assert '<option value="JPY">JPY</option>' in page
    assert '<option value="USD" selected>USD</option>' in page  # TIEIN_CURRENCY's default
    # and an archived film is not offered for scheduling
    assert "Current Film" in page and "Gone Film" not in page
    # When a showtime in GBP is added, GBP becomes the cinema's usual currency
    async with db.session() as session:
        film = await make_film(session, title="Pound Film")
        screen = await session.scalar(select(Screen).where(Screen.cinema_id == cinema.id))
        session.add(Showtime(film_id=film.id, cinema_id=cinema.id, screen_id=screen.id,
                             starts_at=now_utc() + timedelta(days=2), capacity=10, seats_taken=0,
                             price_minor=900, currency="GBP"))  # fmt: skip
    page = (await client.get(home)).text
    assert '<option value="GBP" selected>GBP</option>' in page
    assert '<option value="USD">USD</option>' in page
