"""What a refund does besides the money (SPEC §4, §5, §8): tickets voided and seats freed,
merch back in stock when asked, the ledger reversals of exactly what was given back, and
the fulfilment units a refund cancelled given back to ship when the refund is abandoned.
Called by `orders.refunds` under the order's lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Showtime
from catalog.stock import return_seats, return_stock, return_variant_stock
from catalog.tickets import void_tickets
from licensing.ledger import post_refund
from orders.fulfilment_models import Fulfilment, FulfilmentLine, status_of
from orders.models import LineKind, OrderLine, Refund, RefundLine, RefundPart
from orders.refund_plan import PartRefund
from orders.settlement import order_lines

Parts = list[tuple[RefundLine, OrderLine, list[PartRefund]]]


async def apply_refund(
    session: AsyncSession, parts: Parts, *, restock: bool, at: datetime, now: datetime
) -> None:
    """What refunding the lines does besides the money: unused tickets of ticket and bundle
    lines voided and their seats freed (before the show) — not for a component refund, whose
    tickets stay valid —, merch back in stock when `restock`, and each line's (each bundle
    merch part's) ledger reversal of exactly the units and net the refund gave back, posted
    once per refund line."""
    for row, line, merch in parts:
        qty = row.quantity
        if line.kind == LineKind.PRODUCT:
            if restock and line.variant_id is not None:
                await return_variant_stock(session, line.variant_id, qty)
            elif restock:
                assert line.product_id is not None
                await return_stock(session, line.product_id, qty)
            await post_refund(
                session,
                original_source_ref=f"order_line:{line.id}",
                refund_source_ref=f"refund_line:{row.id}",
                units=qty,
                net_minor=row.amount_minor,
                occurred_at=at,
                now=now,
            )
            continue
        assert line.showtime_id is not None
        if row.bundle_allocation_id is None:
            # Only seats whose tickets are voided go back on sale: a ticket already used at
            # the door (perhaps while the refund waited on Stripe) keeps its seat.
            freed = len(await void_tickets(session, line.id, qty, now=at))
            starts_at = await session.scalar(
                select(Showtime.starts_at).where(Showtime.id == line.showtime_id)
            )
            if freed and starts_at is not None and starts_at > at:
                await return_seats(session, line.showtime_id, freed)
        for part in merch:
            assert part.allocation.product_id is not None
            if restock and part.allocation.variant_id is not None:
                await return_variant_stock(session, part.allocation.variant_id, part.units)
            elif restock:
                await return_stock(session, part.allocation.product_id, part.units)
            await post_refund(
                session,
                original_source_ref=f"bundle_part:{part.allocation.id}",
                refund_source_ref=f"refund_part:{row.id}:{part.allocation.id}",
                units=part.units,
                net_minor=part.amount_minor,
                occurred_at=at,
                now=now,
            )


async def refund_parts(
    session: AsyncSession, order_id: int, refund: Refund
) -> tuple[list[OrderLine], Parts]:
    lines = await order_lines(session, order_id)
    by_id = {line.id: line for line in lines}
    allocations = {part.id: part for line in lines for part in line.allocations}
    merch: dict[int, list[PartRefund]] = {}
    if refund.lines:
        rows = await session.scalars(
            select(RefundPart)
            .where(RefundPart.refund_line_id.in_([row.id for row in refund.lines]))
            .order_by(RefundPart.id)
        )
        for got in rows:
            merch.setdefault(got.refund_line_id, []).append(
                PartRefund(allocations[got.bundle_allocation_id], got.units, got.amount_minor)
            )
    rows_sorted = sorted(refund.lines, key=lambda row: (row.order_line_id, row.id))
    return lines, [(row, by_id[row.order_line_id], merch.get(row.id, [])) for row in rows_sorted]


async def uncancel(session: AsyncSession, rows: list[RefundLine]) -> None:
    """The fulfilment lines whose units these refund lines cancelled can ship them again."""
    cancelled = {row.fulfilment_line_id: row.quantity for row in rows if row.fulfilment_line_id}
    if not cancelled:
        return
    found = await session.scalars(
        select(FulfilmentLine)
        .where(FulfilmentLine.id.in_(cancelled))
        .options(selectinload(FulfilmentLine.fulfilment).selectinload(Fulfilment.lines))
        .with_for_update(of=FulfilmentLine)
    )
    for line in found.all():
        line.quantity_cancelled -= cancelled[line.id]
        line.fulfilment.status = status_of(line.fulfilment.lines)


async def cancel_unshipped(session: AsyncSession, parts: Parts) -> None:
    """Units a refund pays back are not shipped any more, as far as no shipment took them
    yet (found by a hostile review: a staff refund left them to ship, so a merchant could
    send goods already paid back). Units the merchant cancelled itself
    (`cancel_fulfilment_lines`: the refund line names its fulfilment line) are counted
    already. Units already shipped stay shipped: their refund is a return."""
    wanted: dict[tuple[int, int | None], int] = {}
    for row, line, _merch in parts:
        if row.fulfilment_line_id is not None or row.bundle_allocation_id is not None:
            continue
        if line.kind == LineKind.PRODUCT:
            wanted[line.id, None] = wanted.get((line.id, None), 0) + row.quantity
        elif line.kind == LineKind.BUNDLE:
            for part in line.allocations:
                if part.product_id is not None:
                    key = (line.id, part.id)
                    wanted[key] = wanted.get(key, 0) + part.qty * row.quantity
    if not wanted:
        return
    found = await session.scalars(
        select(FulfilmentLine)
        .where(FulfilmentLine.order_line_id.in_({line_id for line_id, _ in wanted}))
        .options(selectinload(FulfilmentLine.fulfilment).selectinload(Fulfilment.lines))
        .with_for_update(of=FulfilmentLine)
    )
    for line in found.all():
        units = min(
            wanted.get((line.order_line_id, line.bundle_allocation_id), 0), line.quantity_left
        )
        if units > 0:
            line.quantity_cancelled += units
            line.fulfilment.status = status_of(line.fulfilment.lines)
