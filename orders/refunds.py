"""Refunds: some lines or the whole order, through Stripe's Refund API (SPEC §4, §6).

`refund_order_lines` locks the order, checks the quantities, writes the Refund and its lines,
asks Stripe with an idempotency key (the order's n-th refund has key
`tiein-refund-<number>-<n>`), then in the same transaction updates the lines and the order
status, voids the refunded tickets, frees their seats, returns merch to stock only when
asked, and posts the ledger reversals. If Stripe refuses, the DomainError rolls it all back.

Refunds made outside tiein (the Stripe dashboard) arrive as `charge.refunded` and are
recorded by `apply_stripe_refunds` without lines: the money is accounted for, the royalty
is not reversed (no one said which units came back) and a warning is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Showtime
from catalog.stock import return_seats, return_stock
from catalog.tickets import void_tickets
from licensing.ledger import post_refund
from orders.codes import OrderError
from orders.fulfilment import lock_order, order_lines
from orders.models import LineKind, Order, OrderLine, OrderStatus, Refund, RefundLine
from orders.payments import CardDeclined, PaymentUnavailable, StripeGateway
from tiein.errors import DomainError

log = logging.getLogger("tiein.orders")

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


def _plan(
    lines: list[OrderLine], wanted: Sequence[tuple[int, int]] | None
) -> list[tuple[OrderLine, int]]:
    by_id = {line.id: line for line in lines}
    if wanted is None:
        plan = [(line, line.quantity - line.refunded_quantity) for line in lines]
        plan = [(line, qty) for line, qty in plan if qty > 0]
        if not plan:
            raise DomainError(OrderError.NOT_REFUNDABLE, "Everything was refunded already.")
        return plan
    totals: dict[int, int] = {}
    for line_id, qty in wanted:
        if line_id not in by_id:
            raise DomainError(
                OrderError.INVALID_REFUND, f"No line {line_id} in this order.", "lines"
            )
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise DomainError(OrderError.INVALID_REFUND, "Refund one unit or more.", "lines")
        totals[line_id] = totals.get(line_id, 0) + qty
    plan = []
    for line_id, qty in totals.items():
        line = by_id[line_id]
        left = line.quantity - line.refunded_quantity
        if qty > left:
            raise DomainError(
                OrderError.INVALID_REFUND,
                f"{line.description}: only {left} of {line.quantity} can still be refunded.",
                "lines",
            )
        plan.append((line, qty))
    if not plan:
        raise DomainError(OrderError.INVALID_REFUND, "Choose what to refund.", "lines")
    return sorted(plan, key=lambda p: p[0].id)


async def refund_order_lines(
    session: AsyncSession,
    order_id: int,
    lines: Sequence[tuple[int, int]] | None,
    *,
    restock: bool,
    by: str,
    gateway: StripeGateway | None,
    now: datetime,
    reason: str = "",
) -> Refund:
    """Refund `(order_line_id, quantity)` pairs of a paid order, or all that is left when
    `lines` is None. Each refunded unit gives back its unit price; the order becomes
    `partially_refunded` or `refunded`; tickets of refunded ticket and bundle lines are
    voided and their seats freed; merch goes back to stock only when `restock`; each line
    (each merch part of a bundle) posts its ledger reversal. Exactly once per call: the
    order row is locked, and Stripe's idempotency key makes a retried call refund once."""
    order = await lock_order(session, order_id=order_id)
    if order is None:
        raise DomainError(OrderError.ORDER_NOT_FOUND, f"No order {order_id}.", "order")
    if order.status not in REFUNDABLE:
        raise DomainError(
            OrderError.NOT_REFUNDABLE,
            f"Only paid orders can be refunded; this one is {order.status.replace('_', ' ')}.",
        )
    all_lines = await order_lines(session, order.id)
    plan = _plan(all_lines, lines)
    amount = sum(line.unit_price_minor * qty for line, qty in plan)
    if amount <= 0 or order.refunded_minor + amount > order.total_minor:
        raise DomainError(OrderError.INVALID_REFUND, "Nothing to pay back for these lines.")
    count = await session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id))
    key = f"tiein-refund-{order.number}-{(count or 0) + 1}"
    refund = Refund(
        order_id=order.id,
        idempotency_key=key,
        amount_minor=amount,
        restock=restock,
        reason=(reason or "")[:2000],
        created_by=(by or "")[:200],
        created_at=now,
    )
    session.add(refund)
    await session.flush()
    refund_lines: list[tuple[RefundLine, OrderLine, int]] = []
    for line, qty in plan:
        row = RefundLine(
            refund_id=refund.id,
            order_line_id=line.id,
            quantity=qty,
            amount_minor=line.unit_price_minor * qty,
        )
        session.add(row)
        refund_lines.append((row, line, qty))
    await session.flush()

    if order.payment_intent_id and gateway is None:
        raise DomainError(OrderError.PAYMENT_UNAVAILABLE, "Payments are not configured.")

    for row, line, qty in refund_lines:
        line.refunded_quantity += qty
        if line.kind == LineKind.PRODUCT:
            if restock:
                assert line.product_id is not None
                await return_stock(session, line.product_id, qty)
            await post_refund(
                session,
                original_source_ref=f"order_line:{line.id}",
                refund_source_ref=f"refund_line:{row.id}",
                units=qty,
                net_minor=line.unit_price_minor * qty,
                occurred_at=now,
                now=now,
            )
            continue
        assert line.showtime_id is not None
        await void_tickets(session, line.id, qty, now=now)
        starts_at = await session.scalar(
            select(Showtime.starts_at).where(Showtime.id == line.showtime_id)
        )
        if starts_at is not None and starts_at > now:
            await return_seats(session, line.showtime_id, qty)
        for part in line.allocations:
            if part.product_id is None:
                continue
            if restock:
                await return_stock(session, part.product_id, part.qty * qty)
            await post_refund(
                session,
                original_source_ref=f"bundle_part:{part.id}",
                refund_source_ref=f"refund_part:{row.id}:{part.id}",
                units=part.qty * qty,
                net_minor=part.amount_minor * qty,
                occurred_at=now,
                now=now,
            )
    order.refunded_minor += amount
    fully = all(line.refunded_quantity >= line.quantity for line in all_lines)
    order.status = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    await session.flush()

    # Money moves last: every rule above (stock, tickets, ledger, a period closed meanwhile)
    # has had its say, so a refusal cannot leave a refund paid out with nothing recorded. A
    # retry after a failed commit reuses the same key, and Stripe refunds once.
    if order.payment_intent_id and gateway is not None:
        try:
            result = await gateway.create_refund(
                payment_intent=order.payment_intent_id,
                amount=amount,
                idempotency_key=key,
                metadata={"order_number": order.number, "tiein_refund": key},
            )
        except (PaymentUnavailable, CardDeclined) as exc:
            raise DomainError(
                OrderError.REFUND_FAILED,
                f"Stripe did not make the refund, so nothing changed: {exc}",
            ) from exc
        refund.stripe_refund_id = result.id
        await session.flush()
    log.info("order %s refunded %s by %s", order.number, amount, by)
    return refund


