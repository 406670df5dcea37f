"""Ticket-plus-merch bundle offers and the split of their price (SPEC §5).

Price against parts. A bundle is one ticket of a showtime the shopper picks plus fixed merch,
so "the sum of the standalone prices" depends on the showtime. We check it twice:
- on create, against the merch's standalone prices plus the *cheapest* ticket of the film's
  showtimes (in the offer currency) that start inside the offer window: a bundle dearer than
  its parts bought separately at that showtime is refused (BUNDLE_PRICE_ABOVE_PARTS). When no
  such showtime exists yet, only the per-showtime check below applies;
- per showtime, in `orders.availability`: a showtime at which the bundle costs more than its
  parts (e.g. a cheap matinee added later) offers it as unavailable with the same code.
A price below the parts (a discount) is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.codes import CatalogError
from catalog.models import (
    ApprovalStage,
    BundleComponent,
    BundleOffer,
    Film,
    Product,
    Showtime,
    Variant,
)
from kernel.errors import DomainError
from kernel.money import allocate, check_currency


@dataclass(frozen=True)
class BundlePart:
    """One component's share of a bundle's price. `product_id` None is the ticket part;
    `amount_minor` is per bundle."""

    position: int
    product_id: int | None
    qty: int
    amount_minor: int
    merchant_id: int | None = None
    variant_id: int | None = None  # the component's fixed or chosen variant, if any


def allocate_bundle_price(price_minor: int, weights: Sequence[int]) -> list[int]:
    """SPEC §5: a_i = floor(P * w_i / W), the units left one each to the largest remainders
    (P * w_i) mod W, ties to the earlier component. The parts add up to P exactly."""
    return allocate(price_minor, weights)


def merch_value(offer: BundleOffer) -> int:
    """The standalone price of one bundle's merch (components with products loaded)."""
    return sum(c.product.price_minor * c.qty for c in offer.components)


def chooses_variant(component: BundleComponent) -> bool:
    """Whether the shopper picks this component's variant (a size) when buying the bundle:
    it says so, or its product has variants and the component names none (product loaded)."""
    return component.choose_variant or (
        component.variant_id is None and bool(component.product.options)
    )


def bundle_weights(offer: BundleOffer, showtime: Showtime) -> list[int]:
    """w_i of SPEC §5 in part order: the showtime's ticket price, then each merch component's
    standalone unit price * qty (position order; components with products loaded)."""
    components = sorted(offer.components, key=lambda c: c.position)
    return [showtime.price_minor] + [c.product.price_minor * c.qty for c in components]


def allocate_bundle(
    offer: BundleOffer, showtime: Showtime, choices: Mapping[int, int] | None = None
) -> list[BundlePart]:
    """Split the offer's price over the ticket of `showtime` (position 0, weighted by the
    showtime's price) and the merch components (position order, weighted by standalone unit
    price * qty; a component with a choice of variant weighs by its product's base price,
    whatever the variant, SPEC §5). `choices` maps a component's position to the variant
    chosen; each part carries its variant. Pure: needs `offer.components` with their
    products loaded."""
    choices = choices or {}
    if showtime.film_id != offer.film_id:
        raise DomainError(
            CatalogError.SHOWTIME_NOT_OF_FILM,
            "The showtime is not of the offer's film.",
            "showtime_id",
        )
    if showtime.currency != offer.currency:
        raise DomainError(
            CatalogError.CURRENCY_MISMATCH,
            f"The showtime is priced in {showtime.currency}, the bundle in {offer.currency}.",
            "showtime_id",
        )
    components = sorted(offer.components, key=lambda c: c.position)
    weights = bundle_weights(offer, showtime)
    amounts = allocate_bundle_price(offer.price_minor, weights)
    parts = [BundlePart(0, None, 1, amounts[0])]
    parts += [
        BundlePart(
            c.position,
            c.product_id,
            c.qty,
            amount,
            c.product.merchant_id,
            c.variant_id or choices.get(c.position),
        )
        for c, amount in zip(components, amounts[1:], strict=True)
    ]
    return parts


