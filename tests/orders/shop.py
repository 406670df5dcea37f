"""A small shop for the order tests: one film, a US cinema and showtime, a licensee whose
agreement covers the US and GB (storefront and bundle channels), a T-shirt, a poster and a
ticket-plus-shirt-plus-two-posters bundle. Rows are written directly, then committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from catalog.models import (
    ApprovalStage,
    BundleComponent,
    BundleOffer,
    Category,
    Cinema,
    Film,
    Product,
    Showtime,
)
from kernel.db import Database
from licensing.agreements import create_agreement
from licensing.models import (
    AgreementStatus,
    Channel,
    Merchant,
    RoyaltyEntry,
)
from orders.cart import Cart, CartItem
from orders.checkout import PlacedOrder, place_order
from orders.models import Order
from orders.payments import StripeGateway

SHIRT_PRICE = 2500
POSTER_PRICE = 1500
TICKET_PRICE = 1200
BUNDLE_PRICE = 4000


@dataclass(frozen=True)
class Shop:
    film_id: int
    shirt_id: int
    poster_id: int
    showtime_id: int
    offer_id: int
    agreement_id: int
    shirt_sku: str = "TEE-1"
    poster_sku: str = "POSTER-1"


async def build_shop(
    db: Database, *, now: datetime, shirt_stock: int = 50, poster_stock: int = 50, seats: int = 100
) -> Shop:
    today = now.date()
    async with db.session() as s:
        film = Film(
            slug="night-harbor", title="Night Harbor", release_date=today, runtime_minutes=110
        )
        cinema = Cinema(name="Grand Lumiere", city="Springfield", country="US")
        merchant = Merchant(slug="acme", name="Acme", country="US", contact_email="a@acme.test")
        s.add_all([film, cinema, merchant])
        await s.flush()
        agreement = await create_agreement(
            s,
            code="LA-2026-0001",
            merchant_id=merchant.id,
            film_ids=[film.id],
            categories=[Category.APPAREL, Category.POSTERS],
            territories=["US", "GB"],
            channels=[Channel.STOREFRONT, Channel.BUNDLE],
            start_date=today - timedelta(days=30),
            end_date=today + timedelta(days=365),
            currency="USD",
            rate_bps=1000,
            status=AgreementStatus.ACTIVE,
        )
        common = {
            "merchant_id": merchant.id,
            "agreement_id": agreement.id,
            "film_id": film.id,
            "currency": "USD",
            "approval_stage": ApprovalStage.APPROVED,
        }
        shirt = Product(
            sku="TEE-1",
            name="Lighthouse tee",
            category=Category.APPAREL,
            price_minor=SHIRT_PRICE,
            stock=shirt_stock,
            **common,
        )
        poster = Product(
            sku="POSTER-1",
            name="Teaser poster",
            category=Category.POSTERS,
            price_minor=POSTER_PRICE,
            stock=poster_stock,
            **common,
        )
        showtime = Showtime(
            film_id=film.id,
            cinema_id=cinema.id,
            starts_at=now + timedelta(days=2),
            capacity=seats,
            price_minor=TICKET_PRICE,
            currency="USD",
        )
        s.add_all([shirt, poster, showtime])
        await s.flush()
        offer = BundleOffer(
            code="premiere",
            film_id=film.id,
            name="Premiere pack",
            price_minor=BUNDLE_PRICE,
            currency="USD",
            valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30),
            per_order_limit=4,
        )
        s.add(offer)
        await s.flush()
        s.add_all(
            [
                BundleComponent(offer_id=offer.id, position=1, product_id=shirt.id, qty=1),
                BundleComponent(offer_id=offer.id, position=2, product_id=poster.id, qty=2),
            ]
        )
        return Shop(film.id, shirt.id, poster.id, showtime.id, offer.id, agreement.id)


def full_cart(shop: Shop) -> Cart:
    """Two shirts, one ticket and one bundle: 5000 + 1200 + 4000 = 10200 minor units."""
    return (
        Cart()
        .with_item(CartItem.product(shop.shirt_sku, 2))
        .with_item(CartItem.ticket(shop.showtime_id, 1))
        .with_item(CartItem.bundle(shop.offer_id, shop.showtime_id, 1))
    )


async def checkout(
    db: Database, cart: Cart, gateway: StripeGateway, *, now: datetime, country: str = "US"
) -> PlacedOrder:
    return await place_order(
        db,
        cart,
        email="fan@example.com",
        country=country,
        shipping_name="Ada Fan",
        shipping_address="1 Harbor Road, Springfield",
        now=now,
        gateway=gateway,
    )


async def fetch_order(db: Database, order_id: int) -> Order:
    async with db.read_session() as s:
        order = await s.get(Order, order_id)
        assert order is not None
        return order


async def stock_of(db: Database, product_id: int) -> int:
    async with db.read_session() as s:
        return int(await s.scalar(select(Product.stock).where(Product.id == product_id)) or 0)


async def seats_taken(db: Database, showtime_id: int) -> int:
    async with db.read_session() as s:
        return int(
            await s.scalar(select(Showtime.seats_taken).where(Showtime.id == showtime_id)) or 0
        )


async def count(db: Database, model: type, *where: object) -> int:
    async with db.read_session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def ledger(db: Database) -> list[RoyaltyEntry]:
    async with db.read_session() as s:
        return list(await s.scalars(select(RoyaltyEntry).order_by(RoyaltyEntry.id)))
