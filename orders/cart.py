"""The shopper's cart: plain data kept in the signed session cookie, priced and checked here.

A cart is a list of items — a product (SKU and quantity; the SKU of one of its variants for
a product with variants), tickets (showtime and quantity) or
bundles (offer, showtime and quantity) — with no prices in it: prices, stock and the
licensing rules are read fresh whenever the cart is shown and again at checkout. Every
refusal is a DomainError whose message says why in words ("not licensed for sale in Japan").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.bundles import chooses_variant
from catalog.models import BundleComponent, BundleOffer, Product, Showtime, Variant
from catalog.variants import variant_by_sku
from kernel.errors import DomainError
from licensing.models import Channel
from licensing.sellable import check_sellable
from orders.availability import offer_availability
from orders.cart_items import MAX_ITEMS, MAX_QUANTITY, SESSION_KEY, Cart, CartItem
from orders.codes import OrderError
from orders.models import LineKind

__all__ = ["MAX_ITEMS", "MAX_QUANTITY", "SESSION_KEY", "Cart", "CartItem"]


@dataclass
class PricedItem:
    """A cart item with what it is and what it costs now. The ORM objects are loaded with
    what checkout needs (a bundle's components and products; a showtime's film and cinema)."""

    item: CartItem
    description: str
    currency: str
    unit_price_minor: int
    product: Product | None = None
    showtime: Showtime | None = None
    offer: BundleOffer | None = None
    variant: Variant | None = None  # the variant of `product` bought, when it has variants
    # A bundle's fixed and chosen variants, by component position.
    bundle_variants: dict[int, Variant] = field(default_factory=dict)

    @property
    def kind(self) -> LineKind:
        return self.item.kind

    @property
    def quantity(self) -> int:
        return self.item.qty

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.item.qty

    @property
    def bundle_sizes(self) -> list[str]:
        """A bundle's sizes in words ("Lighthouse tee M"), by component position."""
        if self.offer is None:
            return []
        return [
            f"{c.product.name} {self.bundle_variants[c.position].label}"
            for c in self.offer.components
            if c.position in self.bundle_variants
        ]

    @property
    def territory(self) -> str:
        """Where the sale happens: the shipping country for merch is given at checkout;
        tickets and bundles are sold in the cinema's country."""
        return self.showtime.cinema.country if self.showtime is not None else ""


def _when(starts_at: datetime) -> str:
    return f"{starts_at:%a %d %b %Y, %H:%M} UTC"


async def load_item(session: AsyncSession, item: CartItem) -> PricedItem:
    """What an item is and its price now, or UNKNOWN_* when it no longer exists."""
    if item.kind == LineKind.PRODUCT:
        product = await session.scalar(
            select(Product).where(Product.sku == item.sku).execution_options(populate_existing=True)
        )
        variant = None
        if product is None and (variant := await variant_by_sku(session, item.sku)) is not None:
            product = await session.get(Product, variant.product_id, populate_existing=True)
        if product is None:
            raise DomainError(
                OrderError.UNKNOWN_PRODUCT, f"No product {item.sku!r}.", "sku", {"sku": item.sku}
            )
        if variant is None:
            return PricedItem(item, product.name, product.currency, product.price_minor, product)
        return PricedItem(
            item,
            f"{product.name} ({variant.label})",
            product.currency,
            variant.price_minor or product.price_minor,
            product,
            variant=variant,
        )
    showtime = await session.scalar(
        select(Showtime)
        .where(Showtime.id == item.showtime_id)
        .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
        .execution_options(populate_existing=True)
    )
    if showtime is None:
        raise DomainError(OrderError.UNKNOWN_SHOWTIME, "This showtime does not exist.", "showtime")
    where = f"{showtime.film.title} at {showtime.cinema.name}, {_when(showtime.starts_at)}"
    if item.kind == LineKind.TICKET:
        return PricedItem(
            item, f"Ticket: {where}", showtime.currency, showtime.price_minor, showtime=showtime
        )
    offer = await session.scalar(
        select(BundleOffer)
        .where(BundleOffer.id == item.offer_id)
        .options(selectinload(BundleOffer.components).selectinload(BundleComponent.product))
        .execution_options(populate_existing=True)
    )
    if offer is None:
        raise DomainError(OrderError.UNKNOWN_BUNDLE, "This bundle does not exist.", "offer")
    chosen = await _bundle_variants(session, offer, dict(item.choices))
    sizes = ", ".join(
        f"{c.product.name} {chosen[c.position].label}"
        for c in offer.components
        if c.position in chosen and chooses_variant(c)
    )
    return PricedItem(
        item,
        f"{offer.name}: {where}" + (f" ({sizes})" if sizes else ""),
        offer.currency,
        offer.price_minor,
        showtime=showtime,
        offer=offer,
        bundle_variants=chosen,
    )


