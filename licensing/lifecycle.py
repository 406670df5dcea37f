"""An agreement's life after signing (SPEC §10): an `active` agreement becomes `expired` by
itself once its end date plus sell-off has passed; `terminated` (by staff) ends sales at once.

Sales stop on the dates whatever the status says (the sellable rule checks the term), so
expiry is bookkeeping that makes the status true: lists, filters, the MG pace report and the
console show it. `expire_agreements` runs as a periodic job on the outbox worker
(`tiein.jobs`, "agreements expire"); it is idempotent and safe beside staff changing a
status by hand (only rows still `active` are changed, by a conditional UPDATE).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from licensing.models import Agreement, AgreementStatus

UTC_DAY = timedelta(days=1)


class Term(Protocol):
    end_date: date
    sell_off_days: int


def last_selling_day(agreement: Term) -> date:
    """The last day (UTC) its products may be sold: the end date plus the sell-off days."""
    return agreement.end_date + timedelta(days=agreement.sell_off_days)


def expires_on(agreement: Term) -> date:
    """The day (UTC) an active agreement becomes `expired`: the day after its last selling day."""
    return last_selling_day(agreement) + UTC_DAY


async def expire_agreements(session: AsyncSession, *, now: datetime) -> list[str]:
    """Mark `expired` every `active` agreement whose last selling day is before `now`'s UTC
    date; returns their codes, sorted. Two statements whatever the number of agreements."""
    today = now.date()
    candidates = await session.execute(
        select(Agreement.id, Agreement.code, Agreement.end_date, Agreement.sell_off_days).where(
            Agreement.status == AgreementStatus.ACTIVE, Agreement.end_date < today
        )
    )
    due = {row.id: row.code for row in candidates if expires_on(row) <= today}
    if not due:
        return []
    result = await session.execute(
        update(Agreement)
        .where(Agreement.id.in_(sorted(due)), Agreement.status == AgreementStatus.ACTIVE)
        .values(status=AgreementStatus.EXPIRED)
        .returning(Agreement.code)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())