async def create_bundle_offer(
    session: AsyncSession,
    *,
    film_id: int,
    code: str,
    name: str,
    price_minor: int,
    currency: str,
    valid_from: datetime,
    valid_to: datetime,
    per_order_limit: int,
    components: Sequence[tuple[int, int]],
    description: str = "",
    fixed_variants: Mapping[int, int] | None = None,
) -> BundleOffer:
    """Create a film's bundle offer (staff).

    Rules: a unique code; price > 0; valid_from < valid_to (aware); per-order limit >= 1;
    at least one merch component, each product once, qty >= 1; every component a product of
    the offer's film or of a film of the same franchise; one currency everywhere; the price
    not above its parts (see the module docstring). A component of a product with variants
    lets the shopper choose one, unless `fixed_variants` (product id -> variant id, a variant
    of that product) fixes it."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise DomainError(CatalogError.INVALID, "An offer needs a code (64 chars at most).", "code")
    name = (name or "").strip()
    if not name:
        raise DomainError(CatalogError.INVALID, "An offer needs a name.", "name")
    if not isinstance(price_minor, int) or price_minor <= 0:
        raise DomainError(
            CatalogError.INVALID_PRICE, "The bundle price must be positive.", "price_minor"
        )
    currency = check_currency(currency)
    if valid_from.tzinfo is None or valid_to.tzinfo is None:
        raise DomainError(
            CatalogError.INVALID_WINDOW, "The window needs aware times.", "valid_from"
        )
    if valid_to <= valid_from:
        raise DomainError(
            CatalogError.INVALID_WINDOW, "valid_to must come after valid_from.", "valid_to"
        )
    if not isinstance(per_order_limit, int) or per_order_limit < 1:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            "The per-order limit must be at least 1.",
            "per_order_limit",
        )
    if not components:
        raise DomainError(
            CatalogError.EMPTY_BUNDLE,
            "A bundle needs at least one merch component.",
            "components",
        )
    product_ids = [product_id for product_id, _ in components]
    if len(set(product_ids)) != len(product_ids):
        raise DomainError(
            CatalogError.DUPLICATE_COMPONENT,
            "Each product appears once; use its quantity instead.",
            "components",
        )
    for _, qty in components:
        if not isinstance(qty, int) or qty < 1:
            raise DomainError(
                CatalogError.INVALID_QUANTITY,
                "Each component's quantity must be at least 1.",
                "components",
            )

    film = await session.get(Film, film_id)
    if film is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No film {film_id}.", "film_id")
    if film.archived_at is not None:
        raise DomainError(
            CatalogError.FILM_ARCHIVED,
            f"{film.title} is archived: bring it back before offering bundles of it.",
            "film_id",
        )
    if await session.scalar(select(BundleOffer.id).where(BundleOffer.code == code)) is not None:
        raise DomainError(CatalogError.DUPLICATE, f"An offer {code!r} exists already.", "code")
    rows = (
        await session.execute(
            select(Product, Film.franchise_id, Film.archived_at)
            .join(Film, Film.id == Product.film_id)
            .where(Product.id.in_(product_ids))
        )
    ).all()
    found = {product.id: (product, franchise_id) for product, franchise_id, _ in rows}
    archived = {product.id for product, _, archived_at in rows if archived_at is not None}
    for product_id in product_ids:
        if product_id not in found:
            raise DomainError(CatalogError.NOT_FOUND, f"No product {product_id}.", "components")
        product, franchise_id = found[product_id]
        if product_id in archived:
            raise DomainError(
                CatalogError.FILM_ARCHIVED,
                f"{product.sku} is merch of an archived film, which is not sold.",
                "components",
            )
        same_film = product.film_id == film.id
        same_franchise = film.franchise_id is not None and franchise_id == film.franchise_id
        if not (same_film or same_franchise):
            raise DomainError(
                CatalogError.COMPONENT_NOT_OF_FILM,
                f"{product.sku} is merch of another film, not of this film or its franchise.",
                "components",
            )
        if product.currency != currency:
            raise DomainError(
                CatalogError.CURRENCY_MISMATCH,
                f"{product.sku} is priced in {product.currency}, the bundle in {currency}.",
                "currency",
            )
        # A bundle is public: it may only show merch that has passed approval (approval is
        # final, so its components stay approved).
        if product.approval_stage != ApprovalStage.APPROVED:
            raise DomainError(
                CatalogError.COMPONENT_NOT_APPROVED,
                f"{product.sku} has not been approved yet.",
                "components",
            )

    fixed = dict(fixed_variants or {})
    if fixed:
        owners = dict(
            (
                await session.execute(
                    select(Variant.id, Variant.product_id).where(Variant.id.in_(fixed.values()))
                )
            ).all()
        )
        for product_id, variant_id in fixed.items():
            if product_id not in found or owners.get(variant_id) != product_id:
                raise DomainError(
                    CatalogError.NOT_FOUND,
                    f"No variant {variant_id} of that product.",
                    "components",
                )

    merch = sum(found[pid][0].price_minor * qty for pid, qty in components)
    cheapest_ticket = await session.scalar(
        select(func.min(Showtime.price_minor)).where(
            Showtime.film_id == film.id,
            Showtime.currency == currency,
            Showtime.starts_at >= valid_from,
            Showtime.starts_at <= valid_to,
        )
    )
    if cheapest_ticket is not None and price_minor > merch + cheapest_ticket:
        raise DomainError(
            CatalogError.BUNDLE_PRICE_ABOVE_PARTS,
            "The bundle costs more than its ticket and merch bought separately.",
            "price_minor",
        )

    offer = BundleOffer(
        film_id=film.id,
        code=code,
        name=name,
        description=(description or "").strip(),
        price_minor=price_minor,
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
        per_order_limit=per_order_limit,
    )
    session.add(offer)
    await session.flush()
    for position, (product_id, qty) in enumerate(components, start=1):
        session.add(
            BundleComponent(
                offer_id=offer.id,
                position=position,
                product_id=product_id,
                qty=qty,
                variant_id=fixed.get(product_id),
                # a product with sizes: the shopper chooses one (SPEC §5), unless it is fixed
                choose_variant=bool(found[product_id][0].options) and product_id not in fixed,
            )
        )
    await session.flush()
    return await get_bundle_offer(session, offer.id)


def _with_components(query: Select[tuple[BundleOffer]]) -> Select[tuple[BundleOffer]]:
    return query.options(
        selectinload(BundleOffer.components).selectinload(BundleComponent.product)
    ).execution_options(populate_existing=True)


async def get_bundle_offer(session: AsyncSession, offer_id: int) -> BundleOffer:
    """The offer with its components and their products loaded, or NOT_FOUND."""
    offer = await session.scalar(
        _with_components(select(BundleOffer).where(BundleOffer.id == offer_id))
    )
    if offer is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No bundle offer {offer_id}.", "offer_id")
    return offer


async def bundle_offers_for_film(
    session: AsyncSession, film_id: int, *, now: datetime
) -> list[BundleOffer]:
    """The film's offers whose window has not ended, components and products loaded."""
    rows = await session.scalars(
        _with_components(
            select(BundleOffer)
            .where(BundleOffer.film_id == film_id, BundleOffer.valid_to > now)
            .order_by(BundleOffer.valid_from, BundleOffer.id)
        )
    )
    return list(rows)


def bundle_price_above_parts(offer: BundleOffer, showtime: Showtime) -> bool:
    """True when, at this showtime, the bundle costs more than its parts bought separately."""
    return offer.price_minor > showtime.price_minor + merch_value(offer)