async def _bundle_variants(
    session: AsyncSession, offer: BundleOffer, choices: dict[int, int]
) -> dict[int, Variant]:
    """The variant of each component that has one: fixed by the offer, or chosen by the
    shopper (VARIANT_REQUIRED when a choice is missing or names another product's variant)."""
    wanted = {c.position: c.variant_id for c in offer.components if c.variant_id}
    for c in offer.components:
        if chooses_variant(c):
            wanted[c.position] = choices.get(c.position, 0)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Variant)
        .where(Variant.id.in_(sorted(set(wanted.values()))))
        .execution_options(populate_existing=True)
    )
    found = {v.id: v for v in rows}
    chosen: dict[int, Variant] = {}
    for c in offer.components:
        variant = found.get(wanted.get(c.position, 0))
        if c.position not in wanted:
            continue
        if variant is None or variant.product_id != c.product_id:
            raise DomainError(
                OrderError.VARIANT_REQUIRED,
                f"Please choose the {' and '.join(c.product.options)} of {c.product.name}.",
                "choices",
                {"product": c.product.name},
            )
        chosen[c.position] = variant
    return chosen


async def check_item(
    session: AsyncSession, priced: PricedItem, *, country: str, now: datetime
) -> None:
    """Refuse an item that may not be sold now: quantity, licensing (SPEC §3: merch through
    the storefront in the shopper's `country`; bundle merch through the bundle channel in
    the cinema's country), a started showtime, stock and seats."""
    item = priced.item
    if not 1 <= item.qty <= MAX_QUANTITY:
        raise DomainError(
            OrderError.INVALID_QUANTITY,
            f"Choose between 1 and {MAX_QUANTITY}.",
            "quantity",
            {"max": MAX_QUANTITY},
        )
    if priced.product is not None:
        product = priced.product
        await check_sellable(session, product, country, now.date(), Channel.STOREFRONT)
        if product.options and priced.variant is None:
            raise DomainError(
                OrderError.VARIANT_REQUIRED,
                f"Please choose the {' and '.join(product.options)} of {product.name}.",
                "sku",
                {"product": product.name},
            )
        stock = priced.variant.stock if priced.variant is not None else product.stock
        if stock < item.qty:
            raise _short(OrderError.OUT_OF_STOCK, priced.description, stock)
        return
    showtime = priced.showtime
    assert showtime is not None
    if showtime.film.archived_at is not None:  # staff archived the film: nothing of it is sold
        raise DomainError(
            OrderError.UNKNOWN_SHOWTIME, "This showtime is no longer on sale.", "showtime"
        )
    if showtime.starts_at <= now:
        raise DomainError(
            OrderError.SHOWTIME_STARTED,
            f"{showtime.film.title} at {_when(showtime.starts_at)} has already started.",
            "showtime",
            {"film": showtime.film.title},
        )
    if priced.offer is None:
        if showtime.seats_left < item.qty:
            raise _short(
                OrderError.SOLD_OUT, f"seats for {showtime.film.title}", showtime.seats_left
            )
        return
    offer = priced.offer
    if item.qty > offer.per_order_limit:
        raise DomainError(
            OrderError.LIMIT_EXCEEDED,
            f"{offer.name}: at most {offer.per_order_limit} per order.",
            "quantity",
            {"offer": offer.name, "limit": offer.per_order_limit},
        )
    availability = await offer_availability(session, offer, showtime, now=now)
    if availability.available == 0:
        raise DomainError(
            availability.refusal or OrderError.BUNDLE_NOT_AVAILABLE,
            f"{offer.name}: {availability.message or 'not available for this showtime.'}",
            "offer",
            {"offer": offer.name, **availability.params},
        )
    if availability.available < item.qty:
        raise _short(OrderError.SOLD_OUT, offer.name, availability.available)
    # A component's variant (a size) must be there too: its stock // qty (SPEC §5).
    for component in offer.components:
        variant = priced.bundle_variants.get(component.position)
        if variant is not None and variant.stock // component.qty < item.qty:
            what = f"{component.product.name} ({variant.label})"
            raise _short(OrderError.OUT_OF_STOCK, what, variant.stock // component.qty)


def _short(code: OrderError, what: str, left: int) -> DomainError:
    if left <= 0:
        return DomainError(code, f"Sorry, {what} is sold out.", "quantity", {"what": what})
    return DomainError(
        code, f"Sorry, only {left} left of {what}.", "quantity", {"what": what, "left": left}
    )


async def price_item(
    session: AsyncSession, item: CartItem, *, country: str, now: datetime
) -> PricedItem:
    """Load and check one item (see `check_item`)."""
    priced = await load_item(session, item)
    await check_item(session, priced, country=country, now=now)
    return priced


def check_cart_rules(priced: list[PricedItem]) -> None:
    """Rules across lines: one currency per order, a bundle's per-order limit over all its
    lines, and at most MAX_ITEMS lines."""
    if len(priced) > MAX_ITEMS:
        raise DomainError(
            OrderError.CART_FULL,
            f"A cart holds {MAX_ITEMS} lines at most.",
            params={"max": MAX_ITEMS},
        )
    currencies = {p.currency for p in priced}
    if len(currencies) > 1:
        raise DomainError(
            OrderError.CURRENCY_MISMATCH,
            "An order is paid in one currency; your cart mixes "
            + " and ".join(sorted(currencies))
            + ". Please buy them in separate orders.",
            "currency",
            {"currencies": " / ".join(sorted(currencies))},
        )
    per_offer: dict[int, int] = {}
    for p in priced:
        if p.offer is not None:
            per_offer[p.offer.id] = per_offer.get(p.offer.id, 0) + p.quantity
            if per_offer[p.offer.id] > p.offer.per_order_limit:
                raise DomainError(
                    OrderError.LIMIT_EXCEEDED,
                    f"{p.offer.name}: at most {p.offer.per_order_limit} per order.",
                    "quantity",
                    {"offer": p.offer.name, "limit": p.offer.per_order_limit},
                )


async def add_to_cart(
    session: AsyncSession, cart: Cart, item: CartItem, *, country: str, now: datetime
) -> Cart:
    """The cart with `item` added, once the item (with the quantity already in the cart) may
    be sold: licensed here and now, in stock, within limits, in the cart's currency."""
    new_cart = cart.with_item(item)
    if len(new_cart) > MAX_ITEMS:
        raise DomainError(
            OrderError.CART_FULL,
            f"A cart holds {MAX_ITEMS} lines at most.",
            params={"max": MAX_ITEMS},
        )
    merged = next(i for i in new_cart.items if i.key == item.key)
    priced = await price_item(session, merged, country=country, now=now)
    others: list[PricedItem] = [priced]
    for other in new_cart.items:
        if other.key == item.key:
            continue
        try:
            others.append(await load_item(session, other))
        except DomainError:
            continue  # a vanished line is reported by the cart summary, not here
    check_cart_rules(others)
    return new_cart
