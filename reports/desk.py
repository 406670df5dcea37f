"""The licensing desk (the staff dashboard): what a licensing manager opens the console for.

- royalties earned this period and the last, by film (and currency: amounts of different
  currencies are never added), from the royalty ledger;
- money due (receivables to date), collected (remittances applied) and still open, per
  currency, and how many agreements hold an overdue balance (`licensing.remittances`);
- how many closed periods lack a licensee sales report (`licensing.report_reminders`);
- products waiting for an approval review, oldest submission first, with how long;
- agreements at risk of a minimum-guarantee shortfall: projected short, or ended and still
  owing one (`reports.royalty.mg_pace`).

Every part is a fixed number of SQL statements, whatever the number of agreements, films
or products (tests/storefront/test_staff_dashboard.py counts them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Film, Product
from kernel.periods import period_of, previous_period, utc
from licensing.models import Agreement, Merchant, ProductReview, ReviewAction, RoyaltyEntry
from licensing.remittances import load_receivables
from licensing.report_reminders import missing_reports
from licensing.royalty import micros_to_minor
from reports.royalty import MgPaceRow, mg_pace

AWAITING_REVIEW = (ApprovalStage.CONCEPT_SUBMITTED, ApprovalStage.SAMPLE_SUBMITTED)
WAITING_SHOWN = 20  # the oldest ones; the approvals queue has them all


@dataclass(frozen=True)
class FilmRoyalty:
    film_id: int
    title: str
    currency: str
    this_period_minor: int
    last_period_minor: int

    @property
    def change_minor(self) -> int:
        return self.this_period_minor - self.last_period_minor


@dataclass(frozen=True)
class Collected:
    """One currency's receivables to date."""

    currency: str
    due_minor: int
    collected_minor: int
    balance_minor: int
    overdue_minor: int
    agreements_overdue: int


@dataclass(frozen=True)
class Waiting:
    product_id: int
    sku: str
    name: str
    merchant: str
    stage: ApprovalStage
    since: datetime
    days: int


@dataclass(frozen=True)
class Desk:
    period: str
    previous: str
    royalties: list[FilmRoyalty]
    money: list[Collected]
    agreements_overdue: int
    reports_missing: int
    waiting: list[Waiting]
    waiting_total: int
    at_risk: list[MgPaceRow]


async def royalties_by_film(session: AsyncSession, period: str, previous: str) -> list[FilmRoyalty]:
    """Royalty earned per film and currency in `period` and `previous` (rounded per film),
    the biggest this period first. One statement."""
    e = RoyaltyEntry
    rows = await session.execute(
        select(Film.id, Film.title, Agreement.currency, e.period, func.sum(e.royalty_micros))
        .join(Film, Film.id == e.film_id)
        .join(Agreement, Agreement.id == e.agreement_id)
        .where(e.period.in_((period, previous)))
        .group_by(Film.id, Film.title, Agreement.currency, e.period)
    )
    found: defaultdict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for film_id, title, currency, entry_period, micros in rows:
        found[(film_id, title, currency)][0 if entry_period == period else 1] = micros_to_minor(
            int(micros)
        )
    out = [FilmRoyalty(f, t, c, now_, last) for (f, t, c), (now_, last) in found.items()]
    return sorted(out, key=lambda r: (-r.this_period_minor, -r.last_period_minor, r.title))


async def waiting_for_review(
    session: AsyncSession, *, now: datetime, limit: int = WAITING_SHOWN
) -> tuple[list[Waiting], int]:
    """Products submitted and not reviewed yet, the longest waiting first (since their last
    submission), at most `limit`, and how many there are. Two statements."""
    submitted = (
        select(ProductReview.product_id, func.max(ProductReview.created_at).label("at"))
        .where(ProductReview.action == ReviewAction.SUBMIT)
        .group_by(ProductReview.product_id)
        .subquery()
    )
    since = func.coalesce(submitted.c.at, Product.updated_at)
    rows = await session.execute(
        select(Product.id, Product.sku, Product.name, Merchant.name, Product.approval_stage, since)
        .join(Merchant, Merchant.id == Product.merchant_id)
        .outerjoin(submitted, submitted.c.product_id == Product.id)
        .where(Product.approval_stage.in_(AWAITING_REVIEW))
        .order_by(since, Product.id)
        .limit(limit)
    )
    today = utc(now)
    waiting = [
        Waiting(pid, sku, name, merchant, ApprovalStage(stage), utc(at), (today - utc(at)).days)
        for pid, sku, name, merchant, stage, at in rows
    ]
    total = await session.scalar(
        select(func.count()).select_from(Product).where(Product.approval_stage.in_(AWAITING_REVIEW))
    )
    return waiting, int(total or 0)


async def desk(session: AsyncSession, *, now: datetime) -> Desk:
    """Everything the dashboard shows, as of `now`."""
    period = period_of(now)
    previous = previous_period(period)
    today = utc(now).date()
    royalties = await royalties_by_film(session, period, previous)
    money: dict[str, list[int]] = {}
    overdue_agreements = 0
    for found in await load_receivables(session, today=today):
        ledger = found.ledger
        sums = money.setdefault(found.currency, [0, 0, 0, 0, 0])
        sums[0] += ledger.due_minor
        sums[1] += ledger.paid_minor
        sums[2] += ledger.balance_minor
        sums[3] += ledger.aging.overdue
        if ledger.aging.overdue > 0:
            sums[4] += 1
            overdue_agreements += 1
    missing = await missing_reports(session, now=now)
    waiting, waiting_total = await waiting_for_review(session, now=now)
    at_risk = [
        r
        for r in await mg_pace(session, today=today)
        if r.projected_shortfall_minor > 0 or r.shortfall_owed_minor > 0
    ]
    return Desk(
        period=period,
        previous=previous,
        royalties=royalties,
        money=[Collected(c, *sums) for c, sums in sorted(money.items())],
        agreements_overdue=overdue_agreements,
        reports_missing=len(missing),
        waiting=waiting,
        waiting_total=waiting_total,
        at_risk=sorted(at_risk, key=lambda r: (-r.projected_shortfall_minor, r.agreement_code)),
    )
