"""The periodic safety nets: `tiein payments reconcile` and `tiein orders expire`.

Both are idempotent and safe to run from any scheduler, beside the webhook and beside each
other: every change happens under the order's row lock and only from `pending_payment`.
Stripe is asked outside any database transaction, one order at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import Database
from kernel.errors import DomainError
from orders.checkout import create_order_intent, record_order_intent
from orders.models import Order, OrderStatus, Payment, Refund, RefundLine
from orders.payments import CANCELABLE, CardDeclined, PaymentUnavailable, StripeGateway
from orders.refunds import abandon_refund, complete_refund, pay_back
from orders.settlement import cancel_unpaid_order, lock_order, settle_order

log = logging.getLogger("tiein.orders")


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    cancelled: int = 0
    expired: int = 0
    unchanged: int = 0
    refunds_completed: int = 0
    refunds_abandoned: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"checked {self.checked}",
            f"paid {self.paid}",
            f"cancelled {self.cancelled}",
            f"expired {self.expired}",
            f"unchanged {self.unchanged}",
        ]
        if self.refunds_completed or self.refunds_abandoned:
            parts.append(f"refunds completed {self.refunds_completed}")
            parts.append(f"refunds abandoned {self.refunds_abandoned}")
        if self.errors:
            parts.append(f"errors {len(self.errors)}")
        return ", ".join(parts)


# Checkout and refunds go through their phases within seconds; what is older than this
# without its Stripe answer recorded was left by a crash, and the jobs take it over.
STALE_AFTER = timedelta(minutes=2)


async def _pending(db: Database, *, expired_before: datetime | None = None) -> list[tuple]:
    async with db.read_session() as session:
        query = select(
            Order.id, Order.number, Order.payment_intent_id, Order.total_minor, Order.currency
        ).where(Order.status == OrderStatus.PENDING_PAYMENT)
        if expired_before is not None:
            query = query.where(Order.expires_at <= expired_before)
        rows = await session.execute(query.order_by(Order.id))
        return [tuple(row) for row in rows]


async def _settle(db: Database, order_id: int, now: datetime) -> bool:
    async with db.session() as session:
        return await settle_order(session, order_id, now=now)


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
    intent settles the order (once — the webhook may race us and that is fine), a canceled
    one cancels it and frees its items, a failed attempt is recorded. The net for a lost
    webhook or a crash between payment and its settlement (SPEC §6). It also takes over what a
    crash left half-way: an order whose PaymentIntent was never recorded gets it (same
    idempotency key, same intent), and a pending refund is completed or abandoned."""
    report = ReconcileReport()
    for order_id, number, intent_id, total, currency in await _pending(db):
        if not intent_id:
            try:
                intent_id = await _adopt_intent(db, gateway, order_id, now=now)
            except DomainError as exc:
                report.errors.append(f"{number}: {exc.message}")
                continue
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
            if await _settle(db, order_id, now):
                report.paid += 1
                log.warning("order %s was paid but not settled: settled by reconcile", number)
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
    await _settle_refunds(db, gateway, report, now=now)
    return report


async def _adopt_intent(
    db: Database, gateway: StripeGateway, order_id: int, *, now: datetime
) -> str | None:
    """An order left awaiting payment without its PaymentIntent (a crash during checkout)
    and older than STALE_AFTER: ask Stripe for its intent again — the idempotency key comes
    from the order, so an intent created before the crash is the one returned — and record
    it. The intent's id, or None when the order is not stale (or not pending) any more."""
    async with db.read_session() as session:
        order = await session.get(Order, order_id)
    if order is None or order.payment_intent_id or order.created_at > now - STALE_AFTER:
        return None
    intent = await create_order_intent(gateway, order)
    async with db.session() as session:
        recorded = await record_order_intent(session, order_id, intent, now=now)
    return intent.id if recorded is not None else None


async def _settle_refunds(
    db: Database, gateway: StripeGateway, report: ReconcileReport, *, now: datetime
) -> None:
    """Refunds left pending by a crash: ask Stripe again with the refund's own key (it pays
    back once) and complete them; abandon those Stripe refuses."""
    async with db.read_session() as session:
        ids = await pending_refunds(session, claimed_before=now - STALE_AFTER)
    for refund_id in ids:
        async with db.read_session() as session:
            refund = await session.get(Refund, refund_id)
            order = await session.get(Order, refund.order_id) if refund else None
        if refund is None or order is None:
            continue
        try:
            stripe_refund_id = await pay_back(gateway, refund, order)
        except (PaymentUnavailable, CardDeclined) as exc:
            if isinstance(exc, PaymentUnavailable) and not exc.refused:
                report.errors.append(f"{order.number} refund {refund_id}: {exc}")
                continue
            async with db.session() as session:
                if await abandon_refund(session, refund_id):
                    report.refunds_abandoned += 1
            continue
        try:
            async with db.session() as session:
                done = await complete_refund(session, refund_id, stripe_refund_id, now=now)
        except DomainError as exc:
            report.errors.append(f"{order.number} refund {refund_id}: {exc.message}")
            continue
        if done is not None:
            report.refunds_completed += 1
            log.warning("order %s: refund %s completed by reconcile", order.number, refund_id)


async def expire_orders(
    db: Database, gateway: StripeGateway | None, *, now: datetime
) -> ReconcileReport:
    """Release the items of unpaid orders whose time ran out, mark them `expired` and cancel
    their PaymentIntents. The intent is cancelled first: an intent that turns out to have
    succeeded meanwhile settles the order instead, and one that is still processing is left
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
                if await _settle(db, order_id, now):
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
    """Money taken for an order that could not be settled: it must be paid back."""

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


async def pending_refunds(session: AsyncSession, *, claimed_before: datetime) -> list[int]:
    """Ids of refunds claimed before `claimed_before` and still pending: paid through Stripe,
    with lines, and no Stripe refund id recorded (a crash between the phases)."""
    rows = await session.scalars(
        select(Refund.id)
        .join(Order, Order.id == Refund.order_id)
        .where(
            Refund.stripe_refund_id.is_(None),
            Refund.created_at <= claimed_before,
            Order.payment_intent_id.is_not(None),
            select(RefundLine.id).where(RefundLine.refund_id == Refund.id).exists(),
        )
        .order_by(Refund.id)
    )
    return list(rows)
