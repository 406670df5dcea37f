"""The e-mails in the outbox as staff see them: kind, recipient, subject, where each stands.

The outbox keeps payloads, not rendered messages; recipient and subject are worked out here
the way the handlers work them out (the order's e-mail and number), in two statements
whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import OutboxMessage, OutboxStatus
from messaging.mail.compose import subject_for
from orders.models import Order

EMAIL_KINDS = ("email.receipt", "email.refund", "email.shipment", "email.orders_link")


@dataclass(frozen=True)
class EmailEntry:
    id: int
    kind: str
    to: str
    subject: str
    status: str  # queued, retrying, sent, failed
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    completed_at: datetime | None
    failed_at: datetime | None


def _status(message: OutboxMessage) -> str:
    if message.status == OutboxStatus.DONE.value:
        return "sent"
    if message.status == OutboxStatus.FAILED.value:
        return "failed"
    return "retrying" if message.attempts else "queued"


async def recent_emails(
    session: AsyncSession, *, status: str | None = None, limit: int = 100
) -> list[EmailEntry]:
    """The newest `limit` e-mail messages of the outbox (of `status`: pending, done or
    failed, when given), newest first."""
    query = select(OutboxMessage).where(OutboxMessage.kind.in_(EMAIL_KINDS))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    messages = list(await session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
    order_ids = {
        m.payload.get("order_id")
        for m in messages
        if isinstance(m.payload, dict) and isinstance(m.payload.get("order_id"), int)
    }
    orders: dict[int, tuple[str, str]] = {}
    if order_ids:
        rows = await session.execute(
            select(Order.id, Order.number, Order.email).where(Order.id.in_(order_ids))
        )
        orders = {order_id: (number, email) for order_id, number, email in rows}
    entries = []
    for message in messages:
        payload = message.payload if isinstance(message.payload, dict) else {}
        number, to = orders.get(payload.get("order_id"), ("", ""))  # type: ignore[arg-type]
        if message.kind == "email.orders_link":
            to = str(payload.get("email", ""))
        entries.append(
            EmailEntry(
                id=message.id,
                kind=message.kind,
                to=to,
                subject=subject_for(message.kind, number),
                status=_status(message),
                attempts=message.attempts,
                last_error=message.last_error,
                created_at=message.created_at,
                next_attempt_at=message.next_attempt_at,
                completed_at=message.completed_at,
                failed_at=message.failed_at,
            )
        )
    return entries
