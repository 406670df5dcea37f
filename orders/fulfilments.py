"""Fulfilment (SPEC §8): what each merchant ships of a paid order, its shipments, and the
units it cannot ship (cancelled and refunded through the normal refund path).

- `create_fulfilments` (orders.fulfilment_create) runs in `settle_order`'s transaction:
  one fulfilment per merchant of the order's merch, with a line per product line and per
  merch part of a bundle line (units = the part's qty * the line's quantity).
- `create_shipment` ships some units of some lines (partial shipments allowed, never more
  than is left), under the fulfilment's row lock, and queues the shopper's e-mail.
- `cancel_fulfilment_lines` refunds the units the merchant cannot ship: in the refund's
  first phase (the order's lock, then the fulfilment's, the same order everywhere) the units
  are counted cancelled and the refund is claimed; Stripe is asked with no transaction open
  (orders.refunds.run_refund). A bundle part refunds only its allocated net and mirrors
  only its own ledger entry; the ticket stays valid.

A merchant acts on its own fulfilments only: another merchant's is NOT_FOUND, exactly like
one that does not exist (`merchant_id` None stands for staff, who may act on any).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kernel.db import Database
from kernel.errors import Checks, DomainError, ErrorCode
from kernel.outbox import enqueue
from kernel.parsing import clean_text
from orders.codes import OrderError
from orders.fulfilment_models import (
    CARRIER_MAX,
    TRACKING_MAX,
    Fulfilment,
    Shipment,
    ShipmentLine,
    status_of,
)
from orders.models import RefundLine
from orders.payments import StripeGateway
from orders.refunds import RefundOutcome, claim_refund, run_refund
from orders.settlement import lock_order

# Letters, digits and the separators carriers print; no other characters.
_TRACKING = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ./-]*[A-Za-z0-9])?", re.ASCII)
CANCEL_REASON = "Cancelled by the merchant: cannot be shipped."


async def _locked(
    session: AsyncSession, fulfilment_id: int | None, merchant_id: int | None
) -> Fulfilment:
    """The fulfilment, its row locked and its lines loaded fresh; NOT_FOUND for a missing
    one and for another merchant's."""
    found = None
    if fulfilment_id is not None:
        query = select(Fulfilment).where(Fulfilment.id == fulfilment_id)
        if merchant_id is not None:
            query = query.where(Fulfilment.merchant_id == merchant_id)
        found = await session.scalar(
            query.options(selectinload(Fulfilment.lines))
            .with_for_update(of=Fulfilment)
            .execution_options(populate_existing=True)
        )
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such fulfilment.", "fulfilment_id")
    return found


def _checked_lines(
    fulfilment: Fulfilment, wanted: Sequence[tuple[int | None, Any]], checks: Checks
) -> dict[int, int]:
    """fulfilment line id → units, of `(fulfilment_line_id, quantity)` pairs (repeats added
    up); every bad pair refused with its position (counted from 1)."""
    by_id = {line.id: line for line in fulfilment.lines}
    totals: dict[int, int] = {}
    last: dict[int, int] = {}
    if not wanted:
        checks.add(DomainError(OrderError.NO_LINES, "Choose at least one line.", "lines"))
    for n, (line_id, qty) in enumerate(wanted, start=1):
        with checks:
            if line_id is None or line_id not in by_id:
                raise DomainError(
                    ErrorCode.NOT_FOUND,
                    "No such line in this fulfilment.",
                    f"lines.{n}.fulfilment_line_id",
                )
            if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                raise DomainError(
                    OrderError.INVALID_QUANTITY, "Give 1 unit or more.", f"lines.{n}.quantity"
                )
            totals[line_id] = totals.get(line_id, 0) + qty
            last[line_id] = n
    for line_id, qty in totals.items():
        line = by_id[line_id]
        if qty > line.quantity_left:
            checks.add(
                DomainError(
                    OrderError.QUANTITY_EXCEEDS_REMAINING,
                    f"{line.description}: only {line.quantity_left} of {line.quantity} "
                    "units are left to ship.",
                    f"lines.{last[line_id]}.quantity",
                )
            )
    return totals


