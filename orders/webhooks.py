"""`POST /webhooks/stripe`: Stripe's signed news about payments and refunds.

The signature is checked on the raw body (a bad or stale one is 400 and nothing changes).
The event id is recorded in `stripe_events` in the same transaction as its effect, and the
id is unique, so a duplicate delivery — even five at once — is answered 200 and does nothing.
Effects are idempotent on their own too (the order row is locked and its status checked), so
an event and the reconcile job can never both apply a payment, and events arriving out of
order never move a paid order backwards.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from orders.fulfilment import (
    cancel_unpaid_order,
    fulfil_order,
    lock_order,
    lock_order_of_intent,
    record_payment_failure,
)
from orders.models import OrderStatus, StripeEvent
from orders.refunds import apply_stripe_refunds
from tiein.db import Database, now_utc
from tiein.errors import DomainError

log = logging.getLogger("tiein.webhooks")

MAX_BODY = 512 * 1024


class _Duplicate(Exception):
    pass


async def handle_event(session: AsyncSession, event: dict[str, Any]) -> str:
    """Apply one verified event inside the caller's transaction; returns what was done."""
    now = now_utc()
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    if kind == "payment_intent.succeeded":
        # By its id, or by the order id in its metadata when checkout did not record it.
        order = await lock_order_of_intent(
            session, str(obj.get("id") or ""), obj.get("metadata") or {}, now=now
        )
        if order is None:
            return "unknown payment intent"
        amount, currency = obj.get("amount"), str(obj.get("currency") or "").upper()
        if (amount is not None and amount != order.total_minor) or (
            currency and currency != order.currency
        ):
            log.error("order %s: paid %s %s, not its total", order.number, amount, currency)
            return "amount differs from the order: not fulfilled"
        done = await fulfil_order(session, order.id, now=now)
        return "fulfilled" if done else "already paid"
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        message = error.get("message") or "The payment failed."
        await record_payment_failure(session, obj.get("id", ""), message, now=now)
        return "failure recorded"
    if kind == "payment_intent.canceled":
        order = await lock_order(session, intent_id=obj.get("id", ""))
        if order is None:
            return "unknown payment intent"
        # `tiein orders expire` cancels the intents of orders whose time ran out.
        status = OrderStatus.EXPIRED if order.expires_at <= now else OrderStatus.CANCELLED
        done = await cancel_unpaid_order(session, order, status, now=now)
        return "cancelled" if done else "ignored"
    if kind == "charge.refunded":
        intent_id = obj.get("payment_intent") or ""
        # Recent API versions leave `refunds` out of a charge unless expanded: then only
        # the charge's `amount_refunded` tells what was paid back.
        refunds = (obj.get("refunds") or {}).get("data") or []
        total = obj.get("amount_refunded")
        applied = await apply_stripe_refunds(
            session,
            intent_id,
            refunds,
            amount_refunded=int(total) if isinstance(total, int) else None,
            charge_id=obj.get("id") or "",
            now=now,
        )
        return f"{applied} refund(s) applied"
    return "ignored"


async def stripe_webhook(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get("stripe-signature")
    if not settings.stripe_webhook_secret:
        return JSONResponse({"error": "webhooks are not configured"}, status_code=503)
    try:
        event = stripe.Webhook.construct_event(
            body, signature, settings.stripe_webhook_secret, tolerance=300
        ).to_dict()
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        return JSONResponse({"error": "not an event"}, status_code=400)

    db: Database = request.app.state.db
    try:
        async with db.session() as session:
            seen = await session.scalar(
                select(StripeEvent.id).where(StripeEvent.event_id == event["id"])
            )
            if seen is not None:
                raise _Duplicate
            session.add(StripeEvent(event_id=event["id"][:120], type=event["type"][:80]))
            try:
                await session.flush()
            except IntegrityError:
                # Another delivery of this event committed first (PostgreSQL waited for it).
                raise _Duplicate from None
            outcome = await handle_event(session, event)
    except _Duplicate:
        return JSONResponse({"received": True, "duplicate": True})
    except DomainError as exc:
        # Nothing was recorded: Stripe retries, and `tiein payments reconcile` will too.
        log.error("stripe event %s %s refused: %s", event["id"], event["type"], exc)
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=500)
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return JSONResponse({"received": True, "outcome": outcome})


routes: list = [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
