"""Royalty statements per agreement and period (SPEC §4), by SQL aggregation.

The figures of an open period are computed from the ledger: one GROUP BY (agreement, period)
over the entries after the last closed period, plus each agreement's cumulative figure as
frozen on its latest stored statement. The figures of a closed period are the stored ones
(`close_period` wrote them); they are never recomputed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import FromClause, and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds, period_of, previous_period
from licensing.codes import LicensingError
from licensing.models import (
    ROYALTY_SCALE,
    Agreement,
    AgreementStatus,
    RoyaltyEntry,
    RoyaltyStatement,
)
from licensing.periods import last_closed_period
from licensing.royalty import mg_shortfall, micros_to_minor, statement_math


def ledger_scan(session: AsyncSession) -> FromClause:
    """The ledger table to aggregate whole periods from.

    On SQLite the planner likes to walk the (agreement, period) index, paying a random table
    lookup per entry; a plain scan is several times faster for a whole period, so there the
    table is read through `NOT INDEXED`. PostgreSQL's planner needs no help."""
    table = RoyaltyEntry.__table__
    if session.get_bind().dialect.name != "sqlite":
        return table
    scan = text("SELECT * FROM royalty_entries NOT INDEXED").columns(*table.c)
    return scan.subquery("royalty_entries")


@dataclass(frozen=True)
class StatementFigures:
    """Every figure of one statement; money in minor units of `currency`."""

    agreement_id: int
    agreement_code: str
    merchant_id: int
    period: str
    currency: str
    units: int
    net_sales_minor: int
    royalty_micros: int  # the exact sum of the period's royalties, in micros
    royalty_earned_minor: int  # round_half_up(royalty_micros)
    previous_cumulative_minor: int
    cumulative_earned_minor: int
    advance_minor: int
    advance_recouped_minor: int  # recouped in this period (see royalty.statement_math)
    royalty_payable_minor: int  # may be negative: a credit after net refunds
    minimum_guarantee_minor: int
    mg_shortfall_minor: int  # only on the period that holds the end date
    is_final_period: bool
    has_adjustments: bool  # holds prior-period adjustments
    frozen: bool  # the period is closed: these are the stored figures
    frozen_at: datetime | None = None

    @property
    def royalty_exact(self) -> Decimal:
        """The exact (unrounded) royalty in minor units."""
        return Decimal(self.royalty_micros) / ROYALTY_SCALE

    @property
    def advance_recouped_to_date_minor(self) -> int:
        return min(self.advance_minor, max(0, self.cumulative_earned_minor))


async def compute_statement(
    session: AsyncSession, agreement_id: int, period: str
) -> StatementFigures:
    """The statement of one agreement for one period (zeros when nothing happened)."""
    figures = await statements_for_period(session, period, [agreement_id])
    if not figures:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    return figures[0]


