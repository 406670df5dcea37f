"""Refunds: some lines or the whole order, through Stripe's Refund API (SPEC §4, §6).

No lock is held while Stripe is asked. `claim_refund` locks the order, checks the quantities,
writes the Refund (pending: no Stripe refund id yet) and its lines, counts them as refunded,
tries every rule of the refund's effects in a savepoint it rolls back, and commits. Stripe is
then asked with the refund's own idempotency key. `complete_refund` records Stripe's refund id
and, in that same transaction, voids the refunded tickets, frees their seats, returns merch to
stock only when asked, and posts the ledger reversals — once, guarded by the pending state.
If Stripe refuses (a definite answer: a 4xx), `abandon_refund` removes the pending refund at
once. When no answer comes (a timeout, a lost connection) Stripe may have paid it back, so
the refund stays pending: its lines stay counted as refunded (nobody can refund them twice)
and `tiein payments reconcile` asks Stripe again with the same key, completing it or
abandoning it on Stripe's definite answer — as it does for a refund left by a crash.

Stripe's `charge.refunded` event completes a pending refund it names (by our idempotency key in the
refund's metadata, with Stripe's refund id), so the ledger reversal posts once whichever of the
event and reconcile comes first. Refunds made outside tiein (the Stripe dashboard) are recorded by
`apply_stripe_refunds` without lines: the money is accounted for, the royalty is not reversed (no
one said which units came back) and a warning is logged."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Showtime
from catalog.stock import return_seats, return_stock
from catalog.tickets import void_tickets
from kernel.db import Database
from kernel.errors import DomainError
from kernel.outbox import enqueue
from licensing.ledger import post_refund
from orders.codes import OrderError
from orders.models import LineKind, Order, OrderLine, OrderStatus, Refund, RefundLine
from orders.payments import CardDeclined, PaymentUnavailable, StripeGateway
from orders.settlement import lock_order, order_lines

log = logging.getLogger("tiein.orders")

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
# Statuses of a Stripe refund that say the money did not (and will not) go back.
FAILED_REFUND = ("failed", "canceled")


@dataclass(frozen=True)
class RefundOutcome:
    """What `refund_order_lines` did. `pending` is True when Stripe's answer did not come
    (a timeout, a lost connection): Stripe may or may not have paid the refund back, so it
    stays pending — its lines count as refunded, its effects (tickets, stock, the ledger
    reversal) wait — until `tiein payments reconcile` or Stripe's `charge.refunded` event
    completes it, or reconcile abandons it on Stripe's refusal."""

    refund: Refund
    pending: bool = False


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


def _refund_key(order: Order, n: int) -> str:
    # The n-th refund of the order, made unique: an abandoned refund's key is never reused,
    # so a later refund of other lines cannot meet Stripe's answer to the abandoned one.
    return f"tiein-refund-{order.number}-{n}-{secrets.token_hex(4)}"


def _status_of(order: Order, lines: list[OrderLine]) -> OrderStatus:
    if order.refunded_minor <= 0:
        return OrderStatus.PAID
    if order.refunded_minor >= order.total_minor or all(
        line.refunded_quantity >= line.quantity for line in lines
    ):
        return OrderStatus.REFUNDED
    return OrderStatus.PARTIALLY_REFUNDED


async def _apply(
    session: AsyncSession,
    parts: list[tuple[RefundLine, OrderLine]],
    *,
    restock: bool,
    at: datetime,
    now: datetime,
) -> None:
    """What refunding the lines does besides the money: unused tickets of ticket and bundle
    lines voided and their seats freed (before the show), merch back in stock when `restock`, and
    each line's (each bundle merch part's) ledger reversal, posted once per refund line."""
    for row, line in parts:
        qty = row.quantity
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
                occurred_at=at,
                now=now,
            )
            continue
        assert line.showtime_id is not None
        # Only seats whose tickets are voided go back on sale: a ticket already used at the
        # door (perhaps while the refund waited on Stripe) keeps its seat.
        freed = len(await void_tickets(session, line.id, qty, now=at))
        starts_at = await session.scalar(
            select(Showtime.starts_at).where(Showtime.id == line.showtime_id)
        )
        if freed and starts_at is not None and starts_at > at:
            await return_seats(session, line.showtime_id, freed)
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
                occurred_at=at,
                now=now,
            )


