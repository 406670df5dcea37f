"""The royalty ledger's only writer (SPEC §4). It inserts RoyaltyEntry rows; it never updates
or deletes one.

Every entry is keyed by its cause (`source`, `source_ref`), unique, so posting the same sale,
refund or report line twice posts it once. An entry is posted to the period of its
occurred-at unless that period is frozen; then to the first open period, flagged as a
prior-period adjustment.

Tiers read the agreement's cumulative net in the entry's contract year, so postings to one
agreement are serialized: the agreement rows are locked (FOR UPDATE, in id order) on
PostgreSQL; SQLite write transactions are serial anyway (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Product
from kernel.errors import DomainError
from kernel.periods import utc
from licensing.codes import LicensingError
from licensing.models import (
    Agreement,
    Channel,
    EntrySource,
    Period,
    PeriodStatus,
    RoyaltyEntry,
)
from licensing.periods import ensure_periods, hold_periods, last_closed_period, posting_period
from licensing.royalty import contract_year, entry_royalty, refund_royalty_micros


@dataclass(frozen=True)
class SaleLine:
    """One licensed merchandise line to post: a storefront line, a bundle component's
    allocated part, or a licensee report line."""

    source_ref: str
    product_id: int
    units: int
    net_minor: int
    channel: Channel
    territory: str
    occurred_at: datetime


async def post_sales(
    session: AsyncSession, lines: Sequence[SaleLine], *, now: datetime
) -> list[RoyaltyEntry]:
    """Post the royalty entries of paid merchandise lines (source SALE) and return the new
    ones. A source_ref posted before is skipped. Units must be positive and net not negative.
    Agreement, film and currency come from the product; the rate is the agreement's (the
    bundle rate for `bundle` lines when set), with tiers and the per-unit minimum applied."""
    for line in lines:
        if line.units <= 0 or line.net_minor < 0:
            raise DomainError(
                LicensingError.INVALID_ENTRY,
                f"A sale has positive units and a net of 0 or more ({line.source_ref}).",
                "lines",
            )
    return await _post(session, lines, source=EntrySource.SALE, now=now)


async def post_report_lines(
    session: AsyncSession, lines: Sequence[SaleLine], *, now: datetime
) -> list[RoyaltyEntry]:
    """Post the entries of accepted licensee report lines (source REPORT). An amendment
    posts differences, so units and net may be negative here (a reduction, valued as the
    mirror of a sale of the same size)."""
    return await _post(session, lines, source=EntrySource.REPORT, now=now)


async def _post(
    session: AsyncSession, lines: Sequence[SaleLine], *, source: EntrySource, now: datetime
) -> list[RoyaltyEntry]:
    if not lines:
        return []
    product_ids = sorted({line.product_id for line in lines})
    products = {
        p.id: p
        for p in (
            await session.execute(
                select(Product.id, Product.agreement_id, Product.film_id).where(
                    Product.id.in_(product_ids)
                )
            )
        ).all()
    }
    missing = [pid for pid in product_ids if pid not in products]
    if missing:
        raise DomainError(LicensingError.NOT_FOUND, f"No product {missing[0]}.", "product")
    # Lock the agreements first: a concurrent posting of the same cause then waits, and the
    # check below sees what it committed.
    agreement_ids = sorted({p.agreement_id for p in products.values()})
    agreements = {
        a.id: a
        for a in (
            await session.scalars(
                select(Agreement)
                .where(Agreement.id.in_(agreement_ids))
                .order_by(Agreement.id)
                .options(selectinload(Agreement.tiers))
                .with_for_update(of=Agreement)
            )
        ).all()
    }

    posted: set[str] = set()
    for chunk in _chunks(sorted({line.source_ref for line in lines}), 500):
        query = select(RoyaltyEntry.source_ref).where(
            RoyaltyEntry.source == source, RoyaltyEntry.source_ref.in_(chunk)
        )
        posted.update((await session.scalars(query)).all())
    todo: list[SaleLine] = []
    for line in lines:
        if line.source_ref not in posted:
            posted.add(line.source_ref)  # also skips a repeat inside this batch
            todo.append(line)
    if not todo:
        return []

    await hold_periods(session, exclusive=False)
    last_closed = await last_closed_period(session)
    targets = [posting_period(line.occurred_at, last_closed) for line in todo]
    await _lock_open_periods(session, {period for period, _ in targets})

    cumulative: dict[tuple[int, object], int] = {}
    entries = []
    for line, (period, adjustment) in zip(todo, targets, strict=True):
        product = products[line.product_id]
        agreement = agreements[product.agreement_id]
        occurred_at = utc(line.occurred_at)
        tiers = [(t.threshold_minor, t.rate_bps) for t in agreement.tiers]
        if line.channel == Channel.BUNDLE and agreement.bundle_rate_bps is not None:
            rate, tiers_used = agreement.bundle_rate_bps, []
        else:
            rate, tiers_used = agreement.rate_bps, tiers
        key: tuple[int, object] = (agreement.id, None)
        if tiers:
            year = contract_year(agreement.start_date, occurred_at.date())
            key = (agreement.id, year)
            if key not in cumulative:
                cumulative[key] = await _year_net(session, agreement.id, year)
        royalty = entry_royalty(
            line.units,
            line.net_minor,
            rate_bps=rate,
            per_unit_min_minor=agreement.per_unit_min_minor,
            tiers=tiers_used,
            cumulative_before=cumulative.get(key, 0),
        )
        if tiers:
            cumulative[key] += line.net_minor
        entries.append(
            RoyaltyEntry(
                agreement_id=agreement.id,
                product_id=product.id,
                film_id=product.film_id,
                source=source,
                source_ref=line.source_ref,
                channel=line.channel,
                territory=line.territory.upper(),
                occurred_at=occurred_at,
                period=period,
                units=line.units,
                net_minor=line.net_minor,
                rate_bps=royalty.rate_bps,
                royalty_micros=royalty.micros,
                is_adjustment=adjustment,
                created_at=now,
            )
        )
    session.add_all(entries)
    await session.flush()
    return entries


async def _lock_open_periods(session: AsyncSession, names: set[str]) -> None:
    """Create the target periods if needed and hold them against a concurrent close
    (FOR SHARE on PostgreSQL; close_period takes FOR UPDATE)."""
    await ensure_periods(session, names)
    statuses = await session.scalars(
        select(Period.status).where(Period.name.in_(sorted(names))).with_for_update(read=True)
    )
    if any(status == PeriodStatus.CLOSED for status in statuses.all()):
        raise DomainError(
            LicensingError.INVALID_ENTRY, "A period was closed meanwhile; try again.", "period"
        )


async def _year_net(session: AsyncSession, agreement_id: int, year: tuple) -> int:
    """The agreement's net so far in one contract year, refunds included (SPEC §4 tiers)."""
    start = datetime.combine(year[0], time(), tzinfo=UTC)
    end = datetime.combine(year[1], time(), tzinfo=UTC)
    total = await session.scalar(
        select(func.coalesce(func.sum(RoyaltyEntry.net_minor), 0)).where(
            RoyaltyEntry.agreement_id == agreement_id,
            RoyaltyEntry.occurred_at >= start,
            RoyaltyEntry.occurred_at < end,
        )
    )
    return int(total or 0)


