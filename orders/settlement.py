"""What happens when Stripe says an order is paid — exactly once — and when it never will be.

Exactly once: `settle_order` locks the order row (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite the write transaction began with BEGIN IMMEDIATE, so writers are serialized) and
acts only on an order still awaiting payment. Everything — status, reservations becoming
sales, tickets, ledger entries, fulfilments to ship — happens in the caller's one
transaction, so a crash leaves either all of it or none of it, and a second delivery of the
same news finds the order paid.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Cinema, Showtime
from catalog.stock import Shortage, return_items, take_items
from catalog.tickets import issue_tickets
from kernel.errors import DomainError
from kernel.outbox import enqueue
from kernel.parsing import InvalidInput, parse_id
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from orders.codes import OrderError
from orders.fulfilment_create import create_fulfilments
from orders.models import (
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Reservation,
    ReservationStatus,
)
from orders.promo_uses import release_use, retake_use

log = logging.getLogger("tiein.orders")


async def lock_order(
    session: AsyncSession, *, order_id: int | None = None, intent_id: str | None = None
) -> Order | None:
    """The order, locked for the rest of the transaction and read fresh."""
    query = select(Order).with_for_update().execution_options(populate_existing=True)
    if order_id is not None:
        query = query.where(Order.id == order_id)
    elif intent_id is not None:
        query = query.where(Order.payment_intent_id == intent_id)
    else:
        raise ValueError("lock_order needs an order id or an intent id")
    return await session.scalar(query)


async def record_intent(
    session: AsyncSession, order: Order, intent_id: str, status: str, *, now: datetime
) -> bool:
    """Attach a PaymentIntent to its order (whose row the caller has locked), once: the
    order's intent id and its Payment row. False, and nothing changes, when the order
    already holds another intent."""
    if order.payment_intent_id == intent_id:
        return True
    if order.payment_intent_id is not None:
        return False
    order.payment_intent_id = intent_id
    session.add(
        Payment(
            order_id=order.id,
            intent_id=intent_id,
            amount_minor=order.total_minor,
            currency=order.currency,
            status=status,
            last_error="",
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return True


async def lock_order_of_intent(
    session: AsyncSession,
    intent_id: str,
    metadata: Mapping[str, Any],
    *,
    amount: int | None = None,
    currency: str = "",
    now: datetime,
) -> Order | None:
    """The order a PaymentIntent pays, locked. Found by the intent id; or — for an intent
    that checkout created but did not get to record (a crash between Stripe's answer and the
    commit) — by the order id in the intent's metadata, when the order number matches too
    and the order holds no other intent (and, when given, the intent's amount and currency
    are the order's): the intent is then recorded on it."""
    order = await lock_order(session, intent_id=intent_id) if intent_id else None
    if order is not None or not intent_id:
        return order
    try:
        order_id = parse_id(metadata.get("order_id"), field="metadata.order_id")
    except InvalidInput:
        return None
    order = await lock_order(session, order_id=order_id)
    if order is None or order.number != metadata.get("order_number"):
        return None
    if amount is not None and (amount, currency.upper()) != (order.total_minor, order.currency):
        return None  # not what this order costs: it does not get to claim the order
    if not await record_intent(session, order, intent_id, "requires_payment_method", now=now):
        return None
    log.warning("order %s: PaymentIntent %s recorded from its metadata", order.number, intent_id)
    return order


async def order_lines(session: AsyncSession, order_id: int) -> list[OrderLine]:
    """The order's lines with their bundle allocations."""
    rows = await session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .options(selectinload(OrderLine.allocations))
        .order_by(OrderLine.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _reservations(
    session: AsyncSession, order_id: int, status: ReservationStatus
) -> list[Reservation]:
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == status)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _needs(reservations: list[Reservation]) -> dict[str, dict[int, int]]:
    """The `take_items`/`return_items` arguments of these reservations."""
    seats: dict[int, int] = {}
    units: dict[int, int] = {}
    variants: dict[int, int] = {}
    for r in reservations:
        if r.showtime_id is not None:
            seats[r.showtime_id] = seats.get(r.showtime_id, 0) + r.quantity
        elif r.variant_id is not None:
            variants[r.variant_id] = variants.get(r.variant_id, 0) + r.quantity
        else:
            assert r.product_id is not None
            units[r.product_id] = units.get(r.product_id, 0) + r.quantity
    return {"seats": seats, "units": units, "variants": variants}


async def release_reservations(session: AsyncSession, order_id: int) -> int:
    """Give the seats and units an unpaid order holds back; returns how many rows."""
    held = await _reservations(session, order_id, ReservationStatus.ACTIVE)
    await return_items(session, **_needs(held))
    for reservation in held:
        reservation.status = ReservationStatus.RELEASED
    await session.flush()
    return len(held)


async def _take_again(session: AsyncSession, order: Order) -> bool:
    """A payment arrived for an order whose reservation was released: take the same seats
    and units again if they are still there (all or nothing)."""
    released = await _reservations(session, order.id, ReservationStatus.RELEASED)
    try:
        await take_items(session, **_needs(released))
    except Shortage:
        return False
    for reservation in released:
        reservation.status = ReservationStatus.ACTIVE
    await retake_use(session, order.id)
    await session.flush()
    return True


async def _record_payment(
    session: AsyncSession, order: Order, *, now: datetime, error: str = ""
) -> None:
    if order.payment_intent_id:
        await session.execute(
            update(Payment)
            .where(Payment.intent_id == order.payment_intent_id)
            .values(status="succeeded", last_error=error, updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def settle_order(session: AsyncSession, order_id: int, *, now: datetime) -> bool:
    """Make a paid order `paid`, exactly once (SPEC §6): reservations become sales, tickets
    are issued for ticket and bundle lines, royalty entries are posted for merch lines
    (product lines through the storefront in the shipping country; bundle merch parts
    through the bundle channel in the cinema's country), and the receipt e-mail is queued
    (`email.receipt`, once per order). True when this call did it; False
    when the order was already paid (or refunded) — a duplicate, which changes nothing.

    A payment for an order that expired or was cancelled meanwhile takes its items again
    when they are still free; otherwise the order is left as it is and logged for a refund.
    """
    order = await lock_order(session, order_id=order_id)
    if order is None:
        raise DomainError(OrderError.ORDER_NOT_FOUND, f"No order {order_id}.")
    if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        if not await _take_again(session, order):
            log.error(
                "order %s was paid after it %s and its items are gone: refund it",
                order.number,
                order.status.value,
            )
            # Kept on the payment, so the money taken is on record for staff, not only in logs.
            await _record_payment(
                session,
                order,
                now=now,
                error=f"Paid after the order {order.status.value}; its items were gone. "
                "Refund this payment.",
            )
            return False
    elif order.status != OrderStatus.PENDING_PAYMENT:
        return False

    await session.execute(
        update(Reservation)
        .where(Reservation.order_id == order.id, Reservation.status == ReservationStatus.ACTIVE)
        .values(status=ReservationStatus.CONVERTED)
        .execution_options(synchronize_session=False)
    )
    order.status = OrderStatus.PAID
    order.paid_at = now
    await _record_payment(session, order, now=now)

    lines = await order_lines(session, order.id)
    showtime_ids = {line.showtime_id for line in lines if line.showtime_id is not None}
    countries: dict[int, str] = {}
    if showtime_ids:
        rows = await session.execute(
            select(Showtime.id, Cinema.country)
            .join(Cinema, Cinema.id == Showtime.cinema_id)
            .where(Showtime.id.in_(showtime_ids))
        )
        countries = {showtime_id: country for showtime_id, country in rows}

    sales: list[SaleLine] = []
    for line in lines:
        if line.kind == LineKind.PRODUCT:
            assert line.product_id is not None
            sales.append(
                SaleLine(
                    source_ref=f"order_line:{line.id}",
                    product_id=line.product_id,
                    units=line.quantity,
                    net_minor=line.total_minor - line.discount_minor,
                    channel=Channel.STOREFRONT,
                    territory=order.country,
                    occurred_at=now,
                )
            )
            continue
        assert line.showtime_id is not None
        await issue_tickets(
            session,
            order_line_id=line.id,
            showtime_id=line.showtime_id,
            count=line.quantity,
            now=now,
        )
        for part in line.allocations:
            if part.product_id is None:
                continue  # the ticket part earns no merch royalty
            sales.append(
                SaleLine(
                    source_ref=f"bundle_part:{part.id}",
                    product_id=part.product_id,
                    units=part.qty * line.quantity,
                    net_minor=part.net_minor,
                    channel=Channel.BUNDLE,
                    territory=countries[line.showtime_id],
                    occurred_at=now,
                )
            )
    if sales:
        await post_sales(session, sales, now=now)
    await create_fulfilments(session, order, lines, now=now)
    # The receipt (SPEC §8), queued in this transaction: sent once the payment is on record.
    await enqueue(
        session, "email.receipt", {"order_id": order.id}, now=now, dedupe_key=f"receipt:{order.id}"
    )
    await session.flush()
    log.info("order %s paid", order.number)
    return True


async def record_payment_failure(
    session: AsyncSession, intent_id: str, message: str, *, now: datetime
) -> None:
    """A failed attempt: keep Stripe's words; the order stays payable. Never touches a
    payment that succeeded (events may arrive out of order)."""
    await session.execute(
        update(Payment)
        .where(Payment.intent_id == intent_id, Payment.status != "succeeded")
        .values(status="requires_payment_method", last_error=message[:2000], updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def cancel_unpaid_order(
    session: AsyncSession, order: Order, status: OrderStatus, *, now: datetime
) -> bool:
    """Release an unpaid order's items and mark it `expired` or `cancelled` (the order row
    must be locked by the caller). False, and nothing changes, unless it awaits payment."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    await release_reservations(session, order.id)
    await release_use(session, order.id, now=now)
    order.status = status
    if order.payment_intent_id:
        await session.execute(
            update(Payment)
            .where(Payment.intent_id == order.payment_intent_id, Payment.status != "succeeded")
            .values(status="canceled", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    log.info("order %s %s", order.number, status.value)
    return True
