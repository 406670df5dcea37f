"""Ledger invariants (SPEC §4) under random sales and refunds, on SQLite and PostgreSQL:

- the statements of all periods hold exactly the ledger's exact royalty;
- a sale followed by its full refund (in any pieces) nets to zero;
- closing a period never changes its figures afterwards, whatever is posted later.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from kernel.db import Base
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel, RoyaltyEntry
from licensing.statements import statements_for_period
from reports.royalty import royalty_report
from tests import factory as F

DB_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = F.at("2026-01-01T00:00")
PERIODS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

operations = st.lists(
    st.tuples(
        st.sampled_from(["sale", "sale", "refund"]),
        st.integers(0, 1),  # which agreement
        st.integers(1, 4),  # units
        st.integers(0, 60000),  # net
        st.integers(0, 360),  # day of 2026
        st.sampled_from([Channel.STOREFRONT, Channel.BUNDLE]),
    ),
    min_size=1,
    max_size=10,
)


async def wipe(db) -> None:
    async with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))


async def two_products(session):
    _, tiered = await F.licensing_world(
        session, tiers=[(0, 800), (50000, 1200)], per_unit_min_minor=50, bundle_rate_bps=700
    )
    _, flat = await F.licensing_world(session, rate_bps=1234, currency="JPY")
    return [tiered, flat]


async def play(session, products, ops, *, refs: list, tag: str, earliest=START) -> None:
    """Post the operations: sales, and refunds of part of an earlier sale."""
    for i, (kind, which, units, net, day, channel) in enumerate(ops):
        when = max(START + timedelta(days=day, hours=i), earliest)
        if kind == "refund" and refs:
            ref, sold_units, sold_net, refunded = refs[0]
            k = min(units, sold_units - refunded)
            part = sold_net * (refunded + k) // sold_units - sold_net * refunded // sold_units
            await post_refund(
                session, original_source_ref=ref, refund_source_ref=f"refund:{tag}{i}",
                units=k, net_minor=part, occurred_at=when, now=when,
            )  # fmt: skip
            refs[0] = (ref, sold_units, sold_net, refunded + k)
            if refunded + k == sold_units:
                refs.pop(0)
        else:
            ref = f"sale:{tag}{i}"
            line = SaleLine(ref, products[which].id, units, net, channel, "US", when)
            await post_sales(session, [line], now=when)
            refs.append((ref, units, net, 0))


async def statement_totals(session) -> tuple[int, int]:
    figures = [f for p in PERIODS for f in await statements_for_period(session, p)]
    return sum(f.royalty_micros for f in figures), sum(f.net_sales_minor for f in figures)


@DB_SETTINGS
@given(ops=operations)
async def test_statements_hold_exactly_the_ledgers_royalty(db, ops):
    await wipe(db)
    async with db.session() as session:
        products = await two_products(session)
        await play(session, products, ops, refs=[], tag="a")
        ledger_micros, ledger_net = (
            await session.execute(
                select(
                    func.coalesce(func.sum(RoyaltyEntry.royalty_micros), 0),
                    func.coalesce(func.sum(RoyaltyEntry.net_minor), 0),
                )
            )
        ).one()
        assert await statement_totals(session) == (ledger_micros, ledger_net)
        for period in PERIODS:  # the staff report holds the same royalty as the statements
            report = await royalty_report(session, period, ["merchant", "channel"])
            statements = await statements_for_period(session, period)
            assert sum(r.royalty_micros for r in report) == sum(
                f.royalty_micros for f in statements
            )
        q4 = await statements_for_period(session, "2026-Q4")
        q_all = [f for p in PERIODS for f in await statements_for_period(session, p)]
        for final in q4:  # the last cumulative is the sum of every period's rounded earned
            earned = [f.royalty_earned_minor for f in q_all if f.agreement_id == final.agreement_id]
            assert final.cumulative_earned_minor == sum(earned)


@DB_SETTINGS
@given(
    units=st.integers(1, 12),
    net=st.integers(0, 10**6),
    which=st.integers(0, 1),
    channel=st.sampled_from([Channel.STOREFRONT, Channel.BUNDLE]),
    data=st.data(),
)
async def test_a_sale_and_its_full_refund_net_to_zero(db, units, net, which, channel, data):
    await wipe(db)
    async with db.session() as session:
        products = await two_products(session)
        when = F.at("2026-05-05T10:00")
        line = SaleLine("sale:1", products[which].id, units, net, channel, "US", when)
        await post_sales(session, [line], now=when)
        done = 0
        while done < units:
            k = data.draw(st.integers(1, units - done))
            part = net * (done + k) // units - net * done // units
            await post_refund(
                session, original_source_ref="sale:1", refund_source_ref=f"refund:{done}",
                units=k, net_minor=part, occurred_at=when, now=when,
            )  # fmt: skip
            done += k
        totals = (
            await session.execute(
                select(
                    func.sum(RoyaltyEntry.units),
                    func.sum(RoyaltyEntry.net_minor),
                    func.sum(RoyaltyEntry.royalty_micros),
                )
            )
        ).one()
    assert tuple(int(t) for t in totals) == (0, 0, 0)


@DB_SETTINGS
@given(before=operations, after=operations)
async def test_closing_a_period_never_changes_its_figures_afterwards(db, before, after):
    await wipe(db)
    async with db.session() as session:
        products = await two_products(session)
        refs: list = []
        early = [(k, w, u, n, day % 90, c) for k, w, u, n, day, c in before]  # all in Q1
        await play(session, products, early, refs=refs, tag="b")
        closed_at = F.at("2026-04-01T00:00")
        await close_period(session, "2026-Q1", now=closed_at, closed_by="prop")
        frozen = await statements_for_period(session, "2026-Q1")
        # Later postings, some of which occurred in Q1 (late refunds and sales).
        await play(session, products, after, refs=refs, tag="c", earliest=START)
        assert await statements_for_period(session, "2026-Q1") == frozen
        late = await session.scalar(
            select(func.count()).where(
                RoyaltyEntry.created_at >= closed_at, RoyaltyEntry.period == "2026-Q1"
            )
        )
        assert late == 0
        ledger_micros = await session.scalar(
            select(func.coalesce(func.sum(RoyaltyEntry.royalty_micros), 0))
        )
        assert (await statement_totals(session))[0] == ledger_micros
