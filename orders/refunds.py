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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kernel.db import Database
from kernel.errors import DomainError
from kernel.outbox import enqueue
from orders.codes import OrderError
from orders.models import LineKind, Order, OrderLine, OrderStatus, Refund, RefundLine, RefundPart
from orders.payments import CardDeclined, PaymentUnavailable, StripeGateway
from orders.refund_effects import Parts, apply_refund, cancel_unshipped, refund_parts, uncancel
from orders.refund_plan import (
    PartRefund,
    bundle_refund,
    component_refund,
    line_refund,
    plan_components,
    plan_lines,
    refunded_units,
)
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


async def _refund_with_lines(session: AsyncSession, refund_id: int) -> Refund | None:
    return await session.scalar(
        select(Refund)
        .where(Refund.id == refund_id)
        .options(selectinload(Refund.lines))
        .execution_options(populate_existing=True)
    )


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
    components: Sequence[tuple[int, int]] = (),
) -> Refund:
    """Phase 1 of a refund, under the order's row lock in the caller's short transaction:
    check the lines (`(order_line_id, quantity)` pairs, or all that is left when `lines` is
    None) and the `components` (`(bundle_allocation_id, units)` pairs: units of one merch part
    of a bundle line, refunded on their own), write the Refund (pending: no Stripe refund id
    yet), its lines and the merch parts they give back, and count them as refunded at once —
    so two concurrent refunds can never both pay back the same units. Every rule of the
    refund's effects (tickets, seats, stock, the ledger) is tried in a savepoint that is then
    rolled back: Stripe is asked only for a refund that will be accepted (`complete_refund`
    applies the effects for good)."""
    order = await lock_order(session, order_id=order_id)
    if order is None:
        raise DomainError(OrderError.ORDER_NOT_FOUND, f"No order {order_id}.", "order")
    if order.status not in REFUNDABLE:
        raise DomainError(
            OrderError.NOT_REFUNDABLE,
            f"Only paid orders can be refunded; this one is {order.status.replace('_', ' ')}.",
        )
    all_lines = await order_lines(session, order.id)
    plan = plan_lines(all_lines, lines)
    wanted_parts = plan_components(all_lines, components)
    if not plan and not wanted_parts:
        raise DomainError(OrderError.INVALID_REFUND, "Choose what to refund.", "lines")
    refunded = await refunded_units(
        session,
        [part.id for line, _ in plan for part in line.allocations]
        + [part.id for _, part, _ in wanted_parts],
    )
    # (line, quantity, money, merch parts, part named) of each refund line to write
    todo: list[tuple[OrderLine, int, int, list[PartRefund], int | None]] = []
    for line, qty in plan:
        if line.kind == LineKind.BUNDLE:
            money, merch = bundle_refund(line, qty, refunded)
        else:
            money, merch = line_refund(line, qty), []
        todo.append((line, qty, money, merch, None))
    for line, part, units in wanted_parts:
        one = component_refund(line, part, units, refunded)
        if one is None:
            raise DomainError(
                OrderError.INVALID_REFUND,
                f"{line.description}: fewer than {units} units of that part are left.",
                "lines",
            )
        todo.append((line, units, one.amount_minor, [one], part.id))
    amount = sum(money for _, _, money, _, _ in todo)
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
    parts: Parts = []
    for line, qty, money, merch, part_id in todo:
        row = RefundLine(
            refund_id=refund.id,
            order_line_id=line.id,
            quantity=qty,
            amount_minor=money,
            bundle_allocation_id=part_id,
        )
        session.add(row)
        parts.append((row, line, merch))
        if part_id is None:  # a component refund refunds no bundle
            line.refunded_quantity += qty
    await session.flush()
    session.add_all(
        RefundPart(
            refund_line_id=row.id,
            bundle_allocation_id=part.allocation.id,
            units=part.units,
            amount_minor=part.amount_minor,
        )
        for row, _, merch in parts
        for part in merch
    )
    order.refunded_minor += amount
    order.status = _status_of(order, all_lines)
    await session.flush()
    # Every rule says its word now (a ledger that refuses, a period closed meanwhile), while
    # nothing has been paid back; the savepoint keeps none of it.
    dry_run = await session.begin_nested()
    try:
        await apply_refund(session, parts, restock=restock, at=now, now=now)
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
    _lines, parts = await refund_parts(session, refund.order_id, refund)
    await apply_refund(session, parts, restock=refund.restock, at=refund.created_at, now=now)
    await cancel_unshipped(session, parts)
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
    lines, parts = await refund_parts(session, order.id, refund)
    for row, line, _ in parts:
        if row.bundle_allocation_id is None:
            line.refunded_quantity -= row.quantity
    order.refunded_minor -= refund.amount_minor
    order.status = _status_of(order, lines)
    await uncancel(session, [row for row, _, _ in parts])
    await session.execute(
        delete(RefundPart).where(RefundPart.refund_line_id.in_([row.id for row, _, _ in parts]))
    )
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
    `lines` is None. Each refunded unit gives back what was paid for it (its share of the
    line's net after a discount, orders.refund_plan); the order becomes
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

    async def claim(session: AsyncSession) -> Refund:
        return await claim_refund(
            session,
            order_id,
            lines,
            restock=restock,
            by=by,
            now=now,
            reason=reason,
            payments=gateway is not None,
        )

    return await run_refund(db, claim, by=by, gateway=gateway, now=now)


async def run_refund(
    db: Database,
    claim: Callable[[AsyncSession], Awaitable[Refund]],
    *,
    by: str,
    gateway: StripeGateway | None,
    now: datetime,
) -> RefundOutcome:
    """The three phases of `refund_order_lines` around any phase 1: `claim` (in its own
    short transaction, which it may extend with changes of its own, e.g. fulfilment lines
    cancelled) returns the pending refund it wrote with `claim_refund`; Stripe pays it back
    with no transaction open; `complete_refund` records it."""
    async with db.session() as session:
        refund = await claim(session)
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
            # Stripe's own text stays in the log: it may name internals (keys, request ids).
            log.warning("order %s: refund %s refused by Stripe: %s", order.number, refund.id, exc)
            raise DomainError(
                OrderError.REFUND_FAILED,
                "Stripe did not make the refund, so nothing changed.",
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
