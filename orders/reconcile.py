"""The periodic safety nets: `tiein payments reconcile` and `tiein orders expire`.

Both are idempotent and safe to run from any scheduler, beside the webhook and beside each
other: every change happens under the order's row lock and only from `pending_payment`.
Stripe is asked outside any database transaction, one order at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.fulfilment import cancel_unpaid_order, fulfil_order, lock_order
from orders.models import Order, OrderStatus, Payment
from orders.payments import CANCELABLE, PaymentUnavailable, StripeGateway
from tiein.db import Database

log = logging.getLogger("tiein.orders")


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    cancelled: int = 0
    expired: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"checked {self.checked}",
            f"paid {self.paid}",
            f"cancelled {self.cancelled}",
            f"expired {self.expired}",
            f"unchanged {self.unchanged}",
        ]
        if self.errors:
            parts.append(f"errors {len(self.errors)}")
        return ", ".join(parts)


async def _pending(db: Database, *, expired_before: datetime | None = None) -> list[tuple]:
    async with db.read_session() as session:
        query = select(
            Order.id, Order.number, Order.payment_intent_id, Order.total_minor, Order.currency
        ).where(Order.status == OrderStatus.PENDING_PAYMENT)
        if expired_before is not None:
            query = query.where(Order.expires_at <= expired_before)
        rows = await session.execute(query.order_by(Order.id))
        return [tuple(row) for row in rows]


async def _fulfil(db: Database, order_id: int, now: datetime) -> bool:
    async with db.session() as session:
        return await fulfil_order(session, order_id, now=now)


async def _close(db: Database, order_id: int, status: OrderStatus, now: datetime) -> bool:
    async with db.session() as session:
        order = await lock_order(session, order_id=order_id)
        if order is None:
            return False
        return await cancel_unpaid_order(session, order, status, now=now)


async def reconcile_payments(
    db: Database, gateway: StripeGateway, *, now: datetime
) -> ReconcileReport:
    """Ask Stripe about every order awaiting payment and apply what it says: a succeeded
    intent fulfils the order (once — the webhook may race us and that is fine), a canceled
    one cancels it and frees its items, a failed attempt is recorded. The net for a lost
    webhook or a crash between payment and fulfilment (SPEC §6)."""
    report = ReconcileReport()
    for order_id, number, intent_id, total, currency in await _pending(db):
        if not intent_id:
            continue
        report.checked += 1
        try:
            intent = await gateway.retrieve_intent(intent_id)
        except PaymentUnavailable as exc:
            report.errors.append(f"{number}: {exc}")
            continue
        if intent.status == "succeeded" and (intent.amount, intent.currency) != (total, currency):
            report.errors.append(f"{number}: Stripe holds {intent.amount} {intent.currency}")
        elif intent.status == "succeeded":
            if await _fulfil(db, order_id, now):
                report.paid += 1
                log.warning("order %s was paid but not fulfilled: fulfilled by reconcile", number)
            else:
                report.unchanged += 1
        elif intent.status == "canceled":
            if await _close(db, order_id, OrderStatus.CANCELLED, now):
                report.cancelled += 1
            else:
                report.unchanged += 1
        else:
            async with db.session() as session:
                payment = await session.scalar(
                    select(Payment).where(Payment.intent_id == intent_id)
                )
                if payment is not None and payment.status != "succeeded":
                    payment.status = intent.status
                    if intent.last_error:
                        payment.last_error = intent.last_error
                    payment.updated_at = now
            report.unchanged += 1
    return report


async def expire_orders(
    db: Database, gateway: StripeGateway | None, *, now: datetime
) -> ReconcileReport:
    """Release the items of unpaid orders whose time ran out, mark them `expired` and cancel
    their PaymentIntents. The intent is cancelled first: an intent that turns out to have
    succeeded meanwhile fulfils the order instead, and one that is still processing is left
    for the next run — so a paid order is never expired. Without a gateway, orders that have
    a PaymentIntent are left pending (reported as errors)."""
    report = ReconcileReport()
    for order_id, number, intent_id, _total, _currency in await _pending(db, expired_before=now):
        report.checked += 1
        if intent_id and gateway is None:
            # Its PaymentIntent may still be paid; without Stripe we cannot cancel it first.
            report.errors.append(f"{number}: Stripe is not configured; left pending")
            continue
        if intent_id and gateway is not None:
            try:
                intent = await gateway.retrieve_intent(intent_id)
                if intent.status in CANCELABLE:
                    intent = await gateway.cancel_intent(intent_id)
            except PaymentUnavailable as exc:
                report.errors.append(f"{number}: {exc}")
                continue
            if intent.status == "succeeded":
                if await _fulfil(db, order_id, now):
                    report.paid += 1
                continue
            if intent.status != "canceled":
                report.unchanged += 1  # processing: Stripe will tell us how it ends
                continue
        if await _close(db, order_id, OrderStatus.EXPIRED, now):
            report.expired += 1
        else:
            report.unchanged += 1
    return report


@dataclass(frozen=True)
class StrandedPayment:
    """Money taken for an order that could not be fulfilled: it must be paid back."""

    order_number: str
    amount_minor: int
    currency: str
    reason: str


async def stranded_payments(session: AsyncSession) -> list[StrandedPayment]:
    """Succeeded payments whose orders expired or were cancelled (a payment that arrived after
    the order's items were sold again). Nothing paid is lost: staff see these and refund."""
    rows = await session.execute(
        select(Order.number, Payment.amount_minor, Payment.currency, Payment.last_error)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status == "succeeded",
            Order.status.in_((OrderStatus.EXPIRED, OrderStatus.CANCELLED)),
        )
        .order_by(Payment.updated_at)
    )
    return [StrandedPayment(*row) for row in rows]