async def apply_stripe_refunds(
    session: AsyncSession,
    intent_id: str,
    refunds: list[dict[str, Any]],
    *,
    now: datetime,
    amount_refunded: int | None = None,
    charge_id: str = "",
) -> int:
    """Record the refunds of a `charge.refunded` event that tiein does not know yet (made
    in the Stripe dashboard). Known ones (by Stripe id or our idempotency key) are skipped.
    Without the refund list, a charge's `amount_refunded` above what tiein recorded is
    recorded as one refund (once per amount)."""
    if not intent_id or not (refunds or amount_refunded):
        return 0
    order = await lock_order(session, intent_id=intent_id)
    if order is None or order.status not in REFUNDABLE:
        return 0
    if not refunds and amount_refunded is not None:
        missing = min(amount_refunded, order.total_minor) - order.refunded_minor
        key = f"stripe-{charge_id or intent_id}-{amount_refunded}"[:120]
        known = await session.scalar(select(Refund.id).where(Refund.idempotency_key == key))
        if missing <= 0 or known is not None:
            return 0
        refunds = [{"id": None, "amount": missing, "status": "succeeded", "_key": key}]
    applied = 0
    for data in refunds:
        stripe_id = data.get("id")
        ours = (data.get("metadata") or {}).get("tiein_refund") or ""
        known = (
            await session.scalar(
                select(Refund.id).where(
                    (Refund.stripe_refund_id == stripe_id) | (Refund.idempotency_key == ours)
                )
            )
            if stripe_id
            else None
        )
        if known is not None or data.get("status") not in (None, "succeeded", "pending"):
            continue
        amount = min(int(data.get("amount") or 0), order.total_minor - order.refunded_minor)
        if amount <= 0:
            continue
        session.add(
            Refund(
                order_id=order.id,
                stripe_refund_id=stripe_id,
                idempotency_key=data.get("_key") or f"stripe-{stripe_id}",
                amount_minor=amount,
                restock=False,
                reason="refunded in Stripe",
                created_by="stripe",
                created_at=now,
            )
        )
        order.refunded_minor += amount
        order.status = (
            OrderStatus.REFUNDED
            if order.refunded_minor >= order.total_minor
            else OrderStatus.PARTIALLY_REFUNDED
        )
        applied += 1
        log.warning(
            "order %s: refund %s made outside tiein recorded; royalties not reversed",
            order.number,
            stripe_id,
        )
    await session.flush()
    return applied


async def refunds_of_order(session: AsyncSession, order: Order) -> list[Refund]:
    """The order's refunds with their lines, oldest first (for the order page)."""
    from sqlalchemy.orm import selectinload

    rows = await session.scalars(
        select(Refund)
        .where(Refund.order_id == order.id)
        .options(selectinload(Refund.lines))
        .order_by(Refund.id)
    )
    return list(rows)
