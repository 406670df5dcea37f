"""E-tickets: issuing, QR codes and check-in at the door (SPEC §5)."""

from __future__ import annotations

import secrets
from datetime import datetime

import segno
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import Showtime, Ticket
from kernel.errors import DomainError

CODE_BYTES = 24  # 192 bits of randomness; 32 URL-safe characters


def new_ticket_code() -> str:
    """An unguessable ticket code (>= 128 random bits)."""
    return secrets.token_urlsafe(CODE_BYTES)


async def tickets_of_line(session: AsyncSession, order_line_id: int) -> list[Ticket]:
    """The tickets issued for an order line, in issue order."""
    rows = await session.scalars(
        select(Ticket).where(Ticket.order_line_id == order_line_id).order_by(Ticket.id)
    )
    return list(rows)


async def issue_tickets(
    session: AsyncSession, *, order_line_id: int, showtime_id: int, count: int, now: datetime
) -> list[Ticket]:
    """Issue `count` tickets for a paid order line. Idempotent per line: when the line has
    tickets already, those are returned and none are added (a replayed payment event)."""
    if not isinstance(count, int) or count <= 0:
        raise DomainError(CatalogError.INVALID_QUANTITY, "Issue at least one ticket.", "count")
    existing = await tickets_of_line(session, order_line_id)
    if existing:
        return existing
    if await session.get(Showtime, showtime_id) is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No showtime {showtime_id}.", "showtime_id")
    tickets = [
        Ticket(
            code=new_ticket_code(),
            order_line_id=order_line_id,
            showtime_id=showtime_id,
            issued_at=now,
        )
        for _ in range(count)
    ]
    session.add_all(tickets)
    await session.flush()
    return tickets


def ticket_qr_svg(code: str, *, scale: int = 4) -> str:
    """The ticket code as a QR code: an `<svg>` element to inline in HTML (no XML
    declaration, no namespace needed in HTML)."""
    return segno.make(code, error="m", micro=False).svg_inline(
        scale=scale, title="Ticket QR code", svgclass="ticket-qr"
    )


async def check_in(
    session: AsyncSession, code: str, *, showtime_id: int | None, by: str, now: datetime
) -> Ticket:
    """Admit a ticket once. Refusals: UNKNOWN_TICKET, TICKET_VOID (refunded),
    WRONG_SHOWTIME (when the door checks for `showtime_id`), ALREADY_USED (saying when).
    The admission is one conditional UPDATE, so two scanners never both admit a ticket."""
    code = (code or "").strip()
    ticket = None
    if code:
        ticket = await session.scalar(
            select(Ticket).where(Ticket.code == code).execution_options(populate_existing=True)
        )
    if ticket is None:
        raise DomainError(CatalogError.UNKNOWN_TICKET, "No ticket has this code.", "code")
    if ticket.voided_at is not None:
        raise DomainError(CatalogError.TICKET_VOID, "This ticket was cancelled.", "code")
    if showtime_id is not None and ticket.showtime_id != showtime_id:
        raise DomainError(
            CatalogError.WRONG_SHOWTIME, "This ticket is for another showtime.", "code"
        )
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.checked_in_at.is_(None), Ticket.voided_at.is_(None))
        .values(checked_in_at=now, checked_in_by=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(ticket)
        when = ticket.checked_in_at
        said = f" at {when:%Y-%m-%d %H:%M} UTC" if when else ""
        raise DomainError(CatalogError.ALREADY_USED, f"This ticket was already used{said}.", "code")
    await session.refresh(ticket)
    return ticket


async def void_tickets(
    session: AsyncSession, order_line_id: int, count: int, *, now: datetime
) -> list[Ticket]:
    """Void up to `count` unused, unvoided tickets of a line (a refund), latest first."""
    rows = await session.scalars(
        select(Ticket)
        .where(
            Ticket.order_line_id == order_line_id,
            Ticket.voided_at.is_(None),
            Ticket.checked_in_at.is_(None),
        )
        .order_by(Ticket.id.desc())
        .limit(count)
    )
    voided = list(rows)
    for ticket in voided:
        ticket.voided_at = now
    await session.flush()
    return voided
