"""Signed but malformed Stripe events, and signatures from the future: 400, nothing recorded,
nothing applied (SPEC §11). The events are signed with the real webhook secret, so only the
new checks stand between them and the order."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from catalog.models import Ticket
from kernel.db import Database
from orders.models import OrderStatus, StripeEvent
from orders.payments import StripeGateway
from tests.factory import Shop
from tests.fixtures.stripe import LocalStripe
from tests.orders.shop import count, fetch_order
from tests.orders.test_webhooks import app_client, deliver, event, paid_in_stripe  # noqa: F401


def without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


SUCCESS_FORGERIES = {
    "no amount": lambda i: without(i, "amount"),
    "no currency": lambda i: without(i, "currency"),
    "amount as text": lambda i: {**i, "amount": str(i["amount"])},
    "amount as float": lambda i: {**i, "amount": float(i["amount"])},
    "amount as bool": lambda i: {**i, "amount": True},
    "amount null": lambda i: {**i, "amount": None},
    "currency as number": lambda i: {**i, "currency": 840},
    "currency empty": lambda i: {**i, "currency": ""},
    "intent id as number": lambda i: {**i, "id": 12},
    "intent id with NUL": lambda i: {**i, "id": i["id"] + "\x00"},
}


@pytest.mark.parametrize("forgery", sorted(SUCCESS_FORGERIES))
async def test_a_signed_success_without_a_proper_amount_and_currency_settles_nothing(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,  # noqa: F811
    localstripe: LocalStripe,
    now: datetime,
    forgery: str,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    obj = SUCCESS_FORGERIES[forgery](without(intent, "order_id"))
    response = await deliver(
        app_client,
        event("evt_forged_1", "payment_intent.succeeded", obj),
        localstripe.webhook_secret,
    )
    assert response.status_code == 400, response.text
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, Ticket) == 0
    assert await count(db, StripeEvent) == 0


def raw_event(**fields: Any) -> bytes:
    data = {
        "id": "evt_x1",
        "object": "event",
        "type": "payment_intent.canceled",
        "created": int(time.time()),
        "data": {"object": {"id": "pi_x1", "object": "payment_intent"}},
    }
    return json.dumps({**data, **fields}).encode()


@pytest.mark.parametrize(
    "payload",
    [
        raw_event(id=12345),
        raw_event(id="12345"),
        raw_event(id="evt_\x00"),
        raw_event(id="evt_" + "x" * 200),
        raw_event(id=["evt_1"]),
        raw_event(type=7),
        raw_event(data="nope"),
        raw_event(data={"object": [1]}),
        raw_event(type="payment_intent.payment_failed", data={"object": {"id": 5}}),
        raw_event(
            type="payment_intent.payment_failed",
            data={"object": {"id": "pi_1", "last_payment_error": {"message": "a\x00b"}}},
        ),
        raw_event(type="charge.refunded", data={"object": {"payment_intent": 5}}),
        raw_event(
            type="charge.refunded",
            data={"object": {"payment_intent": "pi_1", "amount_refunded": "100"}},
        ),
        raw_event(
            type="charge.refunded",
            data={"object": {"payment_intent": "pi_1", "refunds": {"data": [{"amount": 1.5}]}}},
        ),
        raw_event(  # refunds without their ids inserted "stripe-None" twice: a 500
            type="charge.refunded",
            data={
                "object": {
                    "payment_intent": "pi_1",
                    "refunds": {"data": [{"amount": 100}, {"amount": 100}]},
                }
            },
        ),
        json.dumps([1, 2]).encode(),
    ],
)
async def test_a_signed_event_with_malformed_fields_is_a_400_not_a_500(
    db: Database,
    app_client: httpx.AsyncClient,  # noqa: F811
    localstripe: LocalStripe,
    payload: bytes,
) -> None:
    response = await deliver(app_client, payload, localstripe.webhook_secret)
    assert response.status_code == 400, response.text
    assert await count(db, StripeEvent) == 0


@pytest.mark.parametrize(
    "header",
    [
        "t=\u0661\u0667" + "\u0660" * 8 + ",v1=ab",
        "t=1,v1=é",
        "t=²",
        "v1=ab",
        "t=" + "9" * 20 + ",v1=a",
    ],
)
async def test_a_garbled_signature_header_is_a_400(
    db: Database,
    app_client: httpx.AsyncClient,  # noqa: F811
    header: str,
) -> None:
    response = await app_client.post(
        "/webhooks/stripe",
        content=raw_event(),
        headers={"Stripe-Signature": header.encode()},  # raw UTF-8 bytes, as a client may send
    )
    assert response.status_code == 400, response.text
    assert await count(db, StripeEvent) == 0


async def test_a_signature_timestamped_in_the_future_is_refused(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,  # noqa: F811
    localstripe: LocalStripe,
    now: datetime,
) -> None:
    intent = await paid_in_stripe(db, shop, gateway, now)
    payload = event("evt_future_1", "payment_intent.succeeded", without(intent, "order_id"))
    secret = localstripe.webhook_secret
    for ahead in (3600, 301):
        response = await deliver(app_client, payload, secret, timestamp=int(time.time()) + ahead)
        assert response.status_code == 400, ahead
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, StripeEvent) == 0
    # a clock a little ahead is tolerated, as a clock a little behind is
    response = await deliver(app_client, payload, secret, timestamp=int(time.time()) + 60)
    assert response.status_code == 200 and response.json()["outcome"] == "settled"


def _signed(payload: bytes, secret: str, stamp: str, header: str) -> str:
    """A header carrying a real signature over `stamp` (as text, however it is spelled)."""
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return header.format(stamp=stamp, digest=digest, now=int(time.time()))


@pytest.mark.parametrize(
    ("stamp", "header"),
    [
        ("+{future}", "t={stamp},v1={digest}"),  # the SDK's int() reads the plus sign
        ("10000000000000", "t={stamp},v1={digest}"),  # past our digit limit: refused, not let by
        ("{future}", "t ={now},t={stamp},v1={digest}"),  # the SDK reads the exact name `t`
        ("{future}", "t={now},t={stamp},v1={digest}"),  # two timestamps
    ],
)
async def test_a_future_timestamp_cannot_hide_behind_another_spelling(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    app_client: httpx.AsyncClient,  # noqa: F811
    localstripe: LocalStripe,
    now: datetime,
    stamp: str,
    header: str,
) -> None:
    """Found by a hostile review: Stripe's SDK reads `t=` more loosely than the future check
    did, so a future timestamp spelled its way passed both. The header is read strictly."""
    intent = await paid_in_stripe(db, shop, gateway, now)
    payload = event("evt_future_2", "payment_intent.succeeded", without(intent, "order_id"))
    stamp = stamp.format(future=int(time.time()) + 365 * 86400)
    response = await app_client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": _signed(payload, localstripe.webhook_secret, stamp, header)},
    )
    assert response.status_code == 400, response.text
    assert (await fetch_order(db, intent["order_id"])).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, StripeEvent) == 0


async def test_a_signed_body_nested_too_deeply_is_a_400(
    db: Database,
    app_client: httpx.AsyncClient,  # noqa: F811
    localstripe: LocalStripe,
) -> None:
    payload = b"[" * 100_000 + b"]" * 100_000
    response = await deliver(app_client, payload, localstripe.webhook_secret)
    assert response.status_code == 400, response.text
    assert await count(db, StripeEvent) == 0
