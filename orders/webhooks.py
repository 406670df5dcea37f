"""`POST /webhooks/stripe`: Stripe's signed news about payments and refunds.

The signature is checked on the raw body (a bad one, or one timestamped more than five
minutes away from now — in the past or in the future — is 400 and nothing changes). A
signed event whose fields are not of their kind (an `id` that is not `evt_…`, a success
without an integer `amount` and a currency code, …) is malformed: 400, nothing recorded,
nothing applied (`parse_event`).
The event id is recorded in `stripe_events` in the same transaction as its effect, and the
id is unique, so a duplicate delivery — even five at once — is answered 200 and does nothing.
Effects are idempotent on their own too (the order row is locked and its status checked), so
an event and the reconcile job can never both apply a payment, and events arriving out of
order never move a paid order backwards.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kernel.clock import now_utc
from kernel.db import Database
from kernel.errors import DomainError
from kernel.parsing import InvalidInput, clean_text, parse_int
from orders.models import OrderStatus, StripeEvent
from orders.settlement import (
    cancel_unpaid_order,
    lock_order,
    lock_order_of_intent,
    record_payment_failure,
    settle_order,
)
from orders.stripe_refunds import apply_stripe_refunds

log = logging.getLogger("tiein.webhooks")

MAX_BODY = 512 * 1024
TOLERANCE_SECONDS = 300  # how far a signature's timestamp may be from now, either way
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,116}", re.ASCII)  # event_id is String(120)
_STRIPE_ID = re.compile(r"[a-z]{1,8}_[A-Za-z0-9_]{1,120}", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)


class _Duplicate(Exception):
    pass


@dataclass(frozen=True)
class Event:
    """A verified event whose fields were checked by `parse_event`: `obj` is its
    `data.object`, and the fields the handlers read are of their kind."""

    id: str
    type: str
    obj: dict[str, Any]


def _stripe_id(value: object, field: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    text = clean_text(value, field=field, max_len=130)
    if not _STRIPE_ID.fullmatch(text):
        raise InvalidInput("Not a Stripe id.", field)
    return text


def _amount(value: object, field: str) -> int:
    """An amount in minor units: a JSON integer (never a bool, a float or a string)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("An amount is an integer of minor units.", field)
    return parse_int(value, field=field, min=0, max=10**15)


def parse_event(data: object) -> Event:
    """The event of a verified payload, with the fields its handler reads checked: the id is
    `evt_…`, the type is text, `data.object` is an object; payment-intent events carry the
    intent's id, and a success its `amount` (an integer) and `currency` (a code); a refund
    carries the intent's id and integer amounts. Anything else is InvalidInput (a 400)."""
    if not isinstance(data, dict):
        raise InvalidInput("Not an event.", "event")
    event_id = clean_text(data.get("id"), field="id", max_len=120)
    if not _EVENT_ID.fullmatch(event_id):
        raise InvalidInput("An event id looks like evt_….", "id")
    kind = clean_text(data.get("type"), field="type", max_len=80, required=True)
    obj = (data.get("data") if isinstance(data.get("data"), dict) else {}).get("object")
    if not isinstance(obj, dict):
        raise InvalidInput("The event has no object.", "data.object")
    if kind.startswith("payment_intent."):
        _stripe_id(obj.get("id"), "data.object.id")
        if not isinstance(obj.get("metadata") or {}, dict):
            raise InvalidInput("Metadata is an object.", "data.object.metadata")
    if kind == "payment_intent.succeeded":
        _amount(obj.get("amount"), "data.object.amount")
        currency = obj.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            raise InvalidInput("A currency is a three-letter code.", "data.object.currency")
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error")
        if error is not None and not isinstance(error, dict):
            raise InvalidInput("Not a payment error.", "data.object.last_payment_error")
        clean_text((error or {}).get("message"), field="last_payment_error", max_len=5000)
    if kind == "charge.refunded":
        _stripe_id(obj.get("id"), "data.object.id", required=False)
        _stripe_id(obj.get("payment_intent"), "data.object.payment_intent", required=False)
        if obj.get("amount_refunded") is not None:
            _amount(obj.get("amount_refunded"), "data.object.amount_refunded")
        refunds = obj.get("refunds")
        if refunds is not None and not isinstance(refunds, dict):
            raise InvalidInput("Not a list of refunds.", "data.object.refunds")
        listed = (refunds or {}).get("data")
        if listed is not None and not isinstance(listed, list):
            raise InvalidInput("Not a list of refunds.", "data.object.refunds.data")
        for n, refund in enumerate(listed or []):
            field = f"data.object.refunds.data.{n}"
            if not isinstance(refund, dict):
                raise InvalidInput("Not a refund.", field)
            _stripe_id(refund.get("id"), f"{field}.id")  # Stripe always names its refunds
            _amount(refund.get("amount") or 0, f"{field}.amount")
            clean_text(refund.get("status"), field=f"{field}.status", max_len=40)
            metadata = refund.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                raise InvalidInput("Not metadata.", f"{field}.metadata")
            clean_text((metadata or {}).get("tiein_refund"), field=f"{field}.metadata", max_len=120)
    return Event(event_id, kind, obj)


