"""Closing a royalty period (SPEC §4): it freezes the period's statements.

Above both `periods` (which periods are open) and `statements` (the figures it freezes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds, utc
from licensing.codes import LicensingError
from licensing.models import Agreement, Period, PeriodStatus, RoyaltyEntry, RoyaltyStatement
from licensing.payloads import statement_payload
from licensing.periods import ensure_period, hold_periods, last_closed_period, stored_statements
from licensing.statements import statements_for_period
from licensing.webhooks import WebhookEvent, queue_event, subscribed_merchants


def check_period_over(period: str, now: datetime) -> None:
    """PERIOD_NOT_ENDED unless `period` is over at `now` (a period is closed once ended)."""
    _, ends_at = period_bounds(period)
    if utc(now) < ends_at:
        raise DomainError(
            LicensingError.PERIOD_NOT_ENDED,
            f"{period} is not over until {ends_at.date().isoformat()}; it cannot be closed yet.",
            "period",
        )


async def check_closed_in_order(
    session: AsyncSession, period: str, last_closed: str | None
) -> None:
    """EARLIER_PERIOD_OPEN when a period before `period` (and after `last_closed`, the last
    closed one) still holds ledger entries: periods are closed in order. Reads only."""
    query = select(func.min(RoyaltyEntry.period)).where(RoyaltyEntry.period < period)
    if last_closed is not None:
        query = query.where(RoyaltyEntry.period > last_closed)
    earlier_open = await session.scalar(query)
    if earlier_open:
        raise DomainError(
            LicensingError.EARLIER_PERIOD_OPEN,
            f"Close {earlier_open} first: periods are closed in order.",
            "period",
        )


async def close_period(
    session: AsyncSession, period: str, *, now: datetime, closed_by: str
) -> list[RoyaltyStatement]:
    """Close a period and freeze its statements (SPEC §4).

    Refuses a period that has not ended yet (PERIOD_NOT_ENDED) and one with an earlier
    period still open that holds ledger entries (EARLIER_PERIOD_OPEN). Closing stores one
    RoyaltyStatement per agreement with entries in the period or whose term overlaps it;
    those figures are never recomputed. Closing a closed period again changes nothing and
    returns the stored statements. Each statement's `statement.closed` webhooks go to its
    agreement's merchant, queued in the same transaction.
    """
    period = check_period(period)
    check_period_over(period, now)
    await hold_periods(session, exclusive=True)
    last_closed = await last_closed_period(session)
    if last_closed is not None and period < last_closed:
        return await stored_statements(session, period)  # frozen (empty) long ago
    await ensure_period(session, period)
    row = await session.scalar(
        select(Period)
        .where(Period.name == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if row.status == PeriodStatus.CLOSED:
        return await stored_statements(session, period)
    await check_closed_in_order(session, period, last_closed)
    figures = await statements_for_period(session, period)
    statements = [
        RoyaltyStatement(
            agreement_id=f.agreement_id,
            period=period,
            currency=f.currency,
            units=f.units,
            net_sales_minor=f.net_sales_minor,
            royalty_earned_minor=f.royalty_earned_minor,
            cumulative_earned_minor=f.cumulative_earned_minor,
            advance_recouped_minor=f.advance_recouped_minor,
            royalty_payable_minor=f.royalty_payable_minor,
            mg_shortfall_minor=f.mg_shortfall_minor,
            has_adjustments=f.has_adjustments,
            frozen_at=now,
        )
        for f in figures
    ]
    session.add_all(statements)
    row.status = PeriodStatus.CLOSED
    row.closed_at = now
    row.closed_by = closed_by
    await session.flush()
    await _queue_closed(session, period, statements, now)
    return statements


async def _queue_closed(
    session: AsyncSession, period: str, statements: list[RoyaltyStatement], now: datetime
) -> None:
    """Queue `statement.closed` for each statement whose merchant subscribed to it."""
    closed = select(RoyaltyStatement.agreement_id).where(RoyaltyStatement.period == period)
    agreements = {
        a.id: a for a in await session.scalars(select(Agreement).where(Agreement.id.in_(closed)))
    }
    event = WebhookEvent.STATEMENT_CLOSED
    merchants = {a.merchant_id for a in agreements.values()}
    wanted = await subscribed_merchants(session, event, merchants)
    for statement in statements:
        agreement = agreements[statement.agreement_id]
        if agreement.merchant_id not in wanted:
            continue
        await queue_event(
            session,
            merchant_id=agreement.merchant_id,
            event=event,
            data=statement_payload(statement, agreement),
            now=now,
        )
