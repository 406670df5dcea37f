"""How many bundles of an offer can still be sold for a showtime (SPEC §5), for a film page.

Availability of (offer, showtime) = min(free seats, stock // qty of each merch component),
and 0 — with a refusal code and a plain message — when the showtime has started, lies outside
the offer window, is priced in another currency, makes the bundle dearer than its parts, or
when any component is not sellable (SPEC §3) in the cinema's country through the `bundle`
channel on the showtime's (UTC) date. Sold out is 0 with SOLD_OUT (no seats) or OUT_OF_STOCK
(a component ran out).

Everything is read in a fixed number of statements whatever the number of offers and
showtimes: one for the showtimes with their cinema's country, one for the components with
their products (fresh stock), and the agreement terms (`licensing.sellable.load_terms`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import BundleComponent, BundleOffer, Cinema, Product, Showtime, Variant
from licensing.models import Channel
from licensing.sellable import AgreementTerms, Refusal, load_terms, refusal_message, sellable


@dataclass(frozen=True)
class Availability:
    """Bundles left for one (offer, showtime); when 0, why (`refusal` code and message)."""

    available: int
    refusal: str | None = None
    message: str | None = None
    # The values the message names (see kernel.errors.DomainError.params).
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Seats:
    film_id: int
    starts_at: datetime
    seats_left: int
    price_minor: int
    currency: str
    country: str


def _refused(code: str, message: str, **params: Any) -> Availability:
    return Availability(0, code, message, params)


def _pair(
    offer: BundleOffer,
    seats: _Seats,
    parts: list[tuple[int, Product, int]],
    terms: dict[int, AgreementTerms],
    now: datetime,
) -> Availability:
    if seats.starts_at <= now:
        return _refused(CatalogError.SHOWTIME_IN_PAST, "This showtime has already started.")
    if not offer.valid_from <= now < offer.valid_to:
        return _refused(CatalogError.BUNDLE_NOT_ON_SALE, "This bundle is not on sale right now.")
    if not offer.valid_from <= seats.starts_at <= offer.valid_to:
        return _refused(
            CatalogError.OFFER_NOT_VALID_FOR_SHOWTIME,
            "This bundle is not offered for this showtime's date.",
        )
    if seats.currency != offer.currency:
        return _refused(
            CatalogError.CURRENCY_MISMATCH,
            f"Tickets for this showtime are sold in {seats.currency}, the bundle in "
            f"{offer.currency}.",
            showtime_currency=seats.currency,
            offer_currency=offer.currency,
        )
    merch = sum(product.price_minor * qty for qty, product, _ in parts)
    if offer.price_minor > merch + seats.price_minor:
        return _refused(
            CatalogError.BUNDLE_PRICE_ABOVE_PARTS,
            "At this showtime the bundle would cost more than its parts bought separately.",
        )
    # The merch is sold today (SPEC §3: the sale date) and handed over at the showtime: the
    # license must hold on both days.
    for on_date in dict.fromkeys([now.date(), seats.starts_at.date()]):
        for _, product, _ in parts:
            agreement = terms.get(product.agreement_id)
            refusal = (
                sellable(product, agreement, seats.country, on_date, Channel.BUNDLE)
                if agreement is not None
                else Refusal.AGREEMENT_NOT_ACTIVE
            )
            if refusal is not None:
                words = refusal_message(
                    refusal, country=seats.country, channel=Channel.BUNDLE, on_date=on_date
                )
                return _refused(
                    refusal.value,
                    f"{product.name}: {words}.",
                    product=product.name,
                    country=seats.country,
                    date=on_date,
                )
    if seats.seats_left <= 0:
        return _refused(CatalogError.SOLD_OUT, "This showtime is sold out.")
    available = seats.seats_left
    for qty, product, stock in parts:
        fits = stock // qty
        if fits <= 0:
            return _refused(
                CatalogError.OUT_OF_STOCK, f"{product.name} is out of stock.", what=product.name
            )
        available = min(available, fits)
    return Availability(available)


async def bundle_availability(
    session: AsyncSession,
    offers: Sequence[BundleOffer],
    showtimes: Sequence[Showtime],
    *,
    now: datetime,
) -> dict[tuple[int, int], Availability]:
    """Availability of every (offer, showtime) pair of the same film, keyed by
    (offer id, showtime id). Stock and seats are read fresh; the statement count does not
    depend on how many offers and showtimes are asked about."""
    if not offers or not showtimes:
        return {}
    showtime_ids = sorted({s.id for s in showtimes})
    offer_ids = sorted({o.id for o in offers})

    seat_rows = await session.execute(
        select(
            Showtime.id,
            Showtime.film_id,
            Showtime.starts_at,
            Showtime.capacity - Showtime.seats_taken,
            Showtime.price_minor,
            Showtime.currency,
            Cinema.country,
        )
        .join(Cinema, Cinema.id == Showtime.cinema_id)
        .where(Showtime.id.in_(showtime_ids))
    )
    seats = {row[0]: _Seats(*row[1:]) for row in seat_rows}

    # A component with a fixed variant counts that variant's stock; one whose variant the
    # shopper chooses counts the product's (the sum of its variants': any size left).
    component_rows = await session.execute(
        select(BundleComponent.offer_id, BundleComponent.qty, Product, Variant.stock)
        .join(Product, Product.id == BundleComponent.product_id)
        .outerjoin(Variant, Variant.id == BundleComponent.variant_id)
        .where(BundleComponent.offer_id.in_(offer_ids))
        .order_by(BundleComponent.offer_id, BundleComponent.position)
        .execution_options(populate_existing=True)
    )
    parts: dict[int, list[tuple[int, Product, int]]] = defaultdict(list)
    for offer_id, qty, product, variant_stock in component_rows:
        stock = product.stock if variant_stock is None else variant_stock
        parts[offer_id].append((qty, product, stock))

    agreement_ids = {p.agreement_id for rows in parts.values() for _, p, _ in rows}
    terms = await load_terms(session, agreement_ids)

    return _pairs(offers, seats, parts, terms, now)


def _pairs(
    offers: Sequence[BundleOffer],
    seats: Mapping[int, _Seats],
    parts: Mapping[int, list[tuple[int, Product, int]]],
    terms: dict[int, AgreementTerms],
    now: datetime,
) -> dict[tuple[int, int], Availability]:
    result: dict[tuple[int, int], Availability] = {}
    for offer in offers:
        for showtime_id, seat in sorted(seats.items()):
            if seat.film_id != offer.film_id:
                continue
            result[(offer.id, showtime_id)] = _pair(
                offer, seat, parts.get(offer.id, []), terms, now
            )
    return result


def availability_of_loaded(
    offers: Sequence[BundleOffer],
    showtimes: Sequence[Showtime],
    variant_stock: Mapping[int, int],
    terms: dict[int, AgreementTerms],
    *,
    now: datetime,
) -> dict[tuple[int, int], Availability]:
    """`bundle_availability` over rows a page has loaded in its own statements, without a
    statement of its own: offers with components and products, showtimes with cinemas (both
    read in this request, so stock and seats are fresh), the stock of the components' fixed
    variants by variant id, and the terms of the components' agreements (`load_terms`)."""
    seats = {
        s.id: _Seats(
            s.film_id,
            s.starts_at,
            s.capacity - s.seats_taken,
            s.price_minor,
            s.currency,
            s.cinema.country,
        )
        for s in showtimes
    }
    parts: dict[int, list[tuple[int, Product, int]]] = defaultdict(list)
    for offer in offers:
        for c in sorted(offer.components, key=lambda c: c.position):
            stock = c.product.stock if c.variant_id is None else variant_stock.get(c.variant_id, 0)
            parts[offer.id].append((c.qty, c.product, stock))
    return _pairs(offers, seats, parts, terms, now)


async def offer_availability(
    session: AsyncSession, offer: BundleOffer, showtime: Showtime, *, now: datetime
) -> Availability:
    """Availability of one offer at one showtime (SHOWTIME_NOT_OF_FILM when they differ)."""
    found = await bundle_availability(session, [offer], [showtime], now=now)
    return found.get(
        (offer.id, showtime.id),
        _refused(CatalogError.SHOWTIME_NOT_OF_FILM, "This showtime is of another film."),
    )
