"""Checkout: turn a cart into an order awaiting payment (the card step is `card_step.py`).

`place_order` never holds a lock while Stripe is asked, so a premiere's one hot T-shirt does
not serialize every checkout behind Stripe's latency. Phase 1 (one short transaction): check
every line again, write the order, its lines, bundle allocations and reservations, take
stock and seats with conditional updates in one fixed order (showtimes, products, then
variants, by ascending id, so two checkouts never deadlock; orders/checkout_needs.py),
commit. Phase 2 (no transaction open): create the PaymentIntent, with an idempotency key and
metadata derived from the order. Phase 3 (short transaction): record the intent on the order
if it still awaits payment. If Stripe fails, the reservation is released at once. Every
crash point between the phases is covered by the jobs and the webhook (see `place_order`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.bundles import allocate_bundle, bundle_weights
from catalog.films import check_country
from kernel.db import Database
from kernel.emails import InvalidEmail, normalize_email
from kernel.errors import Checks, DomainError
from kernel.i18n import DEFAULT as DEFAULT_LANGUAGE
from kernel.i18n import LANGUAGES
from licensing.stock_alerts import queue_low_stock
from orders.addresses import CleanAddress, check_address
from orders.cart import Cart, check_cart_rules, price_item
from orders.checkout_needs import needs_of, reserve_needs
from orders.codes import OrderError
from orders.models import (
    BundleAllocation,
    Order,
    OrderLine,
    OrderStatus,
    Reservation,
)
from orders.payments import CardDeclined, Intent, PaymentUnavailable, StripeGateway
from orders.promo_checkout import AppliedPromo, known_campaign, quote_promo
from orders.promo_uses import take_use
from orders.promotions_math import bundle_part_nets
from orders.settlement import cancel_unpaid_order, lock_order, record_intent, settle_order

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    access_key: str  # goes into the order page link; only its hash is stored
    client_secret: str  # for Stripe.js on the pay page ("" when nothing is to be paid)


def new_order_number() -> str:
    """An unguessable order number: TI- and 14 random characters (70 bits)."""
    return "TI-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(14))


def hash_access_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def access_key_matches(order: Order, key: str) -> bool:
    """True when `key` is the order's link key (constant-time comparison)."""
    return hmac.compare_digest(order.access_key_hash, hash_access_key(key or ""))


async def order_by_access(session: AsyncSession, number: str, key: str) -> Order | None:
    """The order with this number when `key` is its access key; None otherwise (whether the
    number exists or not, so numbers cannot be probed)."""
    order = await session.scalar(select(Order).where(Order.number == (number or "")[:32]))
    if order is None or not access_key_matches(order, key):
        return None
    return order


def intent_idempotency_key(order: Order) -> str:
    """The PaymentIntent of an order is created once, however often the call is retried."""
    return f"tiein-order-{order.number}"


def _check_contact(
    email: str, country: str, needs_shipping: bool, shipping: Mapping[str, object] | None
) -> tuple[str, str, CleanAddress | None]:
    """The e-mail, the country and, when merch ships, the shipping address, checked all at
    once (one answer names every bad field). The address's country is the order's: a
    different one is refused on `country`. Without merch no address is asked for, and any
    given is ignored."""
    checks = Checks()
    with checks:
        try:
            email = normalize_email(email or "")
        except InvalidEmail as exc:
            raise DomainError(
                OrderError.INVALID_EMAIL, "Please give a valid email address.", "email"
            ) from exc
    try:
        country = check_country(country)
    except DomainError:
        checks.add(
            DomainError(
                OrderError.INVALID_COUNTRY, "Please choose a country from the list.", "country"
            )
        )
        checks.done()
    address = None
    if needs_shipping:
        given = dict(shipping or {})
        if str(given.get("country") or country).strip().upper() != country:
            checks.add(
                DomainError(
                    OrderError.INVALID_COUNTRY,
                    "The shipping address must be in the order's country.",
                    "country",
                    {"order_country": country},
                )
            )
        with checks:
            address = check_address({**given, "country": country})
    checks.done()
    return email, country, address


