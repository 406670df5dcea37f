"""Named worlds of the licensing, catalog and staff console tests, built from the row
builders. A world that is a whole test's data takes the database and commits; the licensing
world and the catalog world take a session, as their tests compose them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Category, Cinema, Film, Product, Showtime
from catalog.tickets import issue_tickets
from kernel.db import Database
from licensing.approvals import submit_product
from licensing.ledger import SaleLine, post_sales
from licensing.models import Agreement, Channel, Merchant
from tests.factory.builders import (
    make_agreement,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
    make_staff_user,
    make_ticket_line,
)

STAFF_USERNAME = "desk-officer"
STAFF_PASSWORD = "correct horse battery"


async def licensing_world(
    session: AsyncSession, **agreement_terms: Any
) -> tuple[Agreement, Product]:
    """One merchant, one film, one active agreement (10% flat unless overridden), one
    approved product."""
    film = await make_film(session)
    merchant = await make_merchant(session)
    agreement = await make_agreement(
        session, merchant_id=merchant.id, film_ids=[film.id], **agreement_terms
    )
    return agreement, await make_product(session, agreement, film.id)


@dataclass
class CatalogWorld:
    film: Film
    other_film: Film
    sequel: Film
    merchant: Merchant
    rival: Merchant
    agreement: Agreement
    rival_agreement: Agreement
    tshirt: Product
    poster: Product
    cinema: Cinema
    showtime: Showtime
    extra: dict = field(default_factory=dict)


async def catalog_world(session: AsyncSession, *, now: datetime) -> CatalogWorld:
    """A franchise film and its sequel, another film, a merchant with an active agreement
    over the three (US and JP, storefront and bundle, apparel and posters) and an approved
    T-shirt and poster of the first, a rival licensee of the first film, a Boston cinema and
    a showtime in two days."""
    film = await make_film(session, slug="star-harbor", title="Star Harbor",
                           release_date=date(2026, 6, 1), runtime_minutes=121,
                           franchise="harbor-saga")  # fmt: skip
    sequel = await make_film(session, slug="star-harbor-2", title="Star Harbor II",
                             release_date=date(2027, 6, 1), runtime_minutes=130,
                             franchise="harbor-saga")  # fmt: skip
    other = await make_film(session, slug="quiet-field", title="Quiet Field",
                            release_date=date(2026, 5, 1), runtime_minutes=95)  # fmt: skip
    merchant = await make_merchant(session, slug="threadworks")
    rival = await make_merchant(session, slug="rivalco")
    terms: dict[str, Any] = {
        "territories": ["US", "JP"],
        "channels": [Channel.STOREFRONT, Channel.BUNDLE],
        "categories": [Category.APPAREL, Category.POSTERS],
    }
    agreement = await make_agreement(session, merchant_id=merchant.id, code="LA-2026-0001",
                                     film_ids=[film.id, sequel.id, other.id], **terms)  # fmt: skip
    rival_agreement = await make_agreement(session, merchant_id=rival.id, film_ids=[film.id],
                                           code="LA-2026-0002", **terms)  # fmt: skip
    tshirt = await make_product(session, agreement, film.id, sku="SH-TEE-M", stock=50,
                                name="Star Harbor T-shirt", price_minor=12900)  # fmt: skip
    poster = await make_product(session, agreement, film.id, sku="SH-POSTER",
                                name="Star Harbor poster", category=Category.POSTERS,
                                price_minor=3900, stock=50)  # fmt: skip
    cinema = await make_cinema(session, name="Harbor Lights", city="Boston")
    showtime = await make_showtime(session, film_id=film.id, cinema_id=cinema.id,
                                   starts_at=now + timedelta(days=2), price_minor=6000)  # fmt: skip
    return CatalogWorld(
        film, other, sequel, merchant, rival, agreement, rival_agreement, tshirt, poster,
        cinema, showtime,
    )  # fmt: skip


async def staff_member(db: Database, username: str = STAFF_USERNAME) -> int:
    """A staff user who signs in with STAFF_PASSWORD; committed. Its id."""
    async with db.session() as session:
        user = await make_staff_user(session, username=username, password=STAFF_PASSWORD)
        return user.id


@dataclass(frozen=True)
class Door:
    showtime_id: int
    other_showtime_id: int
    codes: tuple[str, ...]
    order_number: str


async def door_world(db: Database, *, now: datetime) -> Door:
    """A film at one cinema with showtimes in 2 and 26 hours and a paid order of two tickets
    for the first; committed."""
    async with db.session() as session:
        film = await make_film(session, slug="night-train", title="Night Train",
                               release_date=date(2026, 1, 1), runtime_minutes=101)  # fmt: skip
        cinema = await make_cinema(session, name="Roxy", city="Austin")
        shows = []
        for hours in (2, 26):
            show = await make_showtime(session, film_id=film.id, cinema_id=cinema.id,
                                       starts_at=now + timedelta(hours=hours), seats_taken=2,
                                       price_minor=1500)  # fmt: skip
            shows.append(show)
        line = await make_ticket_line(session, shows[0], 2, now=now, number="T-0001",
                                      description="Night Train ticket")  # fmt: skip
        tickets = await issue_tickets(
            session, order_line_id=line.id, showtime_id=shows[0].id, count=2, now=now
        )
        return Door(shows[0].id, shows[1].id, tuple(t.code for t in tickets), "T-0001")


@dataclass(frozen=True)
class StaffWorld:
    agreement_id: int
    agreement_code: str
    merchant_id: int
    film_ids: tuple[int, int]
    product_ids: tuple[int, ...]
    skus: tuple[str, ...]


async def staff_world(db: Database, *, sales: bool = True) -> StaffWorld:
    """A licensee with one active USD agreement (10 %, advance 100.00, MG 5,000.00) over two
    films, three submitted products and, with `sales`, storefront sales in 2025-Q3 and
    2025-Q4 (the second film's product sells in GB); committed."""
    at = datetime(2025, 8, 1, 12, tzinfo=UTC)
    async with db.session() as session:
        merchant = await make_merchant(session, slug="acme-merch", name="Acme <Merch> & Co",
                                       contact_email="ops@acme.example")  # fmt: skip
        films = []
        for slug, title in (("night-train", "Night Train"), ("dust-&-gold", "Dust & Gold")):
            film = await make_film(session, slug=slug, title=title,
                                   release_date=date(2025, 6, 1), runtime_minutes=100)  # fmt: skip
            films.append(film)
        agreement = await make_agreement(
            session, merchant_id=merchant.id, film_ids=[f.id for f in films], code="LA-2025-0001",
            categories=["apparel", "posters"], territories=["US", "GB"],
            channels=["storefront", "bundle", "licensee_retail"], start_date=date(2025, 7, 1),
            end_date=date(2026, 6, 30), advance_minor=10000, minimum_guarantee_minor=500000,
        )  # fmt: skip
        products = []
        for sku, name, film in (
            ("ACME-TEE-1", "Night Train tee", films[0]),
            ("ACME-POSTER-1", "Night Train poster", films[0]),
            ("ACME-TEE-2", "Dust & Gold tee", films[1]),
        ):
            category = Category.POSTERS if "POSTER" in sku else Category.APPAREL
            product = await make_product(session, agreement, film.id, sku=sku, name=name,
                                         category=category, stock=10,
                                         stage=ApprovalStage.DRAFT)  # fmt: skip
            await submit_product(
                session, product.id, merchant_id=merchant.id, comment="first concept", now=at
            )
            products.append(product)
        if sales:
            later = datetime(2025, 11, 2, tzinfo=UTC)
            lines = [
                SaleLine("test:1", products[0].id, 4, 10000, Channel.STOREFRONT, "US", at),
                SaleLine("test:2", products[1].id, 2, 3000, Channel.STOREFRONT, "US", at),
                SaleLine("test:3", products[2].id, 1, 2500, Channel.BUNDLE, "GB", at),
                SaleLine("test:4", products[0].id, 1, 2500, Channel.STOREFRONT, "US", later),
            ]
            await post_sales(session, lines, now=at)
        return StaffWorld(
            agreement.id,
            agreement.code,
            merchant.id,
            (films[0].id, films[1].id),
            tuple(p.id for p in products),
            tuple(p.sku for p in products),
        )
