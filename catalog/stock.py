"""Reserving and returning stock and seats without ever overselling (SPEC §5, §6).

Every decrement is one conditional UPDATE (`... WHERE stock >= :n`) whose row count says
whether it happened, so two concurrent buyers can never both take the last unit, on SQLite
(writers serialized by BEGIN IMMEDIATE) and on PostgreSQL (the second UPDATE waits on the row
lock and re-checks the condition). A bundle takes its seat first, then its products by
ascending id — one fixed lock order, so two bundles never deadlock — inside a savepoint, so
either everything is taken or nothing is.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import BundleOffer, Product, Showtime
from tiein.errors import DomainError


def _check_qty(qty: int) -> None:
    if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
        raise DomainError(
            CatalogError.INVALID_QUANTITY, "The quantity must be a positive integer.", "quantity"
        )


async def take_stock(session: AsyncSession, product_id: int, qty: int) -> None:
    """Take `qty` units of a product, or OUT_OF_STOCK when fewer are left."""
    _check_qty(qty)
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock >= qty)
        .values(stock=Product.stock - qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            CatalogError.OUT_OF_STOCK,
            f"Not enough stock of product {product_id} for {qty}.",
            "quantity",
        )


async def return_stock(session: AsyncSession, product_id: int, qty: int) -> None:
    """Put `qty` units of a product back (a released reservation, a restocking refund)."""
    _check_qty(qty)
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock + qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(CatalogError.NOT_FOUND, f"No product {product_id}.", "product_id")


async def take_seats(session: AsyncSession, showtime_id: int, qty: int) -> None:
    """Take `qty` seats of a showtime, or SOLD_OUT when fewer are free."""
    _check_qty(qty)
    result = await session.execute(
        update(Showtime)
        .where(Showtime.id == showtime_id, Showtime.seats_taken + qty <= Showtime.capacity)
        .values(seats_taken=Showtime.seats_taken + qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            CatalogError.SOLD_OUT,
            f"Not enough free seats at showtime {showtime_id} for {qty}.",
            "quantity",
        )


async def return_seats(session: AsyncSession, showtime_id: int, qty: int) -> None:
    """Free `qty` seats of a showtime; freeing more than are taken is INVALID_QUANTITY."""
    _check_qty(qty)
    result = await session.execute(
        update(Showtime)
        .where(Showtime.id == showtime_id, Showtime.seats_taken >= qty)
        .values(seats_taken=Showtime.seats_taken - qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            f"Showtime {showtime_id} does not hold {qty} taken seats.",
            "quantity",
        )


def bundle_units(offer: BundleOffer, count: int) -> dict[int, int]:
    """Units per product (ascending id) that `count` bundles of `offer` need."""
    units: dict[int, int] = defaultdict(int)
    for component in offer.components:
        units[component.product_id] += component.qty * count
    return dict(sorted(units.items()))


async def take_bundle(
    session: AsyncSession, offer: BundleOffer, showtime_id: int, count: int
) -> None:
    """Take one seat per bundle and every component's units, all or nothing.

    Lock order: the showtime row first, then the products by ascending id. A refusal
    (SOLD_OUT or OUT_OF_STOCK) rolls back to a savepoint, so nothing stays taken and the
    caller's transaction remains usable."""
    _check_qty(count)
    async with session.begin_nested():
        await take_seats(session, showtime_id, count)
        for product_id, qty in bundle_units(offer, count).items():
            await take_stock(session, product_id, qty)


async def return_bundle(
    session: AsyncSession, offer: BundleOffer, showtime_id: int, count: int
) -> None:
    """Give back what `take_bundle(offer, showtime_id, count)` took (same lock order)."""
    _check_qty(count)
    await return_seats(session, showtime_id, count)
    for product_id, qty in bundle_units(offer, count).items():
        await return_stock(session, product_id, qty)
