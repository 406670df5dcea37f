"""Helpers of the order tests: a full cart, checking out, and reading back orders, stock,
seats and the ledger. The shop itself is `tests.factory.order_shop`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from catalog.models import Product, Showtime
from kernel.db import Database
from licensing.models import RoyaltyEntry
from orders.cart import Cart, CartItem
from orders.checkout import PlacedOrder, place_order
from orders.models import Order
from orders.payments import StripeGateway
from tests.factory import ADDRESSES, Shop


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
        shipping=ADDRESSES.get(country, {}),
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
