"""Refunds Stripe tells us about (`charge.refunded`): ours that were pending take Stripe's word,
and refunds made outside tiein (in Stripe's dashboard) are recorded and mirrored in the ledger.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.models import Order, OrderStatus, Refund, RefundLine
from orders.refunds import FAILED_REFUND, REFUNDABLE, abandon_refund, complete_refund
from orders.settlement import lock_order

log = logging.getLogger("tiein.orders")


async def _settle_named_refunds(
    session: AsyncSession, order: Order, refunds: list[dict[str, Any]], *, now: datetime
) -> int:
    """Pending refunds of `order` (its row locked) that Stripe's refund list names by our
    idempotency key in the refund's metadata (`pay_back` puts it there; a pending refund has
    no Stripe id yet) take Stripe's word: completed with Stripe's refund id
    (`complete_refund`, so the reversal posts once) or, for a failed or canceled Stripe
    refund, abandoned. How many were completed."""
    completed = 0
    for data in refunds:
        stripe_id = data.get("id") or None
        ours = (data.get("metadata") or {}).get("tiein_refund") or ""
        if not ours or not stripe_id:
            continue
        refund = await session.scalar(
            select(Refund).where(
                Refund.order_id == order.id,
                Refund.idempotency_key == ours,
                Refund.stripe_refund_id.is_(None),
            )
        )
        if refund is None:
            continue
        has_lines = await session.scalar(
            select(RefundLine.id).where(RefundLine.refund_id == refund.id).limit(1)
        )
        if has_lines is None:
            continue
        if data.get("status") in FAILED_REFUND:
            await abandon_refund(session, refund.id)
            continue
        if int(data.get("amount") or 0) != refund.amount_minor:
            log.error(
                "order %s: Stripe refund %s of %s does not match refund %s of %s",
                order.number,
                stripe_id,
                data.get("amount"),
                refund.idempotency_key,
                refund.amount_minor,
            )
            continue
        if await complete_refund(session, refund.id, stripe_id, now=now) is not None:
            completed += 1
            log.warning(
                "order %s: pending refund %s completed by Stripe's event",
                order.number,
                refund.idempotency_key,
            )
    return completed


async def _make_room(
    session: AsyncSession, order: Order, amount: int, named: set[str | None]
) -> None:
    """A refund made outside tiein that does not fit beside our pending refunds: Stripe
    has paid it back, and the charge cannot carry more than its amount, so our pending
    refunds that Stripe's list does not name were not (and will not be) paid: abandon them,
    newest first, until it fits, so the money Stripe did pay back is recorded in full."""
    pending = await session.scalars(
        select(Refund)
        .where(
            Refund.order_id == order.id,
            Refund.stripe_refund_id.is_(None),
            Refund.lines.any(),  # ours, claimed with lines; not a recorded outside refund
        )
        .order_by(Refund.id.desc())
    )
    for refund in list(pending):
        if amount <= order.total_minor - order.refunded_minor:
            return
        if refund.idempotency_key not in named:
            await abandon_refund(session, refund.id)
            await session.refresh(order)


async def apply_stripe_refunds(
    session: AsyncSession,
    intent_id: str,
    refunds: list[dict[str, Any]],
    *,
    now: datetime,
    amount_refunded: int | None = None,
    charge_id: str = "",
) -> int:
    """Apply the refunds of a `charge.refunded` event. A pending refund of ours that the
    event names is completed (see `_settle_named_refunds`); completed ones are skipped;
    the others were made outside tiein (the Stripe dashboard) and are recorded without
    lines. Without the refund list, a charge's `amount_refunded` above what tiein recorded
    is recorded as one refund (once per amount). How many refunds were applied."""
    if not intent_id or not (refunds or amount_refunded):
        return 0
    order = await lock_order(session, intent_id=intent_id)
    if order is None:
        return 0
    # Before the status check: a pending refund of everything made the order `refunded`.
    settled = await _settle_named_refunds(session, order, refunds, now=now)
    if order.status not in REFUNDABLE:
        return settled
    if not refunds and amount_refunded is not None:
        missing = min(amount_refunded, order.total_minor) - order.refunded_minor
        key = f"stripe-{charge_id or intent_id}-{amount_refunded}"[:120]
        known = await session.scalar(select(Refund.id).where(Refund.idempotency_key == key))
        if missing <= 0 or known is not None:
            return 0
        refunds = [{"id": None, "amount": missing, "status": "succeeded", "_key": key}]
    applied = 0
    named = {(data.get("metadata") or {}).get("tiein_refund") for data in refunds}
    for data in refunds:
        stripe_id = data.get("id")
        ours = (data.get("metadata") or {}).get("tiein_refund") or ""
        known = await session.scalar(
            select(Refund.id).where(
                Refund.order_id == order.id,
                (Refund.stripe_refund_id == stripe_id) | (Refund.idempotency_key == ours),
            )
        )
        if known is not None or data.get("status") not in (None, "succeeded", "pending"):
            continue
        wanted = int(data.get("amount") or 0)
        if wanted > order.total_minor - order.refunded_minor and stripe_id:
            await _make_room(session, order, wanted, named)
        amount = min(wanted, order.total_minor - order.refunded_minor)
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
    return settled + applied
