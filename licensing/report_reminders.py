"""Missing licensee sales reports (SPEC §10): who is late, and reminding them once.

An agreement that licenses the `licensee_retail` channel owes a sales report for every
closed period of its term (from the period of its start date to the period of its end date)
— an empty one when it sold nothing. A period without an accepted report (any version) is
overdue from the day after the period's last day. Active and expired agreements are counted;
drafts owe nothing; a terminated one owes reports up to the period holding its
`terminated_at` (it sold until then) and none after (one terminated before that column
existed, whose date is unknown, is left out).

`remind_missing_reports` (the periodic job `job.remind_sales_reports`, tiein.jobs) reminds
the merchant once per agreement and period: an e-mail to its contact address
(`email.sales_report_overdue`) and the `sales_report.overdue` webhook event, both queued in
the transaction that writes the `sales_report_reminders` row, which makes "once" hold even
after the outbox prunes old messages.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.payloads import global_id
from kernel.db import Database
from kernel.outbox import enqueue
from kernel.periods import period_bounds, period_of, periods_between, utc
from licensing.models import Agreement, AgreementChannel, AgreementStatus, Channel, SalesReport
from licensing.periods import last_closed_period
from licensing.receivable_models import SalesReportReminder
from licensing.webhooks import WebhookEvent, queue_event, subscribed_merchants

REMINDER_EMAIL_KIND = "email.sales_report_overdue"
REMINDERS_PER_RUN = 1000  # a backlog is worked off over several runs, in bounded transactions
OWING = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED)


@dataclass(frozen=True)
class MissingReport:
    agreement_id: int
    agreement_code: str
    merchant_id: int
    period: str
    due_on: date  # the period's last day
    days_overdue: int  # days since `due_on`


async def missing_reports(
    session: AsyncSession, *, now: datetime, agreement_ids: Iterable[int] | None = None
) -> list[MissingReport]:
    """Every (agreement, closed period) owed a sales report that has none, by agreement
    code then period; three statements whatever their number."""
    last_closed = await last_closed_period(session)
    if last_closed is None:
        return []
    ids = None if agreement_ids is None else sorted(set(agreement_ids))
    query = (
        select(
            Agreement.id,
            Agreement.code,
            Agreement.merchant_id,
            Agreement.start_date,
            Agreement.end_date,
            Agreement.terminated_at,
        )
        .join(AgreementChannel, AgreementChannel.agreement_id == Agreement.id)
        .where(
            AgreementChannel.channel == Channel.LICENSEE_RETAIL,
            or_(
                Agreement.status.in_(OWING),
                and_(
                    Agreement.status == AgreementStatus.TERMINATED,
                    Agreement.terminated_at.is_not(None),
                ),
            ),
        )
    )
    if ids is not None:
        query = query.where(Agreement.id.in_(ids))
    agreements = (await session.execute(query)).all()
    if not agreements:
        return []
    reported_query = (
        select(SalesReport.agreement_id, SalesReport.period)
        .where(SalesReport.period <= last_closed)
        .distinct()
    )
    if ids is not None:
        reported_query = reported_query.where(SalesReport.agreement_id.in_(ids))
    reported = {(a, p) for a, p in await session.execute(reported_query)}
    today = utc(now).date()
    out = []
    for a in agreements:
        last = min(period_of(a.end_date), last_closed)
        if a.terminated_at is not None:
            if utc(a.terminated_at).date() < a.start_date:
                continue  # ended before its term began: it never sold
            last = min(last, period_of(utc(a.terminated_at).date()))
        first = period_of(a.start_date)
        if first > last:
            continue
        for period in _periods(first, last):
            if (a.id, period) in reported:
                continue
            due = last_day(period)
            late = max(0, (today - due).days)
            out.append(MissingReport(a.id, a.code, a.merchant_id, period, due, late))
    return sorted(out, key=lambda m: (m.agreement_code, m.period))


@functools.lru_cache(maxsize=4096)  # pure; the same periods repeat over every agreement
def last_day(period: str) -> date:
    """The last day of a period: a report for it is due then."""
    return period_bounds(period)[1].date() - timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def _periods(first: str, last: str) -> tuple[str, ...]:
    return tuple(periods_between(first, last))


def overdue_payload(missing: MissingReport) -> dict[str, Any]:
    """`sales_report.overdue`: which agreement's report for which period is missing."""
    return {
        "agreement": {"id": global_id("Agreement", missing.agreement_id),
                      "code": missing.agreement_code},
        "period": missing.period,
        "due_on": missing.due_on.isoformat(),
        "days_overdue": missing.days_overdue,
    }  # fmt: skip


async def remind_missing_reports(session: AsyncSession, *, now: datetime) -> int:
    """Remind each merchant of each missing report it was not reminded of yet (at most
    REMINDERS_PER_RUN per call); returns how many reminders were queued."""
    missing = await missing_reports(session, now=now)
    if not missing:
        return 0
    ids = sorted({m.agreement_id for m in missing})
    sent_query = select(SalesReportReminder.agreement_id, SalesReportReminder.period)
    if len(ids) <= 500:
        sent_query = sent_query.where(SalesReportReminder.agreement_id.in_(ids))
    sent = {(a, p) for a, p in await session.execute(sent_query)}
    due = [m for m in missing if (m.agreement_id, m.period) not in sent][:REMINDERS_PER_RUN]
    if not due:
        return 0
    event = WebhookEvent.SALES_REPORT_OVERDUE
    hooked = await subscribed_merchants(session, event, {m.merchant_id for m in due})
    for m in due:
        session.add(SalesReportReminder(agreement_id=m.agreement_id, period=m.period, sent_at=now))
        await enqueue(
            session,
            REMINDER_EMAIL_KIND,
            {"agreement_id": m.agreement_id, "period": m.period},
            now=now,
            dedupe_key=f"{REMINDER_EMAIL_KIND}:{m.agreement_id}:{m.period}",
        )
        if m.merchant_id in hooked:
            await queue_event(
                session, merchant_id=m.merchant_id, event=event, data=overdue_payload(m), now=now
            )
    await session.flush()
    return len(due)


async def remind_sales_reports(db: Database, *, now: datetime) -> None:
    """The periodic job: remind merchants of missing reports, in one transaction."""
    async with db.session() as session:
        await remind_missing_reports(session, now=now)
