"""Read-only figures for the staff agreement pages: an agreement's films and its statement
for every period of its term so far, and the choices of the signing form.

`agreement_history` reads in a constant number of statements whatever the number of periods
(four: films, the last closed period, the agreement's ledger totals per period, its stored
statements) and builds each period's statement with `licensing.statements.statement_figures`,
the rule `compute_statement` applies one period at a time, so both give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film
from kernel.periods import period_of, periods_between, previous_period
from licensing.models import Agreement, AgreementFilm, Merchant, RoyaltyEntry, RoyaltyStatement
from licensing.periods import last_closed_period
from licensing.royalty import micros_to_minor
from licensing.statements import NO_ENTRIES, StatementFigures, statement_figures

MAX_PERIODS = 40  # ten years of quarters on one page

# (units, net minor, royalty micros, holds adjustments) of one period of the ledger
Totals = tuple[int, int, int, bool]


@dataclass(frozen=True)
class AgreementHistory:
    films: list[str]  # titles, sorted
    statements: list[StatementFigures]  # oldest first, at most MAX_PERIODS


async def agreement_history(
    session: AsyncSession, agreement: Agreement, *, today: date, max_periods: int = MAX_PERIODS
) -> AgreementHistory:
    """The films of `agreement` and its statements from its first period to today's (or
    its term's end with sell-off, whichever comes first; later if the ledger already holds
    later entries), the last `max_periods` of them."""
    films = list(
        await session.scalars(
            select(Film.title)
            .join(AgreementFilm, AgreementFilm.film_id == Film.id)
            .where(AgreementFilm.agreement_id == agreement.id)
            .order_by(Film.title)
        )
    )
    last_closed = await last_closed_period(session)
    e = RoyaltyEntry
    rows = await session.execute(
        select(
            e.period,
            func.sum(e.units),
            func.sum(e.net_minor),
            func.sum(e.royalty_micros),
            func.max(case((e.is_adjustment, 1), else_=0)),
        )
        .where(e.agreement_id == agreement.id)
        .group_by(e.period)
    )
    totals: dict[str, Totals] = {
        period: (int(units), int(net), int(micros), bool(adjusted))
        for period, units, net, micros, adjusted in rows
    }
    stored = {
        s.period: s
        for s in await session.scalars(
            select(RoyaltyStatement).where(RoyaltyStatement.agreement_id == agreement.id)
        )
    }

    first = period_of(agreement.start_date)
    term_end = period_of(agreement.end_date + timedelta(days=agreement.sell_off_days))
    last = max(min(period_of(today), term_end), max(totals, default=first))
    periods = periods_between(first, last)[-max_periods:] if last >= first else []
    statements = [
        statement_figures(
            agreement,
            period,
            totals=totals.get(period, NO_ENTRIES),
            previous_cumulative=_earned_before(period, last_closed, totals, stored),
            frozen=last_closed is not None and period <= last_closed,
            stored=stored.get(period),
        )
        for period in periods
    ]
    return AgreementHistory(films=films, statements=statements)


def _earned_before(
    period: str,
    last_closed: str | None,
    totals: dict[str, Totals],
    stored: dict[str, RoyaltyStatement],
) -> int:
    """The royalty earned before `period`, as `statements_for_period` counts it: the
    cumulative figure frozen on the latest stored statement up to the anchor (the period
    before a closed `period`, else the last closed period), plus each later period's
    rounded royalty from the ledger."""
    frozen = last_closed is not None and period <= last_closed
    anchor = previous_period(period) if frozen else last_closed
    base = 0
    if anchor is not None:
        frozen_before = [p for p in stored if p <= anchor]
        if frozen_before:
            base = stored[max(frozen_before)].cumulative_earned_minor
    return base + sum(
        micros_to_minor(micros)
        for p, (_units, _net, micros, _adjusted) in totals.items()
        if p < period and (anchor is None or p > anchor)
    )


class Licensee(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True)
class SigningChoices:
    merchants: list[Licensee]  # by name
    films: list[tuple[str, str]]  # (id as text, title), by title, as the form's boxes take them


async def signing_choices(session: AsyncSession) -> SigningChoices:
    """The licensees and films the signing form offers."""
    merchants = await session.execute(select(Merchant.id, Merchant.name).order_by(Merchant.name))
    films = await session.execute(select(Film.id, Film.title).order_by(Film.title))
    return SigningChoices(
        merchants=[Licensee(id_, name) for id_, name in merchants],
        films=[(str(id_), title) for id_, title in films],
    )
