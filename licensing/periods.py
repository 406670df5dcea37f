"""Royalty periods in the database: open, closed (frozen) and the first open one (SPEC §4).

Closed periods always form a prefix of time: `close_period` refuses to close a period while
an earlier one that holds ledger entries is still open, and every period up to the last
closed one counts as frozen (an earlier period without entries is frozen empty). So an entry
is posted to its own period when that comes after the last closed period, else to the first
open period (flagged as a prior-period adjustment), and a closed period's figures, and
every cumulative figure up to it, can never change again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.periods import check_period, next_period, period_bounds, period_of, utc
from licensing.models import Period, PeriodStatus, RoyaltyStatement


async def ensure_periods(session: AsyncSession, names: Iterable[str]) -> dict[str, Period]:
    """The Period rows of `names`, created (open) when missing; two queries at most."""
    wanted = sorted({check_period(n) for n in names})
    if not wanted:
        return {}
    found = {
        p.name: p
        for p in (await session.scalars(select(Period).where(Period.name.in_(wanted)))).all()
    }
    for name in wanted:
        if name in found:
            continue
        starts_at, ends_at = period_bounds(name)
        try:
            async with session.begin_nested():
                row = Period(name=name, starts_at=starts_at, ends_at=ends_at)
                session.add(row)
            found[name] = row
        except IntegrityError:  # created meanwhile by a concurrent transaction
            found[name] = await session.get(Period, name, populate_existing=True)
    return found


async def ensure_period(session: AsyncSession, period: str) -> Period:
    """The Period row of `period` (e.g. "2026-Q3"), created open when missing."""
    period = check_period(period)
    return (await ensure_periods(session, [period]))[period]


# Closing a period and posting to the ledger exclude each other: a posting decides its
# period from the last closed one, so that must not change between its read and its commit.
# PostgreSQL: a transaction-scoped advisory lock, shared by postings, exclusive for a close.
# SQLite: write transactions are serial already (BEGIN IMMEDIATE).
_PERIODS_LOCK = 0x7469_6569_6E50  # "tieinP"


async def hold_periods(session: AsyncSession, *, exclusive: bool) -> None:
    """Hold the set of closed periods steady until this transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await session.execute(text(f"SELECT {function}(:key)"), {"key": _PERIODS_LOCK})


async def last_closed_period(session: AsyncSession) -> str | None:
    """The latest closed period; it and every period before it are frozen."""
    query = select(func.max(Period.name)).where(Period.status == PeriodStatus.CLOSED)
    return await session.scalar(query)


def posting_period(occurred_at: datetime, last_closed: str | None) -> tuple[str, bool]:
    """Where an entry that occurred at `occurred_at` is posted, and whether it is a
    prior-period adjustment: its own period, or (when that is frozen, i.e. not after the
    last closed period) the first open period."""
    own = period_of(utc(occurred_at))
    if last_closed is not None and own <= last_closed:
        return next_period(last_closed), True
    return own, False


async def first_open_period(session: AsyncSession, at: datetime) -> str:
    """The period of `at` if it is open, else the first open period after it."""
    return posting_period(at, await last_closed_period(session))[0]


async def is_closed(session: AsyncSession, period: str) -> bool:
    """Whether `period` is frozen: closed itself, or earlier than the last closed period."""
    last_closed = await last_closed_period(session)
    return last_closed is not None and check_period(period) <= last_closed


async def stored_statements(session: AsyncSession, period: str) -> list[RoyaltyStatement]:
    """The frozen statements of a closed period, by agreement id."""
    query = (
        select(RoyaltyStatement)
        .where(RoyaltyStatement.period == period)
        .order_by(RoyaltyStatement.agreement_id)
    )
    return list((await session.scalars(query)).all())