async def _refund_with_lines(session: AsyncSession, refund_id: int) -> Refund | None:
    return await session.scalar(
        select(Refund)
        .where(Refund.id == refund_id)
        .options(selectinload(Refund.lines))
        .execution_options(populate_existing=True)
    )


async def _parts(
    session: AsyncSession, order_id: int, refund: Refund
) -> tuple[list[OrderLine], list[tuple[RefundLine, OrderLine]]]:
    lines = await order_lines(session, order_id)
    by_id = {line.id: line for line in lines}
    rows = sorted(refund.lines, key=lambda row: row.order_line_id)
    return lines, [(row, by_id[row.order_line_id]) for row in rows]


async def claim_refund(
    session: AsyncSession,
    order_id: int,
    lines: Sequence[tuple[int, int]] | None,
    *,
    restock: bool,
    by: str,
    now: datetime,
    reason: str = "",
    payments: bool = True,
) -> Refund:
    """Phase 1 of a refund, under the order's row lock in the caller's short transaction:
    check the lines (`(order_line_id, quantity)` pairs, or all that is left when `lines` is
    None), write the Refund (pending: no Stripe refund id yet) and its lines, and count them
    as refunded on the order at once — so two concurrent refunds can never both pay back the
    same units. Every rule of the refund's effects (tickets, seats, stock, the ledger) is
    tried in a savepoint that is then rolled back: Stripe is asked only for a refund that
    will be accepted (`complete_refund` applies the effects for good)."""
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
    if order.payment_intent_id and not payments:
        raise DomainError(OrderError.PAYMENT_UNAVAILABLE, "Payments are not configured.")
    count = await session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id))
    refund = Refund(
        order_id=order.id,
        idempotency_key=_refund_key(order, (count or 0) + 1),
        amount_minor=amount,
        restock=restock,
        reason=(reason or "")[:2000],
        created_by=(by or "")[:200],
        created_at=now,
    )
    session.add(refund)
    await session.flush()
    parts: list[tuple[RefundLine, OrderLine]] = []
    for line, qty in plan:
        row = RefundLine(
            refund_id=refund.id,
            order_line_id=line.id,
            quantity=qty,
            amount_minor=line.unit_price_minor * qty,
        )
        session.add(row)
        parts.append((row, line))
        line.refunded_quantity += qty
    order.refunded_minor += amount
    order.status = _status_of(order, all_lines)
    await session.flush()
    # Every rule says its word now (a ledger that refuses, a period closed meanwhile), while
    # nothing has been paid back; the savepoint keeps none of it.
    dry_run = await session.begin_nested()
    try:
        await _apply(session, parts, restock=restock, at=now, now=now)
    finally:
        await dry_run.rollback()
    return refund


async def complete_refund(
    session: AsyncSession, refund_id: int, stripe_refund_id: str | None, *, now: datetime
) -> Refund | None:
    """Phase 3, once Stripe has paid the refund back: record Stripe's refund id, apply the
    refund's effects (tickets, seats, stock, ledger reversals) and queue the shopper's notice,
    exactly once — under the order's lock, while still pending. None when abandoned meanwhile."""
    found = await session.get(Refund, refund_id)
    if found is None:
        return None
    await lock_order(session, order_id=found.order_id)
    refund = await _refund_with_lines(session, refund_id)
    if refund is None or refund.stripe_refund_id is not None:
        return refund
    refund.stripe_refund_id = stripe_refund_id
    _lines, parts = await _parts(session, refund.order_id, refund)
    await _apply(session, parts, restock=refund.restock, at=refund.created_at, now=now)
    notice = {"order_id": refund.order_id, "refund_id": refund.id}
    await enqueue(session, "email.refund", notice, now=now, dedupe_key=f"refund:{refund.id}")
    await session.flush()
    return refund


async def abandon_refund(session: AsyncSession, refund_id: int) -> bool:
    """Stripe did not pay a pending refund back: remove it, so its lines can be refunded
    again and the order's refunded amount and status are what they were. False when the
    refund is no longer pending (Stripe paid it meanwhile) or gone."""
    found = await session.get(Refund, refund_id)
    if found is None:
        return False
    order = await lock_order(session, order_id=found.order_id)
    refund = await _refund_with_lines(session, refund_id)
    if order is None or refund is None or refund.stripe_refund_id is not None:
        return False
    lines, parts = await _parts(session, order.id, refund)
    for row, line in parts:
        line.refunded_quantity -= row.quantity
    order.refunded_minor -= refund.amount_minor
    order.status = _status_of(order, lines)
    await session.delete(refund)
    await session.flush()
    log.warning("order %s: refund %s abandoned", order.number, refund.idempotency_key)
    return True


