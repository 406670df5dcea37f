"""The card step of the pay page (SPEC §6): confirm the PaymentIntent, with no session open
while Stripe answers.

Read the order in a short read session, ask Stripe with no session open, then record the
answer in a short transaction — only while the order still awaits payment with that intent.
A success settles the order at once (the webhook that follows finds it paid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kernel.db import Database
from kernel.errors import DomainError
from orders.codes import OrderError
from orders.models import (
    Order,
    OrderStatus,
    Payment,
)
from orders.payments import CardDeclined, Intent, PaymentUnavailable, StripeGateway
from orders.settlement import lock_order, settle_order

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


@dataclass(frozen=True)
class CardStep:
    """What the pay page does next: `succeeded` (show the order), `requires_action` (run
    Stripe.js `confirmCardPayment(client_secret)`), or `requires_payment_method` with the
    decline in `message` (the order stays payable) and Stripe's decline code in `code`
    ("card_declined", "insufficient_funds", …; "" when there is none)."""

    status: str
    client_secret: str = ""
    message: str = ""
    code: str = ""


def check_payable(order: Order, *, now: datetime) -> None:
    """An order can be paid while it awaits payment and its reservation holds."""
    if order.status != OrderStatus.PENDING_PAYMENT or not order.payment_intent_id:
        raise DomainError(
            OrderError.ORDER_NOT_PAYABLE, f"This order is {order.status.replace('_', ' ')}."
        )
    if order.expires_at <= now:
        raise DomainError(
            OrderError.ORDER_NOT_PAYABLE,
            "The time to pay for this order has run out; its items were released.",
        )


async def _payable(db: Database, order_id: int, *, now: datetime) -> Order:
    """The pay step's first phase, in a short read session: the order as it stands now,
    which must be payable (`check_payable`)."""
    async with db.read_session() as session:
        order = await session.get(Order, order_id)
    if order is None:
        raise DomainError(OrderError.ORDER_NOT_FOUND, "No such order.", "order")
    check_payable(order, now=now)
    return order


async def _record_attempt(
    db: Database, order_id: int, intent_id: str, status: str, error: str
) -> bool:
    """Record how a payment attempt stands, in a short transaction, only while the order
    still awaits payment with that intent (a webhook or the jobs may have moved it on while
    Stripe was asked); a succeeded payment row is never moved back. False when the order
    moved on."""
    async with db.session() as session:
        # Every writer locks the order row before its payment row: no deadlock with the webhook.
        order = await lock_order(session, order_id=order_id)
        if (
            order is None
            or order.status != OrderStatus.PENDING_PAYMENT
            or order.payment_intent_id != intent_id
        ):
            return False
        payment = await session.scalar(select(Payment).where(Payment.intent_id == intent_id))
        if payment is not None and payment.status != "succeeded":
            payment.status = status
            payment.last_error = error
            await session.flush()
        return True


async def _apply_intent(db: Database, order_id: int, intent: Intent, *, now: datetime) -> CardStep:
    """The pay step's last phase, once Stripe has answered: a success settles the order (in
    whatever state it is now: `settle_order` acts once, and takes the items again for an
    order that expired meanwhile); any other status is recorded on the payment while the
    order still awaits payment with this intent."""
    if intent.status == "succeeded":
        async with db.session() as session:
            await settle_order(session, order_id, now=now)  # records the payment too
        return CardStep("succeeded")
    await _record_attempt(db, order_id, intent.id, intent.status, intent.last_error)
    if intent.status == "requires_action":
        return CardStep("requires_action", client_secret=intent.client_secret)
    if intent.status == "processing":
        return CardStep("processing", message="Your payment is being processed.")
    return CardStep(intent.status, message=intent.last_error or "The payment did not go through.")


async def confirm_payment(
    db: Database,
    order_id: int,
    payment_method: str,
    *,
    gateway: StripeGateway,
    now: datetime,
) -> CardStep:
    """Confirm the order's PaymentIntent with `payment_method` on the server. On success
    the order is settled at once (the webhook that follows finds it paid).

    No transaction is open while Stripe is asked (SPEC §6): the order is read in a short
    read session and checked payable, Stripe confirms with nothing open, and the answer is
    recorded in a short transaction (`_apply_intent`)."""
    order = await _payable(db, order_id, now=now)
    intent_id = order.payment_intent_id
    assert intent_id is not None
    try:
        intent = await gateway.confirm_intent(intent_id, payment_method)
    except CardDeclined as exc:
        await _record_attempt(db, order_id, intent_id, "requires_payment_method", exc.message)
        return CardStep("requires_payment_method", message=exc.message, code=exc.code)
    except PaymentUnavailable as exc:
        raise DomainError(
            OrderError.PAYMENT_UNAVAILABLE,
            "The payment service did not answer; you were not charged. Please try again.",
        ) from exc
    return await _apply_intent(db, order_id, intent, now=now)


async def confirm_with_token(
    db: Database,
    order_id: int,
    token_id: str,
    *,
    gateway: StripeGateway,
    now: datetime,
) -> CardStep:
    """The card step of the pay page: Stripe.js `createToken` (Card Element) gives a token;
    the server turns it into a payment method and confirms the PaymentIntent. Works with
    real Stripe.js and with localstripe's stand-in. Like `confirm_payment`, it holds no
    transaction open while Stripe is asked."""
    token_id = (token_id or "").strip()
    await _payable(db, order_id, now=now)
    if not re.fullmatch(r"tok_\w{1,100}", token_id):
        raise DomainError(
            OrderError.INVALID, "The card details did not arrive.", "token", {"reason": "token"}
        )
    try:
        payment_method = await gateway.payment_method_from_token(token_id)
    except CardDeclined as exc:
        return CardStep("requires_payment_method", message=exc.message, code=exc.code)
    except PaymentUnavailable as exc:
        raise DomainError(
            OrderError.PAYMENT_UNAVAILABLE,
            "The payment service did not accept the card details; you were not charged.",
        ) from exc
    return await confirm_payment(db, order_id, payment_method, gateway=gateway, now=now)


async def refresh_payment(
    db: Database, order_id: int, *, gateway: StripeGateway, now: datetime
) -> CardStep:
    """Ask Stripe how the order's payment stands and apply a success at once (after Stripe.js
    `confirmCardPayment` finished 3-D Secure, the page need not wait for the webhook).
    Idempotent: a paid order answers `succeeded` without asking Stripe. No transaction is
    open while Stripe is asked (read, ask, then record in a short transaction)."""
    async with db.read_session() as session:
        order = await session.get(Order, order_id)
    if order is None:
        raise DomainError(OrderError.ORDER_NOT_FOUND, "No such order.", "order")
    if order.status != OrderStatus.PENDING_PAYMENT:
        done = order.status in (
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        )
        return CardStep("succeeded" if done else order.status.value)
    if not order.payment_intent_id:
        raise DomainError(OrderError.ORDER_NOT_PAYABLE, "This order has no payment.")
    try:
        intent = await gateway.retrieve_intent(order.payment_intent_id)
    except PaymentUnavailable as exc:
        raise DomainError(
            OrderError.PAYMENT_UNAVAILABLE, "The payment service did not answer; try again."
        ) from exc
    return await _apply_intent(db, order_id, intent, now=now)