async def reserve_order(
    session: AsyncSession,
    cart: Cart,
    *,
    email: str,
    country: str,
    shipping: Mapping[str, object] | None = None,
    now: datetime,
    reservation_minutes: int = 15,
    payments: bool = True,
    language: str = "en",
    promo_code: str | None = None,
    campaign_id: int | None = None,
) -> PlacedOrder:
    """Phase 1 of checkout, in the caller's short transaction: check the contact and, for
    merch, the `shipping` address (its parts as `orders.addresses.check_address` takes
    them, in `country`), check every line again (licensing in `country` for merch, in the
    cinema's country for bundles; started showtimes; limits; one currency), write the order
    `pending_payment` with its shipping address, lines and bundle allocations, and reserve
    its stock and seats for `reservation_minutes`. An order with nothing to pay is settled
    at once. Without `payments` (no Stripe configured) an
    order to pay is refused before anything is written. The PlacedOrder has no client
    secret yet: phases 2 and 3 (`create_order_intent`, `record_order_intent`) add it.

    With `promo_code` (one per order) its discount is split over the lines and a use of it
    is taken (orders/promo_checkout.py); the order is attributed to the code's campaign,
    else to `campaign_id` (the shopper's last referral visit) when that campaign exists."""
    if not cart.items:
        raise DomainError(OrderError.EMPTY_CART, "Your cart is empty.", "cart")
    needs_shipping = cart.ships_merch
    email, country, address = _check_contact(email, country, needs_shipping, shipping)
    priced = [await price_item(session, item, country=country, now=now) for item in cart.items]
    check_cart_rules(priced)
    needs = needs_of(priced)
    promo: AppliedPromo | None = None
    if promo_code:
        promo = await quote_promo(session, promo_code, priced, now=now)
    shares = promo.shares if promo else [0] * len(priced)
    total = sum(p.total_minor for p in priced) - (promo.discount_minor if promo else 0)
    if total > 0 and not payments:
        raise DomainError(OrderError.PAYMENT_UNAVAILABLE, "Payments are not configured.")

    expires_at = now + timedelta(minutes=reservation_minutes)
    access_key = secrets.token_urlsafe(24)
    order = Order(
        number=new_order_number(),
        access_key_hash=hash_access_key(access_key),
        email=email,
        country=country,
        currency=priced[0].currency,
        status=OrderStatus.PENDING_PAYMENT,
        total_minor=total,
        refunded_minor=0,
        created_at=now,
        expires_at=expires_at,
        language=language if language in LANGUAGES else DEFAULT_LANGUAGE,
        discount_minor=promo.discount_minor if promo else 0,
        promo_code_id=promo.code.id if promo else None,
        campaign_id=promo.code.campaign_id if promo else await known_campaign(session, campaign_id),
    )
    session.add(order)
    await session.flush()
    if promo is not None:
        await take_use(session, promo.code, order_id=order.id, email=email, now=now)
    if address is not None:
        session.add(address.row(order.id))
    for p, share in zip(priced, shares, strict=True):
        line = OrderLine(
            order_id=order.id,
            kind=p.kind,
            product_id=p.product.id if p.product else None,
            variant_id=p.variant.id if p.variant else None,
            showtime_id=p.showtime.id if p.showtime else None,
            bundle_offer_id=p.offer.id if p.offer else None,
            merchant_id=p.product.merchant_id if p.product else None,
            description=p.description[:300],
            quantity=p.quantity,
            unit_price_minor=p.unit_price_minor,
            total_minor=p.total_minor,
            discount_minor=share,
            refunded_quantity=0,
        )
        session.add(line)
        if p.offer is not None:
            assert p.showtime is not None
            await session.flush()
            # Positions are renumbered 0 (the ticket), 1.. (merch in the offer's order) so
            # that they stay unique whatever positions the offer's components carry.
            chosen = {pos: variant.id for pos, variant in p.bundle_variants.items()}
            parts = allocate_bundle(p.offer, p.showtime, chosen)
            nets = bundle_part_nets(
                p.total_minor - share,
                bundle_weights(p.offer, p.showtime),
                p.quantity,
                [part.amount_minor for part in parts],
            )
            for position, (part, net) in enumerate(zip(parts, nets, strict=True)):
                session.add(
                    BundleAllocation(
                        order_line_id=line.id,
                        position=position,
                        product_id=part.product_id,
                        variant_id=part.variant_id,
                        merchant_id=part.merchant_id,
                        qty=part.qty,
                        amount_minor=part.amount_minor,
                        net_minor=net,
                    )
                )
    for showtime_id, qty in needs.seats.items():
        session.add(
            Reservation(
                order_id=order.id, showtime_id=showtime_id, quantity=qty, expires_at=expires_at
            )
        )
    for product_id, qty in needs.units.items():
        session.add(
            Reservation(
                order_id=order.id, product_id=product_id, quantity=qty, expires_at=expires_at
            )
        )
    for variant_id, qty in needs.variants.items():
        session.add(
            Reservation(
                order_id=order.id,
                product_id=needs.variant_products[variant_id],
                variant_id=variant_id,
                quantity=qty,
                expires_at=expires_at,
            )
        )
    await session.flush()
    # Hot rows (a premiere's seats, its T-shirt) are locked from here to the commit: the
    # order's own rows are written first, and Stripe is not called before the commit.
    await reserve_needs(session, priced, needs)
    await queue_low_stock(
        session, needs.per_product(), now=now
    )  # the merchants' stock.low webhooks
    if order.total_minor == 0:
        await settle_order(session, order.id, now=now)
    return PlacedOrder(order, access_key, "")