async def pay_back(gateway: StripeGateway, refund: Refund, order: Order) -> str:
    """Phase 2, with no transaction open: Stripe's Refund for a pending refund, asked with
    the refund's own idempotency key (a retry refunds once). Stripe's refund id."""
    assert order.payment_intent_id is not None
    result = await gateway.create_refund(
        payment_intent=order.payment_intent_id,
        amount=refund.amount_minor,
        idempotency_key=refund.idempotency_key,
        metadata={"order_number": order.number, "tiein_refund": refund.idempotency_key},
    )
    return result.id


async def refund_order_lines(
    db: Database,
    order_id: int,
    lines: Sequence[tuple[int, int]] | None,
    *,
    restock: bool,
    by: str,
    gateway: StripeGateway | None,
    now: datetime,
    reason: str = "",
) -> RefundOutcome:
    """Refund `(order_line_id, quantity)` pairs of a paid order, or all that is left when
    `lines` is None. Each refunded unit gives back its unit price; the order becomes
    `partially_refunded` or `refunded`; tickets of refunded ticket and bundle lines are
    voided and their seats freed; merch goes back to stock only when `restock`; each line
    (each merch part of a bundle) posts its ledger reversal.

    No lock is held while Stripe is asked: `claim_refund` records the refund as pending and
    commits; Stripe pays back with the refund's idempotency key; `complete_refund` records
    it. Money moves only after every rule has accepted the refund; if Stripe refuses (a
    definite answer), the pending refund is abandoned at once and REFUND_FAILED raised. If
    no answer comes, the outcome is `pending` (see RefundOutcome): the refund is left for
    `tiein payments reconcile` (same key: Stripe refunds once) or the `charge.refunded`
    event, as is a pending refund left by a crash between the phases."""
    async with db.session() as session:
        refund = await claim_refund(
            session,
            order_id,
            lines,
            restock=restock,
            by=by,
            now=now,
            reason=reason,
            payments=gateway is not None,
        )
        order = await session.get(Order, refund.order_id)
        assert order is not None
        if not order.payment_intent_id or gateway is None:
            # Nothing was paid through Stripe: nothing to pay back there.
            done = await complete_refund(session, refund.id, None, now=now)
            assert done is not None
            log.info("order %s refunded %s by %s", order.number, refund.amount_minor, by)
            return RefundOutcome(done)
    try:
        stripe_refund_id = await pay_back(gateway, refund, order)
    except (PaymentUnavailable, CardDeclined) as exc:
        if isinstance(exc, PaymentUnavailable) and not exc.refused:
            # No answer: Stripe may have paid it back. Abandoning it now would lose the
            # ledger reversal of money that went back; reconcile asks again with its key.
            log.warning(
                "order %s: refund %s left pending, Stripe did not answer: %s",
                order.number,
                refund.idempotency_key,
                exc,
            )
            return RefundOutcome(refund, pending=True)
        async with db.session() as session:
            abandoned = await abandon_refund(session, refund.id)
        if abandoned:
            raise DomainError(
                OrderError.REFUND_FAILED,
                f"Stripe did not make the refund, so nothing changed: {exc}",
            ) from exc
        stripe_refund_id = None  # settled meanwhile by `tiein payments reconcile`
    try:
        async with db.session() as session:
            done = await complete_refund(session, refund.id, stripe_refund_id, now=now)
    except DomainError as exc:
        log.error("order %s: refund %s paid, not recorded: %s", order.number, refund.id, exc)
        raise DomainError(
            OrderError.REFUND_FAILED,
            f"Stripe paid the refund back but recording it failed ({exc.message}); "
            "`tiein payments reconcile` will record it.",
        ) from exc
    if done is None:  # abandoned meanwhile by `tiein payments reconcile`
        raise DomainError(OrderError.REFUND_FAILED, "Stripe did not make the refund.")
    log.info("order %s refunded %s by %s", order.number, refund.amount_minor, by)
    return RefundOutcome(done)


async def refunds_of_order(session: AsyncSession, order: Order) -> list[Refund]:
    """The order's refunds with their lines, oldest first (for the order page)."""
    rows = await session.scalars(
        select(Refund)
        .where(Refund.order_id == order.id)
        .options(selectinload(Refund.lines))
        .order_by(Refund.id)
    )
    return list(rows)
