"""The staff agreement page's figures (reports/agreements.py): every period's statement, in
a constant number of statements, equal to what `compute_statement` says one period at a
time — across closed periods, late entries posted as adjustments, refunds and credits."""

from __future__ import annotations

from datetime import date

from kernel.db import Database
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel
from licensing.statements import compute_statement
from reports.agreements import agreement_history
from tests import factory as F


def sale(ref, product, units, net, when):
    return SaleLine(ref, product.id, units, net, Channel.STOREFRONT, "US", F.at(when))


async def test_the_history_equals_compute_statement_period_by_period(
    db: Database, query_counter
) -> None:
    async with db.session() as session:
        agreement, product = await F.licensing_world(
            session, advance_minor=1500, minimum_guarantee_minor=9000,
            end_date=date(2027, 6, 30), sell_off_days=30,
        )  # fmt: skip
        _other, elsewhere = await F.licensing_world(session)  # another agreement's entries stay out
        await post_sales(session, [sale("o:1", product, 2, 6000, "2026-02-01T10:00"),
                                   sale("x:1", elsewhere, 5, 50000, "2026-02-01T10:00")],
                         now=F.at("2026-02-01T10:00"))  # fmt: skip
        await post_sales(session, [sale("o:2", product, 1, 7033, "2026-05-01T10:00")],
                         now=F.at("2026-05-01T10:00"))  # fmt: skip
        await close_period(session, "2026-Q1", now=F.at("2026-07-01"), closed_by="ana")
        await close_period(session, "2026-Q2", now=F.at("2026-07-02"), closed_by="ana")
        # A late report of a Q1 sale lands in Q3 as an adjustment; a refund makes a credit.
        await post_sales(session, [sale("o:3", product, 1, 999, "2026-03-15T10:00")],
                         now=F.at("2026-08-01T10:00"))  # fmt: skip
        await post_refund(
            session, original_source_ref="o:2", refund_source_ref="r:2", units=1,
            net_minor=7033, occurred_at=F.at("2026-11-02T00:00"), now=F.at("2026-11-02T00:00"),
        )  # fmt: skip
        await post_sales(session, [sale("o:4", product, 3, 12001, "2027-02-01T10:00")],
                         now=F.at("2027-02-01T10:00"))  # fmt: skip
        await session.refresh(agreement)

    async with db.read_session() as session:
        with query_counter() as counted:
            history = await agreement_history(session, agreement, today=date(2027, 9, 1))
        expected = [
            await compute_statement(session, agreement.id, s.period) for s in history.statements
        ]

    # 2026-Q1 to 2027-Q3: the term ends 2027-06-30, its 30 sell-off days reach into Q3.
    assert (history.statements[0].period, history.statements[-1].period) == ("2026-Q1", "2027-Q3")
    assert len(history.statements) == 7
    assert history.statements == expected
    assert [s.frozen for s in history.statements[:3]] == [True, True, False]
    assert history.statements[2].has_adjustments  # the late Q1 sale
    assert history.statements[3].royalty_earned_minor < 0  # the refund's credit
    assert counted.count == 4  # films, last closed period, ledger totals, stored statements


async def test_a_long_history_reads_no_more_than_a_short_one(db: Database, query_counter) -> None:
    async with db.session() as session:
        short, short_product = await F.licensing_world(session, end_date=date(2026, 12, 31))
        long, long_product = await F.licensing_world(session, end_date=date(2035, 12, 31))
        lines = [sale("s:1", short_product, 1, 1000, "2026-02-01T10:00")] + [
            sale(f"l:{year}", long_product, 1, 1000, f"{year}-02-01T10:00")
            for year in range(2026, 2034)
        ]
        await post_sales(session, lines, now=F.at("2026-02-01T10:00"))
        await close_period(session, "2026-Q1", now=F.at("2026-04-01"), closed_by="ana")
    counts = {}
    async with db.read_session() as session:
        for agreement in (short, long):
            with query_counter() as counted:
                history = await agreement_history(session, agreement, today=date(2034, 1, 1))
            counts[len(history.statements)] = counted.count
    assert counts == {4: 4, 33: 4}  # 2026's 4 quarters; 2026-Q1 to 2034-Q1