# Line breaks, tabs and bidirectional overrides: a carrier's name is one line of the
# shopper's e-mail and order page, and must not start new lines or reorder the text there.
_NOT_ONE_LINE = re.compile("[\t\n\r\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _text(value: object, field: str, max_len: int, code: OrderError, what: str) -> str:
    text = clean_text(value, field=field, max_len=10_000)
    if not text:
        raise DomainError(code, f"Give the {what}.", field)
    if len(text) > max_len:
        raise DomainError(code, f"The {what} is longer than {max_len} characters.", field)
    if _NOT_ONE_LINE.search(text):
        raise DomainError(code, f"Give the {what} as one line of text.", field)
    return text


async def create_shipment(
    session: AsyncSession,
    *,
    merchant_id: int | None,
    fulfilment_id: int | None,
    lines: Sequence[tuple[int | None, Any]],
    carrier: object,
    tracking_number: object,
    now: datetime,
) -> Shipment:
    """Ship `(fulfilment_line_id, quantity)` units of a fulfilment (partial shipments
    allowed) with a carrier and tracking number: the lines' shipped units grow, the status
    follows (`partially_shipped`, `shipped`), and the shopper's shipment e-mail is queued.
    Every bad field is refused at once and nothing changes: an unknown fulfilment or line,
    a quantity below 1 or above what is left to ship, an empty or oversized carrier or
    tracking number (letters, digits, spaces and . / - only)."""
    fulfilment = await _locked(session, fulfilment_id, merchant_id)
    checks = Checks()
    with checks:
        carrier_text = _text(carrier, "carrier", CARRIER_MAX, OrderError.INVALID_CARRIER, "carrier")
    with checks:
        tracking = _text(
            tracking_number,
            "tracking_number",
            TRACKING_MAX,
            OrderError.INVALID_TRACKING_NUMBER,
            "tracking number",
        )
        if not _TRACKING.fullmatch(tracking):
            raise DomainError(
                OrderError.INVALID_TRACKING_NUMBER,
                "A tracking number holds letters, digits, spaces, dots, slashes and dashes.",
                "tracking_number",
            )
    totals = _checked_lines(fulfilment, lines, checks)
    checks.done()
    shipment = Shipment(
        fulfilment_id=fulfilment.id, carrier=carrier_text, tracking_number=tracking, shipped_at=now
    )
    session.add(shipment)
    await session.flush()
    by_id = {line.id: line for line in fulfilment.lines}
    for line_id, qty in sorted(totals.items()):
        session.add(ShipmentLine(shipment_id=shipment.id, fulfilment_line_id=line_id, quantity=qty))
        by_id[line_id].quantity_shipped += qty
    fulfilment.status = status_of(fulfilment.lines)
    await session.flush()
    await enqueue(
        session,
        "email.shipment",
        {
            "order_id": fulfilment.order_id,
            "shipment": {
                "carrier": carrier_text,
                "tracking_number": tracking,
                "shipped_at": now.isoformat(),
                "lines": [
                    {"description": by_id[line_id].description, "quantity": qty}
                    for line_id, qty in sorted(totals.items())
                ],
            },
        },
        now=now,
        dedupe_key=f"shipment:{shipment.id}",
    )
    return shipment


async def cancel_fulfilment_lines(
    db: Database,
    *,
    merchant_id: int | None,
    fulfilment_id: int | None,
    lines: Sequence[tuple[int | None, Any]],
    by: str,
    gateway: StripeGateway | None,
    now: datetime,
) -> RefundOutcome:
    """Cancel `(fulfilment_line_id, quantity)` units the merchant cannot ship and refund
    them through the refund path: a product line's units at their unit price, a bundle
    part's units at their share of its allocated net (the ticket stays valid); the ledger
    mirrors exactly those units; the order becomes `partially_refunded` (or `refunded`).
    The fulfilment becomes `cancelled` when no unit is left and none shipped, `shipped`
    when the rest was shipped. Refused as `create_shipment` refuses lines, and as the
    refund rules refuse (REFUND_FAILED when Stripe says no: then nothing is cancelled)."""
    found = None
    if fulfilment_id is not None:
        async with db.read_session() as session:
            query = select(Fulfilment.order_id).where(Fulfilment.id == fulfilment_id)
            if merchant_id is not None:
                query = query.where(Fulfilment.merchant_id == merchant_id)
            found = await session.scalar(query)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such fulfilment.", "fulfilment_id")
    order_id = found

    async def claim(session: AsyncSession) -> Any:
        await lock_order(session, order_id=order_id)  # the order first, as refunds lock it
        fulfilment = await _locked(session, fulfilment_id, merchant_id)
        checks = Checks()
        totals = _checked_lines(fulfilment, lines, checks)
        checks.done()
        by_id = {line.id: line for line in fulfilment.lines}
        products = [
            (by_id[i].order_line_id, q)
            for i, q in totals.items()
            if not by_id[i].bundle_allocation_id
        ]
        parts = [
            (by_id[i].bundle_allocation_id, q)
            for i, q in totals.items()
            if by_id[i].bundle_allocation_id
        ]
        refund = await claim_refund(
            session,
            order_id,
            products,
            components=parts,  # type: ignore[arg-type]
            restock=False,
            by=by,
            now=now,
            reason=CANCEL_REASON,
            payments=gateway is not None,
        )
        rows = await session.scalars(select(RefundLine).where(RefundLine.refund_id == refund.id))
        which = {(line.order_line_id, line.bundle_allocation_id): line for line in by_id.values()}
        for row in rows.all():
            line = which[(row.order_line_id, row.bundle_allocation_id)]
            row.fulfilment_line_id = line.id
            line.quantity_cancelled += row.quantity
        fulfilment.status = status_of(fulfilment.lines)
        await session.flush()
        return refund

    return await run_refund(db, claim, by=by, gateway=gateway, now=now)
