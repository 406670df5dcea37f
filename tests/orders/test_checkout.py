"""Checkout against a real localstripe: reserve, create the PaymentIntent, pay, decline,
and the last units under 50 concurrent shoppers (SPEC §6)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Ticket
from kernel.config import Settings
from kernel.db import Database
from kernel.errors import DomainError
from licensing.models import Channel
from orders.card_step import confirm_payment, confirm_with_token, refresh_payment
from orders.cart import Cart, CartItem
from orders.checkout import access_key_matches, order_by_access, place_order
from orders.codes import OrderError
from orders.models import (
    BundleAllocation,
    Order,
    OrderStatus,
    Payment,
    Reservation,
    ReservationStatus,
)
from orders.payments import StripeGateway
from tests.factory import BUNDLE_PRICE, SHIRT_PRICE, TICKET_PRICE, Shop, order_shop
from tests.fixtures.stripe import LocalStripe
from tests.orders.shop import checkout, count, fetch_order, full_cart, ledger, seats_taken, stock_of


async def test_place_order_reserves_everything_and_creates_one_payment_intent(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)

    order = await fetch_order(db, placed.order.id)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total_minor == 2 * SHIRT_PRICE + TICKET_PRICE + BUNDLE_PRICE
    assert order.currency == "USD"
    assert order.expires_at == placed.order.expires_at
    assert abs((order.expires_at - now) - timedelta(minutes=15)) < timedelta(seconds=1)
    assert access_key_matches(order, placed.access_key)
    assert not access_key_matches(order, placed.access_key + "x")
    assert placed.access_key not in order.access_key_hash
    # Stock and seats are taken now: 2 shirts + 1 for the bundle, 2 posters, 2 seats.
    assert await stock_of(db, shop.shirt_id) == 50 - 3
    assert await stock_of(db, shop.poster_id) == 50 - 2
    assert await seats_taken(db, shop.showtime_id) == 2
    assert await count(db, Reservation, Reservation.status == ReservationStatus.ACTIVE) == 3
    # The bundle's price is split over the ticket and its merch (SPEC §5).
    async with db.read_session() as s:
        parts = list(await s.scalars(select(BundleAllocation).order_by(BundleAllocation.position)))
    assert [(p.product_id, p.qty, p.amount_minor) for p in parts] == [
        (None, 1, 716),
        (shop.shirt_id, 1, 1493),
        (shop.poster_id, 2, 1791),
    ]
    # The PaymentIntent in Stripe: amount in minor units, currency, the order number.
    intent = await gateway.retrieve_intent(order.payment_intent_id or "")
    assert intent.amount == order.total_minor
    assert intent.currency == "USD"
    assert intent.metadata["order_number"] == order.number
    assert placed.client_secret == intent.client_secret
    assert await count(db, Payment, Payment.intent_id == intent.id) == 1
    async with db.read_session() as s:
        assert (await order_by_access(s, order.number, placed.access_key)) is not None
        assert (await order_by_access(s, order.number, "guess")) is None


async def test_paying_with_a_card_settles_the_order_at_once(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)

    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)

    assert step.status == "succeeded"
    order = await fetch_order(db, placed.order.id)
    assert order.status == OrderStatus.PAID
    assert await count(db, Ticket) == 2  # one ticket line + one bundle
    assert await count(db, Reservation, Reservation.status == ReservationStatus.CONVERTED) == 3
    entries = await ledger(db)
    assert sorted((e.channel, e.units, e.net_minor) for e in entries) == sorted(
        [
            (Channel.STOREFRONT, 2, 2 * SHIRT_PRICE),
            (Channel.BUNDLE, 1, 1493),
            (Channel.BUNDLE, 2, 1791),
        ]
    )


async def test_a_card_token_from_stripe_js_pays_the_order(
    db: Database, shop: Shop, gateway: StripeGateway, localstripe: LocalStripe, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    # What Stripe.js createToken does in the browser, with the publishable key.
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{localstripe.url}/v1/tokens",
            data={
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2031",
                "card[cvc]": "123",
                "key": localstripe.publishable_key,
            },
        )
    token = response.json()["id"]

    step = await confirm_with_token(db, placed.order.id, token, gateway=gateway, now=now)

    assert step.status == "succeeded"
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID


async def test_a_declined_card_keeps_the_order_payable(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)

    step = await confirm_payment(
        db, placed.order.id, "pm_card_chargeCustomerFail", gateway=gateway, now=now
    )
    assert step.status == "requires_payment_method"
    assert "declined" in step.message
    order = await fetch_order(db, placed.order.id)
    assert order.status == OrderStatus.PENDING_PAYMENT
    async with db.read_session() as s:
        payment = await s.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment is not None and "declined" in payment.last_error
    assert await count(db, Ticket) == 0
    assert await stock_of(db, shop.shirt_id) == 47  # still reserved for this shopper

    # The shopper tries another card: the same order is paid.
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID


async def test_an_order_past_its_time_cannot_be_paid(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    with pytest.raises(DomainError) as refused:
        await confirm_payment(
            db, placed.order.id, "pm_card_visa", gateway=gateway, now=now + timedelta(minutes=16)
        )
    assert refused.value.code == OrderError.ORDER_NOT_PAYABLE
    assert "run out" in refused.value.message


async def test_stripe_unreachable_releases_the_reservation_at_once(
    db: Database, shop: Shop, settings: Settings, now: datetime
) -> None:
    # A closed port: the SDK cannot connect, so no PaymentIntent exists.
    unreachable = dataclasses.replace(
        settings, stripe_secret_key="sk_test_x", stripe_api_base="http://127.0.0.1:9"
    )
    gateway = StripeGateway(unreachable, retries=0)
    try:
        with pytest.raises(DomainError) as refused:
            await checkout(db, full_cart(shop), gateway, now=now)
    finally:
        await gateway.close()
    assert refused.value.code == OrderError.PAYMENT_UNAVAILABLE
    assert "nothing was reserved" in refused.value.message
    # The reservation was committed before Stripe was asked, and released at once.
    assert await count(db, Order, Order.status == OrderStatus.CANCELLED) == 1
    assert await count(db, Order, Order.status != OrderStatus.CANCELLED) == 0
    assert await count(db, Reservation, Reservation.status == ReservationStatus.ACTIVE) == 0
    assert await stock_of(db, shop.shirt_id) == 50
    assert await stock_of(db, shop.poster_id) == 50
    assert await seats_taken(db, shop.showtime_id) == 0


async def test_checkout_checks_the_licence_again_in_the_shipping_country(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    with pytest.raises(DomainError) as refused:
        await checkout(db, full_cart(shop), gateway, now=now, country="JP")
    assert refused.value.code == "NOT_LICENSED_IN_TERRITORY"
    assert "not licensed for sale in Japan" in refused.value.message
    assert await count(db, Order) == 0


async def test_merch_needs_a_shipping_address(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    with pytest.raises(DomainError) as refused:
        await place_order(
            db,
            Cart().with_item(CartItem.product(shop.shirt_sku)),
            email="fan@example.com",
            country="US",
            now=now,
            gateway=gateway,
        )
    assert refused.value.code == OrderError.SHIPPING_REQUIRED


@pytest.mark.slow
async def test_fifty_shoppers_for_the_last_ten_units_make_ten_paid_orders(
    db: Database, gateway: StripeGateway, now: datetime
) -> None:
    shop = await order_shop(db, now=now, shirt_stock=10)
    cart = Cart().with_item(CartItem.product(shop.shirt_sku, 1))

    async def shopper(i: int) -> str:
        try:
            placed = await checkout(db, cart, gateway, now=now)
        except DomainError as exc:
            return exc.code
        step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
        return step.status

    outcomes = await asyncio.gather(*(shopper(i) for i in range(50)))

    assert outcomes.count("succeeded") == 10
    assert outcomes.count(OrderError.OUT_OF_STOCK) == 40
    assert await count(db, Order, Order.status == OrderStatus.PAID) == 10
    assert await count(db, Order) == 10
    assert await stock_of(db, shop.shirt_id) == 0
    assert len(await ledger(db)) == 10


async def test_after_3d_secure_the_page_applies_the_success_without_waiting_for_the_webhook(
    db: Database, shop: Shop, gateway: StripeGateway, localstripe: LocalStripe, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    # A card that asks for 3-D Secure: the server's confirmation needs the shopper's action.
    async with httpx.AsyncClient() as http:
        token = (
            await http.post(
                f"{localstripe.url}/v1/tokens",
                data={
                    "card[number]": "4000002500003155",
                    "card[exp_month]": "12",
                    "card[exp_year]": "2031",
                    "card[cvc]": "123",
                    "key": localstripe.publishable_key,
                },
            )
        ).json()["id"]
    step = await confirm_with_token(db, placed.order.id, token, gateway=gateway, now=now)
    assert step.status == "requires_action"
    assert step.client_secret == placed.client_secret
    waiting = await refresh_payment(db, placed.order.id, gateway=gateway, now=now)
    assert waiting.status == "requires_action"

    # What Stripe.js confirmCardPayment does once the shopper completes the challenge.
    intent_id = placed.client_secret.split("_secret_")[0]
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{localstripe.url}/v1/payment_intents/{intent_id}/_authenticate?success=true",
            json={"key": localstripe.publishable_key, "client_secret": placed.client_secret},
        )
    assert response.status_code == 200, response.text

    step = await refresh_payment(db, placed.order.id, gateway=gateway, now=now)
    assert step.status == "succeeded"
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID
    assert await count(db, Ticket) == 2
