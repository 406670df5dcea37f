"""Helpers of the staff console tests: a staff user, signing in, reading a form's CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx

from catalog.models import Cinema, Film, Showtime
from catalog.tickets import issue_tickets
from licensing.accounts import create_staff_user
from orders.models import LineKind, Order, OrderLine, OrderStatus
from tiein.db import Database

STAFF_USERNAME = "desk-officer"
STAFF_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make_staff(db: Database, username: str = STAFF_USERNAME) -> int:
    async with db.session() as session:
        user = await create_staff_user(session, username=username, password=STAFF_PASSWORD)
        return user.id


def csrf_in(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def csrf(client: httpx.AsyncClient, path: str = "/staff") -> str:
    """The session's CSRF token, read from a form on `path` as a browser would."""
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_in(response.text)


async def sign_in(
    client: httpx.AsyncClient, username: str = STAFF_USERNAME, password: str = STAFF_PASSWORD
) -> httpx.Response:
    token = await csrf(client, "/staff/login")
    return await client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": password},
    )


async def post_form(client: httpx.AsyncClient, path: str, data: dict, *, page: str = "/staff"):
    """POST a staff form with the CSRF token read from `page`."""
    return await client.post(path, data={"csrf_token": await csrf(client, page), **data})


@dataclass(frozen=True)
class Door:
    showtime_id: int
    other_showtime_id: int
    codes: tuple[str, ...]
    order_number: str


async def ticket_world(db: Database, *, now: datetime) -> Door:
    """A film at one cinema with two showtimes and a paid order of two tickets for the first."""
    async with db.session() as session:
        film = Film(
            slug="night-train",
            title="Night Train",
            release_date=date(2026, 1, 1),
            runtime_minutes=101,
        )
        cinema = Cinema(name="Roxy", city="Austin", country="US")
        session.add_all([film, cinema])
        await session.flush()
        shows = [
            Showtime(
                film_id=film.id,
                cinema_id=cinema.id,
                starts_at=now + timedelta(hours=h),
                capacity=100,
                seats_taken=2,
                price_minor=1500,
                currency="USD",
            )
            for h in (2, 26)
        ]
        session.add_all(shows)
        await session.flush()
        order = Order(
            number="T-0001",
            access_key_hash="0" * 64,
            email="fan@example.com",
            country="US",
            currency="USD",
            status=OrderStatus.PAID,
            total_minor=3000,
            expires_at=now,
            paid_at=now,
        )
        session.add(order)
        await session.flush()
        line = OrderLine(
            order_id=order.id,
            kind=LineKind.TICKET,
            showtime_id=shows[0].id,
            description="Night Train ticket",
            quantity=2,
            unit_price_minor=1500,
            total_minor=3000,
        )
        session.add(line)
        await session.flush()
        tickets = await issue_tickets(
            session, order_line_id=line.id, showtime_id=shows[0].id, count=2, now=now
        )
        return Door(shows[0].id, shows[1].id, tuple(t.code for t in tickets), order.number)
