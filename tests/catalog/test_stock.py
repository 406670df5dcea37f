"""Reservations never oversell: conditional decrements, and `take_items` (the one reservation
path) takes a bundle's seat and merch all or nothing (SPEC §5-§6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.bundles import BundleOffer, create_bundle_offer, get_bundle_offer
from catalog.models import Product, Showtime
from catalog.products import adjust_stock
from catalog.stock import (
    Shortage,
    return_items,
    return_seats,
    return_stock,
    take_items,
    take_seats,
    take_stock,
)
from kernel.db import Database
from kernel.errors import DomainError
from tests.catalog.conftest import NOW, World


async def levels(db: Database, world: World) -> tuple[int, int, int]:
    """(seats taken, T-shirts in stock, posters in stock), read fresh."""
    async with db.read_session() as session:
        seats = await session.scalar(
            select(Showtime.seats_taken).where(Showtime.id == world.showtime.id)
        )
        stock = dict((await session.execute(select(Product.id, Product.stock))).all())
    return seats, stock[world.tshirt.id], stock[world.poster.id]


def bundle_needs(offer: BundleOffer, showtime_id: int, count: int) -> dict[str, dict[int, int]]:
    """What `count` bundles of `offer` take: one seat each, and every component's units."""
    units: dict[int, int] = {}
    for component in offer.components:
        units[component.product_id] = units.get(component.product_id, 0) + component.qty * count
    return {"seats": {showtime_id: count}, "units": units}


async def make_offer(db: Database, world: World, tshirts: int = 1) -> BundleOffer:
    async with db.session() as session:
        offer = await create_bundle_offer(
            session, film_id=world.film.id, code="SH-PACK", name="Pack", price_minor=19900,
            currency="USD", valid_from=NOW, valid_to=NOW + timedelta(days=30), per_order_limit=4,
            components=[(world.tshirt.id, tshirts), (world.poster.id, 1)],
        )  # fmt: skip
        return await get_bundle_offer(session, offer.id)


async def test_stock_and_seats_are_taken_and_returned(db: Database, world: World) -> None:
    async with db.session() as session:
        await take_stock(session, world.tshirt.id, 50)
        await take_seats(session, world.showtime.id, 100)
        with pytest.raises(DomainError) as no_stock:
            await take_stock(session, world.tshirt.id, 1)
        with pytest.raises(DomainError) as no_seat:
            await take_seats(session, world.showtime.id, 1)
        with pytest.raises(DomainError) as bad_qty:
            await take_stock(session, world.tshirt.id, 0)
    assert (no_stock.value.code, no_seat.value.code) == ("OUT_OF_STOCK", "SOLD_OUT")
    assert bad_qty.value.code == "INVALID_QUANTITY"
    assert await levels(db, world) == (100, 0, 50)
    async with db.session() as session:
        await return_stock(session, world.tshirt.id, 3)
        await return_seats(session, world.showtime.id, 2)
        with pytest.raises(DomainError) as too_many:
            await return_seats(session, world.showtime.id, 99)
    assert too_many.value.code == "INVALID_QUANTITY"
    assert await levels(db, world) == (98, 3, 50)


async def test_a_bundle_takes_its_seat_and_all_its_merch_or_nothing(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world, tshirts=2)
    async with db.session() as session:
        await adjust_stock(session, world.tshirt.id, -45, merchant_id=None)  # 5 T-shirts left
        await take_items(session, **bundle_needs(offer, world.showtime.id, 2))  # 1 left
        assert await levels(db, world) == (0, 50, 50)  # uncommitted: others see nothing yet
        with pytest.raises(Shortage) as refused:
            # Seats and posters would be there; the T-shirts are not: nothing is taken.
            await take_items(session, **bundle_needs(offer, world.showtime.id, 1))
        # The caller's transaction is still usable after the refusal.
        await take_stock(session, world.poster.id, 1)
    assert refused.value.code == "OUT_OF_STOCK"
    assert refused.value.product_id == world.tshirt.id
    assert await levels(db, world) == (2, 1, 47)
    async with db.session() as session:
        await return_items(session, **bundle_needs(offer, world.showtime.id, 2))
    assert await levels(db, world) == (0, 5, 49)


@pytest.mark.slow
async def test_thirty_concurrent_bundle_reservations_with_five_tshirts_left(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world)
    async with db.session() as session:
        await adjust_stock(session, world.tshirt.id, -45, merchant_id=None)

    async def reserve() -> bool:
        try:
            async with db.session() as session:
                await take_items(session, **bundle_needs(offer, world.showtime.id, 1))
        except DomainError as refused:
            assert refused.code == "OUT_OF_STOCK"
            return False
        return True

    results = await asyncio.gather(*(reserve() for _ in range(30)))
    assert sum(results) == 5
    # Exactly five seats and five posters went with the five T-shirts; nothing negative.
    assert await levels(db, world) == (5, 0, 45)