async def handle_event(session: AsyncSession, event: Event) -> str:
    """Apply one verified, parsed event inside the caller's transaction; returns what was
    done."""
    now = now_utc()
    kind, obj = event.type, event.obj
    if kind == "payment_intent.succeeded":
        # By its id, or by the order id in its metadata when checkout did not record it.
        order = await lock_order_of_intent(
            session,
            obj["id"],
            obj.get("metadata") or {},
            amount=obj["amount"],
            currency=obj["currency"],
            now=now,
        )
        if order is None:
            return "unknown payment intent"
        amount, currency = obj["amount"], obj["currency"].upper()
        if amount != order.total_minor or currency != order.currency:
            log.error("order %s: paid %s %s, not its total", order.number, amount, currency)
            return "amount differs from the order: not settled"
        done = await settle_order(session, order.id, now=now)
        return "settled" if done else "already paid"
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        message = error.get("message") or "The payment failed."
        await record_payment_failure(session, obj["id"], message, now=now)
        return "failure recorded"
    if kind == "payment_intent.canceled":
        order = await lock_order(session, intent_id=obj["id"])
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


def signature_timestamp(header: str | None) -> int | None:
    """The `t=` of a Stripe-Signature header, read strictly: exactly one item named `t` (the
    name Stripe's SDK matches, unstripped) holding up to 12 ASCII digits; None otherwise, and
    the event is refused. Reading it more loosely than the SDK (`t=+…`, a second `t`) would let
    a timestamp the SDK accepts slip past the check for the future (Stripe's own check only
    looks at the past)."""
    stamps = [
        value
        for name, _, value in (item.partition("=") for item in (header or "").split(","))
        if name == "t"
    ]
    if len(stamps) != 1 or not _TIMESTAMP.fullmatch(stamps[0]):
        return None
    return int(stamps[0])


def _refused(error: str, status: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, **extra}, status_code=status)


async def stripe_webhook(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refused("payload too large", 413)
    signature = request.headers.get("stripe-signature")
    if not settings.stripe_webhook_secret:
        return _refused("webhooks are not configured", 503)
    stamp = signature_timestamp(signature)
    if stamp is None or stamp > time.time() + TOLERANCE_SECONDS:
        return _refused("invalid signature")
    try:
        stripe.WebhookSignature.verify_header(
            body, signature, settings.stripe_webhook_secret, tolerance=TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError, TypeError, UnicodeDecodeError):
        return _refused("invalid signature")
    try:
        # our own reading of the verified body (the SDK's event builder assumes an object)
        event = parse_event(json.loads(body))
    except InvalidInput as exc:
        log.warning("malformed stripe event refused: %s (%s)", exc.message, exc.field)
        return _refused("malformed event", field=exc.field, message=exc.message)
    except (ValueError, RecursionError):
        return _refused("malformed event", message="The body is not JSON (or nests too deeply).")

    db: Database = request.app.state.db
    try:
        async with db.session() as session:
            seen = await session.scalar(
                select(StripeEvent.id).where(StripeEvent.event_id == event.id)
            )
            if seen is not None:
                raise _Duplicate
            session.add(StripeEvent(event_id=event.id, type=event.type))
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
        log.error("stripe event %s %s refused: %s", event.id, event.type, exc)
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=500)
    log.info("stripe event %s %s: %s", event.id, event.type, outcome)
    return JSONResponse({"received": True, "outcome": outcome})


routes: list = [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
