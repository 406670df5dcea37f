"""Reserving and returning stock and seats without ever overselling (SPEC §5, §6).

Every decrement is one conditional UPDATE (`... WHERE stock >= :n`) whose row count says
whether it happened, so two concurrent buyers can never both take the last unit, on SQLite
(writers serialized by BEGIN IMMEDIATE) and on PostgreSQL (the second UPDATE waits on the row
lock and re-checks the condition). An order's items — its seats, its products, a bundle's
seat and merch — are reserved by `take_items` alone: showtimes first, then products by
ascending id (one fixed lock order, so two checkouts never deadlock), inside a savepoint, so
either everything is taken or nothing is; `return_items` releases them.

A product with variants keeps its stock per variant, and its own `stock` is the sum of its
variants' (so that everything reading a product's stock — lists, alerts, audit — stays true).
Taking units of a variant takes them from the product's total and then, conditionally, from
the variant, in one lock order for every taker: showtimes, products (plain ones and those of
the variants) by ascending id, then variants by ascending id.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import Product, Showtime, Variant
from kernel.errors import DomainError


def _check_qty(qty: int) -> None:
    if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
        raise DomainError(
            CatalogError.INVALID_QUANTITY, "The quantity must be a positive integer.", "quantity"
        )


async def _take_units(
    session: AsyncSession, model: type[Product] | type[Variant], row_id: int, qty: int
) -> None:
    """Take `qty` units of a product's or variant's stock in one conditional UPDATE, or
    OUT_OF_STOCK when fewer are left (DESIGN §3: never read-then-write)."""
    _check_qty(qty)
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.stock >= qty)
        .values(stock=model.stock - qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        what = "variant" if model is Variant else "product"
        raise DomainError(
            CatalogError.OUT_OF_STOCK, f"Not enough stock of {what} {row_id} for {qty}.", "quantity"
        )


async def _return_units(
    session: AsyncSession, model: type[Product] | type[Variant], row_id: int, qty: int
) -> None:
    """Put `qty` units back on a product's or variant's stock (NOT_FOUND for no such row)."""
    _check_qty(qty)
    result = await session.execute(
        update(model)
        .where(model.id == row_id)
        .values(stock=model.stock + qty)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        what = "variant" if model is Variant else "product"
        raise DomainError(CatalogError.NOT_FOUND, f"No {what} {row_id}.", f"{what}_id")


async def take_stock(session: AsyncSession, product_id: int, qty: int) -> None:
    """Take `qty` units of a product, or OUT_OF_STOCK when fewer are left."""
    await _take_units(session, Product, product_id, qty)


async def return_stock(session: AsyncSession, product_id: int, qty: int) -> None:
    """Put `qty` units of a product back (a released reservation, a restocking refund)."""
    await _return_units(session, Product, product_id, qty)


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


class Shortage(DomainError):
    """`take_items` could not take what was asked of one showtime, product or variant (a
    variant's shortage names its product too)."""

    def __init__(
        self,
        error: DomainError,
        *,
        showtime_id: int | None = None,
        product_id: int | None = None,
        variant_id: int | None = None,
    ) -> None:
        super().__init__(error.code, error.message, error.field)
        self.showtime_id = showtime_id
        self.product_id = product_id
        self.variant_id = variant_id


def _in_lock_order(items: Mapping[int, int]) -> list[tuple[int, int]]:
    return sorted(items.items())


async def _with_variant_totals(
    session: AsyncSession, units: Mapping[int, int], variants: Mapping[int, int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Units per product (plain products plus the totals of the variants' products) and the
    product of each variant (one SELECT, no lock; a variant's product never changes)."""
    for qty in variants.values():
        _check_qty(qty)
    totals = dict(units)
    owners: dict[int, int] = {}
    if variants:
        rows = await session.execute(
            select(Variant.id, Variant.product_id).where(Variant.id.in_(list(variants)))
        )
        owners = {variant_id: product_id for variant_id, product_id in rows.all()}
        missing = sorted(set(variants) - set(owners))
        if missing:
            raise DomainError(CatalogError.NOT_FOUND, f"No variant {missing[0]}.", "variant_id")
        for variant_id, qty in variants.items():
            totals[owners[variant_id]] = totals.get(owners[variant_id], 0) + qty
    return totals, owners


async def take_items(
    session: AsyncSession,
    *,
    seats: Mapping[int, int],
    units: Mapping[int, int],
    variants: Mapping[int, int] | None = None,
) -> None:
    """Take `seats` (per showtime id), `units` (per product id, products without variants)
    and `variants` (units per variant id), all or nothing: the one way stock and seats are
    reserved (checkout, and a late payment taking its items again).

    Lock order: showtimes first, then products, then variants, each by ascending id, so two
    takers never deadlock. A refusal is a `Shortage` naming the row that fell short; it rolls
    back to a savepoint, so nothing stays taken and the caller's transaction remains usable."""
    variants = variants or {}
    async with session.begin_nested():
        totals, owners = await _with_variant_totals(session, units, variants)
        for showtime_id, qty in _in_lock_order(seats):
            try:
                await take_seats(session, showtime_id, qty)
            except DomainError as exc:
                raise Shortage(exc, showtime_id=showtime_id) from None
        for product_id, qty in _in_lock_order(totals):
            try:
                await take_stock(session, product_id, qty)
            except DomainError as exc:
                raise Shortage(exc, product_id=product_id) from None
        for variant_id, qty in _in_lock_order(variants):
            try:
                await _take_units(session, Variant, variant_id, qty)
            except DomainError as exc:
                raise Shortage(exc, product_id=owners[variant_id], variant_id=variant_id) from None


async def return_items(
    session: AsyncSession,
    *,
    seats: Mapping[int, int],
    units: Mapping[int, int],
    variants: Mapping[int, int] | None = None,
) -> None:
    """Give back what `take_items(seats=..., units=..., variants=...)` took, in the same
    lock order."""
    variants = variants or {}
    totals, _ = await _with_variant_totals(session, units, variants)
    for showtime_id, qty in _in_lock_order(seats):
        await return_seats(session, showtime_id, qty)
    for product_id, qty in _in_lock_order(totals):
        await return_stock(session, product_id, qty)
    for variant_id, qty in _in_lock_order(variants):
        await _return_units(session, Variant, variant_id, qty)


async def take_variant_stock(session: AsyncSession, variant_id: int, qty: int) -> None:
    """Take `qty` units of one variant (and of its product's total), or a Shortage."""
    await take_items(session, seats={}, units={}, variants={variant_id: qty})


async def return_variant_stock(session: AsyncSession, variant_id: int, qty: int) -> None:
    """Put `qty` units of one variant back (and into its product's total)."""
    await return_items(session, seats={}, units={}, variants={variant_id: qty})