async def create_order_intent(gateway: StripeGateway, order: Order) -> Intent:
    """Phase 2 of checkout, with no transaction open: the order's PaymentIntent. Its
    idempotency key comes from the order, so asking again (a retry, the reconcile job after
    a crash) gives the same intent; its metadata names the order, so a payment can be
    settled even if the intent's id never reached the order. PAYMENT_UNAVAILABLE when Stripe
    cannot be reached or refuses."""
    try:
        return await gateway.create_intent(
            amount=order.total_minor,
            currency=order.currency,
            metadata={"order_number": order.number, "order_id": str(order.id)},
            idempotency_key=intent_idempotency_key(order),
        )
    except (PaymentUnavailable, CardDeclined) as exc:
        raise DomainError(
            OrderError.PAYMENT_UNAVAILABLE,
            "We could not reach the payment service, so nothing was reserved or charged. "
            "Please try again in a moment.",
        ) from exc


async def record_order_intent(
    session: AsyncSession, order_id: int, intent: Intent, *, now: datetime
) -> Order | None:
    """Phase 3 of checkout, in a short transaction: record the intent on the order (its id
    and a Payment row), once. The order, locked and fresh, when it still awaits payment;
    None when it does not any more (its time ran out meanwhile) or holds another intent."""
    order = await lock_order(session, order_id=order_id)
    if order is None:
        return None
    recorded = await record_intent(session, order, intent.id, intent.status, now=now)
    if not recorded or order.status != OrderStatus.PENDING_PAYMENT:
        return None
    return order


async def release_order(session: AsyncSession, order_id: int, *, now: datetime) -> bool:
    """Give back at once what an order awaiting payment holds and mark it `cancelled` (the
    payment service failed it); False when it no longer awaits payment."""
    order = await lock_order(session, order_id=order_id)
    if order is None:
        return False
    return await cancel_unpaid_order(session, order, OrderStatus.CANCELLED, now=now)


async def place_order(
    db: Database,
    cart: Cart,
    *,
    email: str,
    country: str,
    shipping: Mapping[str, object] | None = None,
    now: datetime,
    gateway: StripeGateway | None,
    reservation_minutes: int = 15,
    language: str = "en",
    promo_code: str | None = None,
    campaign_id: int | None = None,
) -> PlacedOrder:
    """Create an order awaiting payment from `cart` (SPEC §6), with no lock held while
    Stripe is asked: (1) `reserve_order` checks, writes and reserves, and commits; (2)
    `create_order_intent` asks Stripe, no transaction open; (3) `record_order_intent` records
    the intent in a short transaction. If Stripe fails, the reservation is released at once
    (the order is `cancelled`, its items back on sale) and PAYMENT_UNAVAILABLE is raised.
    A crash between the phases loses and oversells nothing: an order without an intent is
    released when its time runs out (`tiein orders expire`) or picks up its intent through
    `tiein payments reconcile`, and a payment of an unrecorded intent is settled by the
    order id in its metadata."""
    async with db.session() as session:
        placed = await reserve_order(
            session,
            cart,
            email=email,
            country=country,
            shipping=shipping,
            now=now,
            reservation_minutes=reservation_minutes,
            payments=gateway is not None,
            language=language,
            promo_code=promo_code,
            campaign_id=campaign_id,
        )
    if placed.order.status != OrderStatus.PENDING_PAYMENT or gateway is None:
        return placed  # nothing to pay: settled already
    try:
        intent = await create_order_intent(gateway, placed.order)
    except DomainError:
        async with db.session() as session:
            await release_order(session, placed.order.id, now=now)
        raise
    async with db.session() as session:
        order = await record_order_intent(session, placed.order.id, intent, now=now)
    if order is None:
        raise DomainError(
            OrderError.ORDER_NOT_PAYABLE,
            "The time to pay for this order ran out before it could be paid; its items "
            "were released.",
        )
    return PlacedOrder(order, placed.access_key, intent.client_secret)
