"""A small licensed world for catalog tests: a franchise film, a merchant with an active
agreement (US and JP, storefront + bundle channels, apparel and posters), approved products,
a cinema and a showtime. Built with the real services, committed, on both databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.films import create_cinema, create_film
from catalog.models import ApprovalStage, Category, Cinema, Film, Product, Showtime
from catalog.products import create_product
from catalog.showtimes import create_showtime
from kernel.db import Database
from licensing.agreements import create_agreement
from licensing.models import (
    Agreement,
    AgreementStatus,
    Channel,
    Merchant,
)
from orders.models import LineKind, Order, OrderLine

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


async def add_merchant(session: AsyncSession, slug: str) -> Merchant:
    merchant = Merchant(slug=slug, name=slug.title(), country="US", contact_email=f"{slug}@x.io")
    session.add(merchant)
    await session.flush()
    return merchant


async def add_agreement(
    session: AsyncSession,
    merchant: Merchant,
    films: list[Film],
    *,
    code: str,
    currency: str = "USD",
    territories: tuple[str, ...] = ("US", "JP"),
    channels: tuple[Channel, ...] = (Channel.STOREFRONT, Channel.BUNDLE),
    categories: tuple[Category, ...] = (Category.APPAREL, Category.POSTERS),
    status: AgreementStatus = AgreementStatus.ACTIVE,
) -> Agreement:
    return await create_agreement(
        session,
        code=code,
        merchant_id=merchant.id,
        film_ids=[f.id for f in films],
        categories=categories,
        territories=territories,
        channels=channels,
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
        currency=currency,
        rate_bps=1000,
        status=status,
    )


async def approve(session: AsyncSession, *products: Product) -> None:
    await session.execute(
        update(Product)
        .where(Product.id.in_([p.id for p in products]))
        .values(approval_stage=ApprovalStage.APPROVED)
    )
    for product in products:
        product.approval_stage = ApprovalStage.APPROVED


@dataclass
class World:
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


async def build_world(session: AsyncSession) -> World:
    film = await create_film(
        session, slug="star-harbor", title="Star Harbor", release_date=date(2026, 6, 1),
        runtime_minutes=121, franchise_slug="harbor-saga",
    )  # fmt: skip
    sequel = await create_film(
        session, slug="star-harbor-2", title="Star Harbor II", release_date=date(2027, 6, 1),
        runtime_minutes=130, franchise_slug="harbor-saga",
    )  # fmt: skip
    other = await create_film(
        session, slug="quiet-field", title="Quiet Field", release_date=date(2026, 5, 1),
        runtime_minutes=95,
    )  # fmt: skip
    merchant = await add_merchant(session, "threadworks")
    rival = await add_merchant(session, "rivalco")
    agreement = await add_agreement(session, merchant, [film, sequel, other], code="LA-2026-0001")
    rival_agreement = await add_agreement(session, rival, [film], code="LA-2026-0002")
    tshirt = await create_product(
        session, merchant_id=merchant.id, agreement_id=agreement.id, film_id=film.id,
        sku="SH-TEE-M", name="Star Harbor T-shirt", category=Category.APPAREL,
        price_minor=12900, currency="USD", stock=50,
    )  # fmt: skip
    poster = await create_product(
        session, merchant_id=merchant.id, agreement_id=agreement.id, film_id=film.id,
        sku="SH-POSTER", name="Star Harbor poster", category=Category.POSTERS,
        price_minor=3900, currency="USD", stock=50,
    )  # fmt: skip
    await approve(session, tshirt, poster)
    cinema = await create_cinema(session, name="Harbor Lights", city="Boston", country="us")
    showtime = await create_showtime(
        session, film_id=film.id, cinema_id=cinema.id, starts_at=NOW + timedelta(days=2),
        capacity=100, price_minor=6000, currency="USD", now=NOW,
    )  # fmt: skip
    return World(
        film, other, sequel, merchant, rival, agreement, rival_agreement, tshirt, poster,
        cinema, showtime,
    )  # fmt: skip


async def add_order_line(
    session: AsyncSession, showtime: Showtime, quantity: int, *, number: str = "T-1"
) -> OrderLine:
    order = Order(
        number=number, access_key_hash="0" * 64, email="fan@example.com", country="US",
        currency="USD", total_minor=showtime.price_minor * quantity, expires_at=NOW,
    )  # fmt: skip
    session.add(order)
    await session.flush()
    line = OrderLine(
        order_id=order.id, kind=LineKind.TICKET, showtime_id=showtime.id, quantity=quantity,
        unit_price_minor=showtime.price_minor, total_minor=showtime.price_minor * quantity,
    )  # fmt: skip
    session.add(line)
    await session.flush()
    return line


@pytest.fixture
async def world(db: Database) -> World:
    """The world above, committed (each test then works in sessions of its own)."""
    async with db.session() as session:
        return await build_world(session)
