"""Helpers of the staff console tests: a staff user, signing in, reading a form's CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx

from catalog.models import Cinema, Film, Showtime
from catalog.products import create_product
from catalog.tickets import issue_tickets
from kernel.db import Database
from licensing.accounts import create_merchant, create_staff_user
from licensing.agreements import create_agreement
from licensing.approvals import submit_product
from licensing.ledger import SaleLine, post_sales
from licensing.models import AgreementStatus, Channel
from orders.models import LineKind, Order, OrderLine, OrderStatus

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


@dataclass(frozen=True)
class Licensing:
    agreement_id: int
    agreement_code: str
    merchant_id: int
    film_ids: tuple[int, int]
    product_ids: tuple[int, ...]
    skus: tuple[str, ...]


async def licensing_world(db: Database, *, sales: bool = True) -> Licensing:
    """A licensee with one active USD agreement (10 %, advance 100.00, MG 5,000.00) over two
    films, three submitted products and, with `sales`, storefront sales in 2025-Q3 and
    2025-Q4 (the second film's product sells in GB)."""
    at = datetime(2025, 8, 1, 12, tzinfo=UTC)
    async with db.session() as session:
        merchant = await create_merchant(
            session,
            slug="acme-merch",
            name="Acme <Merch> & Co",
            country="US",
            contact_email="ops@acme.example",
        )
        films = [
            Film(slug=slug, title=title, release_date=date(2025, 6, 1), runtime_minutes=100)
            for slug, title in (("night-train", "Night Train"), ("dust-&-gold", "Dust & Gold"))
        ]
        session.add_all(films)
        await session.flush()
        agreement = await create_agreement(
            session,
            code="LA-2025-0001",
            merchant_id=merchant.id,
            film_ids=[f.id for f in films],
            categories=["apparel", "posters"],
            territories=["US", "GB"],
            channels=["storefront", "bundle", "licensee_retail"],
            start_date=date(2025, 7, 1),
            end_date=date(2026, 6, 30),
            currency="USD",
            rate_bps=1000,
            advance_minor=10000,
            minimum_guarantee_minor=500000,
            status=AgreementStatus.ACTIVE,
        )
        products = []
        for sku, name, film in (
            ("ACME-TEE-1", "Night Train tee", films[0]),
            ("ACME-POSTER-1", "Night Train poster", films[0]),
            ("ACME-TEE-2", "Dust & Gold tee", films[1]),
        ):
            product = await create_product(
                session,
                merchant_id=merchant.id,
                agreement_id=agreement.id,
                film_id=film.id,
                sku=sku,
                name=name,
                category="posters" if "POSTER" in sku else "apparel",
                price_minor=2500,
                currency="USD",
                stock=10,
            )
            await submit_product(
                session, product.id, merchant_id=merchant.id, comment="first concept", now=at
            )
            products.append(product)
        if sales:
            lines = [
                SaleLine("test:1", products[0].id, 4, 10000, Channel.STOREFRONT, "US", at),
                SaleLine("test:2", products[1].id, 2, 3000, Channel.STOREFRONT, "US", at),
                SaleLine("test:3", products[2].id, 1, 2500, Channel.BUNDLE, "GB", at),
                SaleLine(
                    "test:4",
                    products[0].id,
                    1,
                    2500,
                    Channel.STOREFRONT,
                    "US",
                    datetime(2025, 11, 2, tzinfo=UTC),
                ),
            ]
            await post_sales(session, lines, now=at)
        return Licensing(
            agreement.id,
            agreement.code,
            merchant.id,
            (films[0].id, films[1].id),
            tuple(p.id for p in products),
            tuple(p.sku for p in products),
        )