async def post_refund(
    session: AsyncSession,
    *,
    original_source_ref: str,
    refund_source_ref: str,
    units: int,
    net_minor: int,
    occurred_at: datetime,
    now: datetime,
) -> RoyaltyEntry | None:
    """Post the negative mirror of refunding `units` (k) of a sale line's q units whose net
    is `net_minor` (both given positive), in the period of the refund (SPEC §4).

    The entry copies the sale's agreement, product, channel, territory and rate; its royalty
    is -(R * k / q), rounded to micros by the cumulative-difference rule so that refunding
    all units in pieces sums to exactly -R. Idempotent on `refund_source_ref` (the entry
    posted before is returned); None when the sale has no ledger entry.
    """
    original = await session.scalar(
        select(RoyaltyEntry)
        .where(
            RoyaltyEntry.source == EntrySource.SALE,
            RoyaltyEntry.source_ref == original_source_ref,
        )
        .with_for_update()  # serializes refunds of one line; the check below sees them
    )
    done = await session.scalar(
        select(RoyaltyEntry).where(
            RoyaltyEntry.source == EntrySource.REFUND,
            RoyaltyEntry.source_ref == refund_source_ref,
        )
    )
    if done is not None:
        return done
    if original is None:
        return None
    before_units, before_net = (
        await session.execute(
            select(
                func.coalesce(func.sum(RoyaltyEntry.units), 0),
                func.coalesce(func.sum(RoyaltyEntry.net_minor), 0),
            ).where(RoyaltyEntry.reverses_id == original.id)
        )
    ).one()
    refunded_before = -int(before_units)
    left_units = original.units - refunded_before
    left_net = original.net_minor + int(before_net)
    if not 0 < units <= left_units:
        raise DomainError(
            LicensingError.REFUND_EXCEEDS_SALE,
            f"{units} units cannot be refunded: {left_units} of {original.units} remain.",
            "units",
        )
    if not 0 <= net_minor <= left_net:
        raise DomainError(
            LicensingError.REFUND_EXCEEDS_SALE,
            f"A refund of {net_minor} exceeds the {left_net} left of the line's net.",
            "amount",
        )
    royalty = refund_royalty_micros(original.royalty_micros, original.units, refunded_before, units)
    await hold_periods(session, exclusive=False)
    period, adjustment = posting_period(occurred_at, await last_closed_period(session))
    await _lock_open_periods(session, {period})
    entry = RoyaltyEntry(
        agreement_id=original.agreement_id,
        product_id=original.product_id,
        film_id=original.film_id,
        source=EntrySource.REFUND,
        source_ref=refund_source_ref,
        channel=original.channel,
        territory=original.territory,
        occurred_at=utc(occurred_at),
        period=period,
        units=-units,
        net_minor=-net_minor,
        rate_bps=original.rate_bps,
        royalty_micros=royalty,
        is_adjustment=adjustment,
        reverses_id=original.id,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
