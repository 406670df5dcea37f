"""The Stripe webhook: signed, recorded once, applied once, never backwards (SPEC §6)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from catalog.models import Ticket
from kernel.config import Settings
from kernel.db import Database
from licensing.models import RoyaltyEntry
from orders.card_step import confirm_payment
from orders.models import Order, OrderStatus, Payment, Refund, StripeEvent
from orders.payments import StripeGateway
from orders.reconcile import expire_orders
from orders.refunds import refund_order_lines
from orders.webhooks import routes as webhook_routes
from tests.factory import Shop
from tests.fixtures.stripe import LiveApp, LocalStripe, stripe_signature
from tests.orders.shop import checkout, count, fetch_order, full_cart, stock_of


@pytest.fixture
async def app_client(stripe_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The webhook route alone, in a tiny app with the test's database and settings."""
    app = Starlette(routes=webhook_routes)
    app.state.db = db
    app.state.settings = stripe_settings
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def event(event_id: str, kind: str, obj: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


async def deliver(
    client: httpx.AsyncClient, payload: bytes, secret: str, *, timestamp: int | None = None
) -> httpx.Response:
    return await client.post(
        "/webhooks/stripe",
        content=payload,
        headers={
            "Stripe-Signature": stripe_signature(payload, secret, timestamp),
            "Content-Type": "application/json",
        },
    )


async def paid_in_stripe(db: Database, shop: Shop, gateway: StripeGateway, now: datetime) -> dict:
    """An order whose PaymentIntent succeeded in Stripe; tiein has not heard of it yet."""
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    intent = await gateway.confirm_intent(placed.order.payment_intent_id or "", "pm_card_visa")
    assert intent.status == "succeeded"
    return {
        "id": intent.id,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": intent.amount,
        "currency": intent.currency.lower(),
        "metadata": intent.metadata,
        "order_id": placed.order.id,
    }


async def test_the_same_success_delivered_five_times_at_once_settles_once(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    payload = event("evt_success_1", "payment_intent.succeeded", intent)

    responses = await asyncio.gather(
        *(deliver(app_client, payload, localstripe.webhook_secret) for _ in range(5))
    )

    assert [r.status_code for r in responses] == [200] * 5
    assert sum(1 for r in responses if r.json().get("outcome") == "settled") == 1
    assert sum(1 for r in responses if r.json().get("duplicate")) == 4
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PAID
    assert await count(db, StripeEvent) == 1
    assert await count(db, Ticket) == 2
    assert await count(db, RoyaltyEntry) == 3


async def test_distinct_events_for_one_payment_apply_it_once(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    # Stripe may send a second event for the same success (a retry after a timeout).
    intent = await paid_in_stripe(db, shop, gateway, now)
    responses = await asyncio.gather(
        *(
            deliver(
                app_client,
                event(f"evt_success_{i}", "payment_intent.succeeded", intent),
                localstripe.webhook_secret,
            )
            for i in range(5)
        )
    )
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["already paid"] * 4 + ["settled"]
    assert await count(db, StripeEvent) == 5
    assert await count(db, Ticket) == 2
    assert await count(db, RoyaltyEntry) == 3


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "tampered", "missing"])
async def test_a_bad_or_stale_signature_is_refused_and_changes_nothing(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
    forgery: str,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    payload = event("evt_forged", "payment_intent.succeeded", intent)
    secret = localstripe.webhook_secret
    if forgery == "wrong secret":
        response = await deliver(app_client, payload, "whsec_someone_else")
    elif forgery == "stale":
        response = await deliver(app_client, payload, secret, timestamp=int(time.time()) - 600)
    elif forgery == "tampered":
        header = stripe_signature(payload, secret)
        response = await app_client.post(
            "/webhooks/stripe",
            content=payload.replace(b"succeeded", b"succeeded "),
            headers={"Stripe-Signature": header},
        )
    else:
        response = await app_client.post("/webhooks/stripe", content=payload)

    assert response.status_code == 400
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, StripeEvent) == 0
    assert await count(db, Ticket) == 0


async def test_a_failure_arriving_after_the_success_never_unpays_the_order(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    secret = localstripe.webhook_secret
    await deliver(app_client, event("evt_ok", "payment_intent.succeeded", intent), secret)
    failed = {**intent, "status": "requires_payment_method"}
    failed["last_payment_error"] = {"message": "Your card was declined."}
    late = await deliver(
        app_client, event("evt_late", "payment_intent.payment_failed", failed), secret
    )
    cancel = await deliver(app_client, event("evt_cx", "payment_intent.canceled", intent), secret)

    assert late.status_code == 200 and cancel.status_code == 200
    order = await fetch_order(db, intent["order_id"])
    assert order.status == OrderStatus.PAID
    async with db.read_session() as s:
        payment = await s.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment is not None
    assert payment.status == "succeeded" and payment.last_error == ""


async def test_a_failed_payment_is_recorded_and_the_order_stays_payable(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    obj = {
        "id": placed.order.payment_intent_id,
        "object": "payment_intent",
        "status": "requires_payment_method",
        "last_payment_error": {"message": "Your card was declined."},
    }
    response = await deliver(
        app_client,
        event("evt_fail", "payment_intent.payment_failed", obj),
        localstripe.webhook_secret,
    )
    assert response.status_code == 200
    order = await fetch_order(db, placed.order.id)
    assert order.status == OrderStatus.PENDING_PAYMENT
    async with db.read_session() as s:
        payment = await s.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment is not None and payment.last_error == "Your card was declined."


async def test_a_cancelled_intent_cancels_the_unpaid_order_and_frees_its_items(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    assert await stock_of(db, shop.shirt_id) == 47
    obj = {"id": placed.order.payment_intent_id, "object": "payment_intent", "status": "canceled"}
    response = await deliver(
        app_client, event("evt_cancel", "payment_intent.canceled", obj), localstripe.webhook_secret
    )
    assert response.status_code == 200
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.CANCELLED
    assert await stock_of(db, shop.shirt_id) == 50


async def test_localstripe_delivers_the_success_to_the_live_app(
    db: Database, shop: Shop, gateway: StripeGateway, live_app: LiveApp, now: datetime
) -> None:
    # The whole path with no shortcut: Stripe confirms, signs and posts the event over HTTP.
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    await gateway.confirm_intent(placed.order.payment_intent_id or "", "pm_card_visa")

    deadline = time.monotonic() + 10
    while (await fetch_order(db, placed.order.id)).status != OrderStatus.PAID:
        assert time.monotonic() < deadline, "the webhook never made the order paid"
        await asyncio.sleep(0.1)
    async with db.read_session() as s:
        kinds = list(await s.scalars(select(StripeEvent.type)))
    assert "payment_intent.succeeded" in kinds
    assert await count(db, Ticket) == 2
    async with db.read_session() as s:
        assert await s.scalar(select(Order.paid_at).where(Order.id == placed.order.id))


async def test_the_pay_page_and_the_webhook_racing_settle_once_without_deadlock(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    obj = {
        "id": placed.order.payment_intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": placed.order.total_minor,
        "currency": placed.order.currency.lower(),
    }

    async def pay_page() -> str:
        return (
            await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
        ).status

    results = await asyncio.gather(
        pay_page(),
        *(
            deliver(
                app_client,
                event(f"evt_race_{i}", "payment_intent.succeeded", obj),
                localstripe.webhook_secret,
            )
            for i in range(3)
        ),
    )

    assert results[0] == "succeeded"
    assert all(r.status_code == 200 for r in results[1:])
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID
    assert await count(db, Ticket) == 2
    assert await count(db, RoyaltyEntry) == 3


async def wait_for_event(db: Database, kind: str, count_wanted: int = 1) -> None:
    deadline = time.monotonic() + 10
    while await count(db, StripeEvent, StripeEvent.type == kind) < count_wanted:
        assert time.monotonic() < deadline, f"no {kind} event arrived"
        await asyncio.sleep(0.1)


async def test_refund_and_cancel_events_sent_by_localstripe_apply_nothing_twice(
    db: Database, shop: Shop, gateway: StripeGateway, live_app: LiveApp, now: datetime
) -> None:
    paid = await checkout(db, full_cart(shop), gateway, now=now)
    await confirm_payment(db, paid.order.id, "pm_card_visa", gateway=gateway, now=now)
    await refund_order_lines(
        db, paid.order.id, None, restock=True, by="ana", gateway=gateway, now=now
    )
    unpaid = await checkout(db, full_cart(shop), gateway, now=now)
    await expire_orders(db, gateway, now=now + timedelta(minutes=20))

    await wait_for_event(db, "charge.refunded")
    await wait_for_event(db, "payment_intent.canceled")
    refunded = await fetch_order(db, paid.order.id)
    assert refunded.status == OrderStatus.REFUNDED
    assert refunded.refunded_minor == refunded.total_minor
    assert await count(db, Refund) == 1
    assert (await fetch_order(db, unpaid.order.id)).status == OrderStatus.EXPIRED
    assert await stock_of(db, shop.shirt_id) == 50


async def test_a_success_for_another_amount_does_not_settle_the_order(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    forged = {**intent, "amount": 1}
    response = await deliver(
        app_client,
        event("evt_cheap", "payment_intent.succeeded", forged),
        localstripe.webhook_secret,
    )
    assert response.status_code == 200
    assert "not settled" in response.json()["outcome"]
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, Ticket) == 0
