"""What an order needs of seats, products and variants, and taking it (checkout phase 1):
one conditional update per row in the fixed lock order of `catalog.stock.take_items`, a
shortage said in the shopper's words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product, Showtime, Variant
from catalog.stock import Shortage, take_items
from kernel.errors import DomainError
from orders.cart import PricedItem
from orders.codes import OrderError


@dataclass(frozen=True)
class Needs:
    """Seats per showtime, units per product (without variants) and units per variant
    (with the product of each variant) that an order needs."""

    seats: dict[int, int]
    units: dict[int, int]
    variants: dict[int, int]
    variant_products: dict[int, int]

    def per_product(self) -> dict[int, int]:
        """Units per product, variants counted under their product."""
        totals = dict(self.units)
        for variant_id, qty in self.variants.items():
            product_id = self.variant_products[variant_id]
            totals[product_id] = totals.get(product_id, 0) + qty
        return totals


def needs_of(priced: list[PricedItem]) -> Needs:
    """What the order needs of seats, products and variants."""
    seats: dict[int, int] = defaultdict(int)
    units: dict[int, int] = defaultdict(int)
    variants: dict[int, int] = defaultdict(int)
    owners: dict[int, int] = {}
    for p in priced:
        if p.variant is not None:
            variants[p.variant.id] += p.quantity
            owners[p.variant.id] = p.variant.product_id
        elif p.product is not None:
            units[p.product.id] += p.quantity
        else:
            assert p.showtime is not None
            seats[p.showtime.id] += p.quantity
            if p.offer is not None:
                for component in p.offer.components:
                    variant = p.bundle_variants.get(component.position)
                    if variant is not None:
                        variants[variant.id] += component.qty * p.quantity
                        owners[variant.id] = variant.product_id
                    else:
                        units[component.product_id] += component.qty * p.quantity
    return Needs(dict(seats), dict(units), dict(variants), owners)


async def reserve_needs(session: AsyncSession, priced: list[PricedItem], needs: Needs) -> None:
    """Take every seat and unit the order needs (one conditional update each, in the fixed
    lock order of `take_items`); a shortage is said in the shopper's words."""
    try:
        await take_items(session, seats=needs.seats, units=needs.units, variants=needs.variants)
    except Shortage as short:
        if short.showtime_id is not None:
            left = await session.scalar(
                select(Showtime.capacity - Showtime.seats_taken).where(
                    Showtime.id == short.showtime_id
                )
            )
            what = next(
                p.description for p in priced if p.showtime and p.showtime.id == short.showtime_id
            )
            raise _sold_out(OrderError.SOLD_OUT, what, left or 0) from None
        if short.variant_id is not None:
            variant = await session.get(Variant, short.variant_id, populate_existing=True)
            what = next(
                (p.description for p in priced if p.variant and p.variant.id == short.variant_id),
                f"{variant.label} of a bundle" if variant else "a size",
            )
            raise _sold_out(
                OrderError.OUT_OF_STOCK, what, variant.stock if variant else 0
            ) from None
        product = await session.get(Product, short.product_id, populate_existing=True)
        name = product.name if product else f"product {short.product_id}"
        raise _sold_out(OrderError.OUT_OF_STOCK, name, product.stock if product else 0) from None


def _sold_out(code: OrderError, what: str, left: int) -> DomainError:
    if left <= 0:
        return DomainError(
            code, f"Sorry, {what} sold out while you were checking out.", "cart", {"what": what}
        )
    return DomainError(
        code,
        f"Sorry, only {left} left of {what}; please lower the quantity.",
        "cart",
        {"what": what, "left": left},
    )