async def statements_for_period(
    session: AsyncSession, period: str, agreement_ids: Iterable[int] | None = None
) -> list[StatementFigures]:
    """The statements of a period, by agreement id, in a constant number of queries.

    Without `agreement_ids`: every agreement with entries in the period or (not a draft)
    whose term overlaps it; for a closed period, exactly the statements frozen at close.
    """
    period = check_period(period)
    ids = None if agreement_ids is None else sorted(set(agreement_ids))
    last_closed = await last_closed_period(session)
    frozen = last_closed is not None and period <= last_closed
    # Cumulative figures up to `anchor` come from stored statements; entries after it are
    # aggregated. Every period up to the anchor is closed.
    anchor = previous_period(period) if frozen else last_closed

    stored: dict[int, RoyaltyStatement] = {}
    if frozen:
        query = select(RoyaltyStatement).where(RoyaltyStatement.period == period)
        if ids is not None:
            query = query.where(RoyaltyStatement.agreement_id.in_(ids))
        stored = {s.agreement_id: s for s in (await session.scalars(query)).all()}
        if ids is None:
            ids = sorted(stored)
            if not ids:
                return []

    restrict = ids is not None and len(ids) <= 500  # else aggregate all, filter in Python
    wanted = ids or []

    base: dict[int, int] = {}
    if anchor is not None:
        latest = (
            select(
                RoyaltyStatement.agreement_id.label("agreement_id"),
                func.max(RoyaltyStatement.period).label("period"),
            )
            .where(RoyaltyStatement.period <= anchor)
            .group_by(RoyaltyStatement.agreement_id)
        )
        if restrict:
            latest = latest.where(RoyaltyStatement.agreement_id.in_(wanted))
        latest_sq = latest.subquery()
        rows = await session.execute(
            select(RoyaltyStatement.agreement_id, RoyaltyStatement.cumulative_earned_minor).join(
                latest_sq,
                and_(
                    RoyaltyStatement.agreement_id == latest_sq.c.agreement_id,
                    RoyaltyStatement.period == latest_sq.c.period,
                ),
            )
        )
        base = {agreement_id: int(cumulative) for agreement_id, cumulative in rows}

    e = RoyaltyEntry.__table__ if restrict else ledger_scan(session)
    totals = (
        select(
            e.c.agreement_id,
            e.c.period,
            func.sum(e.c.units),
            func.sum(e.c.net_minor),
            func.sum(e.c.royalty_micros),
            func.max(case((e.c.is_adjustment, 1), else_=0)),
        )
        .where(e.c.period <= period)
        .group_by(e.c.agreement_id, e.c.period)
    )
    if anchor is not None:
        totals = totals.where(e.c.period > anchor)
    if restrict:
        totals = totals.where(e.c.agreement_id.in_(wanted))
    earlier: defaultdict[int, int] = defaultdict(int)
    current: dict[int, tuple[int, int, int, bool]] = {}
    for agreement_id, entry_period, units, net, micros, adjusted in await session.execute(totals):
        if entry_period == period:
            current[agreement_id] = (int(units), int(net), int(micros), bool(adjusted))
        else:
            earlier[agreement_id] += micros_to_minor(int(micros))

    starts_at, ends_at = period_bounds(period)
    agreement_query = select(
        Agreement.id,
        Agreement.code,
        Agreement.merchant_id,
        Agreement.currency,
        Agreement.advance_minor,
        Agreement.minimum_guarantee_minor,
        Agreement.end_date,
    ).order_by(Agreement.id)
    if ids is not None:
        agreement_query = agreement_query.where(Agreement.id.in_(ids))
    else:  # those with entries in the period, and those whose term overlaps it
        agreement_query = agreement_query.where(
            or_(
                Agreement.id.in_(sorted(current)),
                and_(
                    Agreement.status != AgreementStatus.DRAFT,
                    Agreement.start_date < ends_at.date(),
                    Agreement.end_date >= starts_at.date(),
                ),
            )
        )
    agreements = (await session.execute(agreement_query)).all()

    return [
        statement_figures(
            a,
            period,
            totals=current.get(a.id, NO_ENTRIES),
            previous_cumulative=base.get(a.id, 0) + earlier[a.id],
            frozen=frozen,
            stored=stored.get(a.id),
        )
        for a in agreements
    ]


class StatementTerms(Protocol):
    """The terms of an agreement a statement needs (an `Agreement`, or a row of its columns)."""

    id: int
    code: str
    merchant_id: int
    currency: str
    advance_minor: int
    minimum_guarantee_minor: int
    end_date: date


# (units, net minor, royalty micros, holds adjustments) of a period without entries
NO_ENTRIES = (0, 0, 0, False)


