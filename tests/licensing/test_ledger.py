"""The royalty ledger (SPEC §4): worked examples, each figure computed by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kernel.errors import DomainError
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import ROYALTY_SCALE, Channel, EntrySource, RoyaltyEntry
from licensing.statements import compute_statement
from tests import factory as F

M = ROYALTY_SCALE


def sale(ref, product, units, net, when="2026-02-10T12:00", channel=Channel.STOREFRONT):
    return SaleLine(ref, product.id, units, net, channel, "US", F.at(when))


async def test_a_flat_rate_sale_earns_net_times_rate(db):
    async with db.session() as session:
        agreement, product = await F.licensing_world(session, rate_bps=1000)
        # 3 tees for 75.01 at 10%: 7.501 exactly, shown as 7.50.
        [entry] = await post_sales(session, [sale("order_line:1", product, 3, 7501)], now=F.at(
            "2026-02-10T12:00"))  # fmt: skip
        figures = await compute_statement(session, agreement.id, "2026-Q1")
    assert (entry.royalty_micros, entry.rate_bps, entry.period) == (750_100_000, 1000, "2026-Q1")
    assert (entry.agreement_id, entry.film_id, entry.source) == (
        agreement.id, product.film_id, EntrySource.SALE,
    )  # fmt: skip
    assert (figures.units, figures.net_sales_minor, figures.royalty_earned_minor) == (3, 7501, 750)


async def test_the_per_unit_minimum_wins_on_cheap_items(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session, rate_bps=1000, per_unit_min_minor=150)
        cheap, dear = await post_sales(
            session,
            [sale("order_line:1", product, 4, 1000), sale("order_line:2", product, 2, 5000)],
            now=F.at("2026-02-10T12:00"),
        )
    # 4 keyrings for 10.00: 10% is 1.00, the minimum 4 x 1.50 = 6.00 wins.
    assert cheap.royalty_micros == 600 * M
    # 2 hoodies for 50.00: 10% is 5.00, more than 2 x 1.50.
    assert dear.royalty_micros == 500 * M


async def test_a_tier_crossed_in_the_middle_of_an_entry_splits_it(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session, tiers=[(0, 800), (100000, 1200)])
        first, crossing, above = await post_sales(
            session,
            [
                sale("order_line:1", product, 9, 90000, "2026-02-01T00:00"),
                sale("order_line:2", product, 3, 30000, "2026-02-02T00:00"),
                sale("order_line:3", product, 1, 10000, "2026-02-03T00:00"),
            ],
            now=F.at("2026-02-03T00:00"),
        )
        # A new contract year (from 2027-01-01) starts again at the first tier.
        [next_year] = await post_sales(
            session, [sale("order_line:4", product, 1, 10000, "2027-01-05T00:00")],
            now=F.at("2027-01-05T00:00"),
        )  # fmt: skip
    assert first.royalty_micros == 7200 * M  # 90000 at 8%
    assert crossing.royalty_micros == 3200 * M  # 10000 at 8% + 20000 at 12%
    assert above.royalty_micros == 1200 * M  # 10000 at 12%
    assert next_year.royalty_micros == 800 * M


async def test_a_refund_counts_in_the_cumulative_net_of_the_tiers(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session, tiers=[(0, 800), (100000, 1200)])
        now = F.at("2026-03-01T00:00")
        await post_sales(session, [sale("order_line:1", product, 10, 100000)], now=now)
        await post_refund(
            session, original_source_ref="order_line:1", refund_source_ref="refund_line:1",
            units=5, net_minor=50000, occurred_at=now, now=now,
        )  # fmt: skip
        # Cumulative is back to 50000: a 60000 sale is 50000 at 8% + 10000 at 12% = 5200.
        [entry] = await post_sales(session, [sale("order_line:2", product, 6, 60000)], now=now)
    assert entry.royalty_micros == 5200 * M


async def test_the_bundle_rate_replaces_the_rate_for_bundle_entries(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session, rate_bps=1000, bundle_rate_bps=600)
        bundle, alone = await post_sales(
            session,
            [
                sale("bundle_part:1", product, 1, 2000, channel=Channel.BUNDLE),
                sale("order_line:1", product, 1, 2000),
            ],
            now=F.at("2026-02-10T12:00"),
        )
    assert (bundle.royalty_micros, bundle.rate_bps) == (120 * M, 600)  # 20.00 at 6%
    assert (alone.royalty_micros, alone.rate_bps) == (200 * M, 1000)  # 20.00 at 10%


async def test_posting_the_same_line_twice_posts_it_once(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session)
        line = sale("order_line:1", product, 1, 1000)
        first = await post_sales(session, [line, line], now=F.at("2026-02-10T12:00"))
        again = await post_sales(session, [line], now=F.at("2026-02-10T12:00"))
        count = await session.scalar(select(func.count()).select_from(RoyaltyEntry))
    assert (len(first), again, count) == (1, [], 1)


async def test_a_sale_with_negative_units_is_refused(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session)
        with pytest.raises(DomainError) as refused:
            await post_sales(session, [sale("x:1", product, -1, 100)], now=F.at("2026-02-10"))
    assert refused.value.code == "INVALID_ENTRY"


async def test_refunds_mirror_the_sale_at_its_rate_and_sum_to_exactly_minus_its_royalty(db):
    async with db.session() as session:
        agreement, product = await F.licensing_world(session, rate_bps=1000)
        now = F.at("2026-02-10T12:00")
        # 3 units for 10.01 at 10% = 1.001 = 1,001,000 micros... times 100: 100,100,000.
        [original] = await post_sales(session, [sale("order_line:1", product, 3, 1001)], now=now)
        later = F.at("2026-05-02T08:00")
        refunds = [
            await post_refund(
                session,
                original_source_ref="order_line:1",
                refund_source_ref=f"refund_line:{i}",
                units=1,
                net_minor=net,
                occurred_at=later,
                now=later,
            )
            for i, net in enumerate([334, 334, 333])
        ]
        again = await post_refund(
            session, original_source_ref="order_line:1", refund_source_ref="refund_line:0",
            units=1, net_minor=334, occurred_at=later, now=later,
        )  # fmt: skip
        with pytest.raises(DomainError) as too_many:
            await post_refund(
                session, original_source_ref="order_line:1", refund_source_ref="refund_line:9",
                units=1, net_minor=1, occurred_at=later, now=later,
            )  # fmt: skip
        unknown = await post_refund(
            session, original_source_ref="order_line:404", refund_source_ref="refund_line:404",
            units=1, net_minor=1, occurred_at=later, now=later,
        )  # fmt: skip
        q2 = await compute_statement(session, agreement.id, "2026-Q2")
    assert original.royalty_micros == 100_100_000
    assert [r.royalty_micros for r in refunds] == [-33_366_667, -33_366_666, -33_366_667]
    assert sum(r.royalty_micros for r in refunds) == -original.royalty_micros
    assert [(r.units, r.net_minor, r.rate_bps, r.period) for r in refunds] == [
        (-1, -334, 1000, "2026-Q2"), (-1, -334, 1000, "2026-Q2"), (-1, -333, 1000, "2026-Q2"),
    ]  # fmt: skip
    assert all(r.reverses_id == original.id and r.source == EntrySource.REFUND for r in refunds)
    assert again.id == refunds[0].id  # idempotent on the refund's reference
    assert too_many.value.code == "REFUND_EXCEEDS_SALE"
    assert unknown is None
    assert (q2.units, q2.net_sales_minor, q2.royalty_micros) == (-3, -1001, -100_100_000)


async def test_a_late_refund_into_a_closed_period_is_an_adjustment_in_the_next_open_one(db):
    async with db.session() as session:
        agreement, product = await F.licensing_world(session, rate_bps=1000)
        await post_sales(
            session, [sale("order_line:1", product, 2, 4000, "2026-03-20T10:00")],
            now=F.at("2026-03-20T10:00"),
        )  # fmt: skip
        await close_period(session, "2026-Q1", now=F.at("2026-04-01T00:05"), closed_by="ana")
        q1_before = await compute_statement(session, agreement.id, "2026-Q1")
        # The shopper's refund happened on 31 March but reaches the ledger in April.
        refund = await post_refund(
            session, original_source_ref="order_line:1", refund_source_ref="refund_line:1",
            units=1, net_minor=2000, occurred_at=F.at("2026-03-31T23:00"),
            now=F.at("2026-04-02T09:00"),
        )  # fmt: skip
        q1_after = await compute_statement(session, agreement.id, "2026-Q1")
        q2 = await compute_statement(session, agreement.id, "2026-Q2")
    assert (refund.period, refund.is_adjustment) == ("2026-Q2", True)
    assert refund.occurred_at == F.at("2026-03-31T23:00")
    assert q1_after == q1_before
    assert (q1_after.royalty_earned_minor, q1_after.frozen) == (400, True)
    assert (q2.royalty_earned_minor, q2.cumulative_earned_minor, q2.has_adjustments) == (
        -200, 200, True,
    )  # fmt: skip


async def test_a_late_sale_lands_in_the_first_open_period(db):
    async with db.session() as session:
        _agreement, product = await F.licensing_world(session, start_date=date(2025, 1, 1))
        await post_sales(
            session, [sale("order_line:1", product, 1, 1000, "2025-11-20T10:00")],
            now=F.at("2025-11-20T10:00"),
        )  # fmt: skip
        await close_period(session, "2025-Q4", now=F.at("2026-01-02T00:00"), closed_by="ana")
        [late] = await post_sales(
            session, [sale("order_line:2", product, 1, 1000, "2025-06-01T10:00")],
            now=F.at("2026-01-03T00:00"),
        )  # fmt: skip
    assert (late.period, late.is_adjustment) == ("2026-Q1", True)


async def test_concurrent_sales_of_a_tiered_agreement_see_each_others_net(db):
    """Tiers read the contract year's cumulative net, so postings to one agreement are
    serialized: a second posting waits for the first transaction instead of missing it."""
    import asyncio

    from licensing.periods import ensure_period

    async with db.session() as session:
        _, product = await F.licensing_world(session, tiers=[(0, 800), (100000, 1200)])
        await ensure_period(session, "2026-Q1")

    async def post(ref: str) -> None:
        async with db.session() as session:
            await post_sales(session, [sale(ref, product, 6, 60000)], now=F.at("2026-02-10"))

    async with db.session() as first:
        await post_sales(first, [sale("order_line:1", product, 6, 60000)], now=F.at("2026-02-10"))
        second = asyncio.create_task(post("order_line:2"))
        await asyncio.sleep(0.3)  # the second posting starts while the first is uncommitted
    await second
    async with db.read_session() as session:
        micros = (
            await session.scalars(select(RoyaltyEntry.royalty_micros).order_by(RoyaltyEntry.id))
        ).all()
    # First 60000 at 8% = 4800; then 40000 at 8% + 20000 at 12% = 5600.
    assert micros == [4800 * M, 5600 * M]


async def test_the_same_sale_posted_by_two_transactions_at_once_is_posted_once(db):
    """A webhook delivered twice at the same moment: the second posting waits for the first
    and then finds its entry, instead of failing on the unique key or posting twice."""
    import asyncio

    from licensing.periods import ensure_period

    async with db.session() as session:
        _, product = await F.licensing_world(session)
        await ensure_period(session, "2026-Q1")
    line = sale("order_line:7", product, 1, 1000)

    async def post() -> list:
        async with db.session() as session:
            return await post_sales(session, [line], now=F.at("2026-02-10"))

    async with db.session() as first:
        posted = await post_sales(first, [line], now=F.at("2026-02-10"))
        second = asyncio.create_task(post())
        await asyncio.sleep(0.3)
    assert (len(posted), await second) == (1, [])
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(RoyaltyEntry)) == 1