def statement_figures(
    agreement: StatementTerms,
    period: str,
    *,
    totals: tuple[int, int, int, bool],
    previous_cumulative: int,
    frozen: bool,
    stored: RoyaltyStatement | None = None,
) -> StatementFigures:
    """One agreement's statement for `period`, from the period's ledger `totals` (units, net,
    royalty micros, holds adjustments) and the royalty earned before it; the stored figures
    of a closed period (`stored`) win over anything computed now."""
    units, net, micros, adjusted = totals
    math = statement_math(
        royalty_micros=micros,
        previous_cumulative=previous_cumulative,
        advance=agreement.advance_minor,
        minimum_guarantee=agreement.minimum_guarantee_minor,
        is_final=is_final_period(agreement.end_date, period),
    )
    figures = StatementFigures(
        agreement_id=agreement.id,
        agreement_code=agreement.code,
        merchant_id=agreement.merchant_id,
        period=period,
        currency=agreement.currency,
        units=units,
        net_sales_minor=net,
        royalty_micros=micros,
        royalty_earned_minor=math.royalty_earned,
        previous_cumulative_minor=math.previous_cumulative,
        cumulative_earned_minor=math.cumulative_earned,
        advance_minor=agreement.advance_minor,
        advance_recouped_minor=math.advance_recouped,
        royalty_payable_minor=math.royalty_payable,
        minimum_guarantee_minor=agreement.minimum_guarantee_minor,
        mg_shortfall_minor=math.mg_shortfall,
        is_final_period=is_final_period(agreement.end_date, period),
        has_adjustments=adjusted,
        frozen=frozen,
    )
    return figures if stored is None else _frozen(figures, stored)


def _frozen(figures: StatementFigures, s: RoyaltyStatement) -> StatementFigures:
    """The stored figures of a closed period win over anything computed now."""
    return replace(
        figures,
        currency=s.currency,
        units=s.units,
        net_sales_minor=s.net_sales_minor,
        royalty_earned_minor=s.royalty_earned_minor,
        previous_cumulative_minor=s.cumulative_earned_minor - s.royalty_earned_minor,
        cumulative_earned_minor=s.cumulative_earned_minor,
        advance_recouped_minor=s.advance_recouped_minor,
        royalty_payable_minor=s.royalty_payable_minor,
        mg_shortfall_minor=s.mg_shortfall_minor,
        has_adjustments=s.has_adjustments,
        frozen=True,
        frozen_at=s.frozen_at,
    )


def is_final_period(end_date: date, period: str) -> bool:
    """Whether `period` holds the agreement's end date (its statement shows the MG shortfall)."""
    return period_of(end_date) == period


@dataclass(frozen=True)
class GuaranteeStanding:
    """An agreement against its minimum guarantee, as its final statement counts it."""

    final_period: str  # the period holding the end date: its statement carries the shortfall
    earned_minor: int  # cumulative royalty earned up to the final period, so far
    shortfall_minor: int  # what the final statement shows (or would, were the term over now)
    frozen: bool  # the final period is closed: these are its stored figures


async def guarantee_standings(
    session: AsyncSession, agreements: Sequence[StatementTerms]
) -> dict[int, GuaranteeStanding]:
    """Each agreement's standing against its minimum guarantee, by id, in two statements.

    The MG shortfall is a figure of the final statement (the period holding the end date),
    from the cumulative royalty earned up to that period: entries of later periods (sales
    in the sell-off, late refunds) do not count toward the MG. So the MG pace report and
    the statements cannot disagree: both read the shortfall from here or from the same
    rule (`royalty.mg_shortfall`). A closed final period's stored figures win."""
    ids = sorted({a.id for a in agreements})
    if not ids:
        return {}
    finals = {a.id: period_of(a.end_date) for a in agreements}
    e = RoyaltyEntry
    earned: defaultdict[int, int] = defaultdict(int)
    rows = await session.execute(
        select(e.agreement_id, e.period, func.sum(e.royalty_micros))
        .where(e.agreement_id.in_(ids))
        .group_by(e.agreement_id, e.period)
    )
    for agreement_id, period, micros in rows:
        if period <= finals[agreement_id]:
            earned[agreement_id] += micros_to_minor(int(micros))
    stored = {
        s.agreement_id: s
        for s in await session.scalars(
            select(RoyaltyStatement).where(
                RoyaltyStatement.agreement_id.in_(ids),
                RoyaltyStatement.period.in_(sorted(set(finals.values()))),
            )
        )
        if s.period == finals[s.agreement_id]
    }
    out = {}
    for a in agreements:
        final = stored.get(a.id)
        if final is not None:
            out[a.id] = GuaranteeStanding(
                finals[a.id], final.cumulative_earned_minor, final.mg_shortfall_minor, True
            )
        else:
            shortfall = mg_shortfall(a.minimum_guarantee_minor, a.advance_minor, earned[a.id])
            out[a.id] = GuaranteeStanding(finals[a.id], earned[a.id], shortfall, False)
    return out
