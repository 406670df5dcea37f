"""Licensee sales reports (SPEC §4): whole-report rejection naming each bad line, acceptance,
amendments that post only the difference."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.errors import DomainError
from licensing.models import Channel, EntrySource, RoyaltyEntry, SalesReport
from licensing.sales_reports import ReportLineInput, ReportRejected, submit_sales_report
from licensing.statements import compute_statement
from tests import factory as F

NOW = F.at("2026-07-03T10:00")


async def _world(session, **terms):
    agreement, tee = await F.licensing_world(
        session, rate_bps=1000, territories=["US", "GB", "JP"], **terms
    )
    mug = await F.make_product(session, agreement, tee.film_id, sku="MUG-1")
    return agreement, tee, mug


async def test_a_report_with_three_bad_lines_is_rejected_whole_naming_each(db):
    async with db.session() as session:
        agreement, tee, mug = await _world(session)
        lines = [
            ReportLineInput(tee.sku, "US", 10, 20000, 18000),
            ReportLineInput("NOPE-9", "US", 1, 100, 100),  # unknown SKU
            ReportLineInput(mug.sku, "FR", 2, 3000, 3000),  # territory not licensed
            ReportLineInput(mug.sku, "GB", 1, 1500, 1500),
            ReportLineInput(tee.sku, "JP", 3, 4000, 4500),  # net above gross
        ]
        with pytest.raises(ReportRejected) as rejected:
            await submit_sales_report(
                session, agreement_id=agreement.id, period="2026-Q2", lines=lines,
                submitted_by="merchant", merchant_id=agreement.merchant_id, now=NOW,
            )  # fmt: skip
        entries = await session.scalar(select(func.count()).select_from(RoyaltyEntry))
        reports = await session.scalar(select(func.count()).select_from(SalesReport))
    assert rejected.value.code == "REPORT_REJECTED"
    assert [(n, field, code) for n, field, code, _ in rejected.value.line_errors] == [
        (2, "sku", "UNKNOWN_SKU"),
        (3, "territory", "NOT_LICENSED_IN_TERRITORY"),
        (5, "net", "NET_OUT_OF_RANGE"),
    ]
    assert "France" in rejected.value.line_errors[1][3]
    assert "2, 3, 5" in rejected.value.message
    assert (entries, reports) == (0, 0)


async def test_units_must_be_positive_and_the_channel_licensed(db):
    async with db.session() as session:
        agreement, tee, _ = await _world(session, channels=["storefront"])
        with pytest.raises(ReportRejected) as rejected:
            await submit_sales_report(
                session, agreement_id=agreement.id, period="2026-Q2",
                lines=[ReportLineInput(tee.sku, "US", 0, 100, 100)],
                submitted_by="m", merchant_id=None, now=NOW,
            )  # fmt: skip
    assert [(n, code) for n, _, code, _ in rejected.value.line_errors] == [
        (0, "CHANNEL_NOT_LICENSED"),
        (1, "UNITS_NOT_POSITIVE"),
    ]


async def test_another_merchants_agreement_is_not_found(db):
    async with db.session() as session:
        agreement, _tee, _ = await _world(session)
        with pytest.raises(DomainError) as refused:
            await submit_sales_report(
                session, agreement_id=agreement.id, period="2026-Q2", lines=[],
                submitted_by="m", merchant_id=agreement.merchant_id + 1, now=NOW,
            )  # fmt: skip
    assert refused.value.code == "NOT_FOUND"


async def test_an_accepted_report_posts_one_licensee_retail_entry_per_line(db):
    async with db.session() as session:
        agreement, tee, mug = await _world(session)
        report = await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q2",
            lines=[ReportLineInput(tee.sku, "US", 10, 12000, 10000),
                   ReportLineInput(mug.sku, "GB", 5, 5000, 5000)],
            submitted_by="m", merchant_id=agreement.merchant_id, now=NOW,
        )  # fmt: skip
        entries = (await session.scalars(select(RoyaltyEntry).order_by(RoyaltyEntry.id))).all()
    assert report.version == 1
    assert [
        (e.source, e.channel, e.territory, e.units, e.net_minor, e.period) for e in entries
    ] == [
        (EntrySource.REPORT, Channel.LICENSEE_RETAIL, "US", 10, 10000, "2026-Q2"),
        (EntrySource.REPORT, Channel.LICENSEE_RETAIL, "GB", 5, 5000, "2026-Q2"),
    ]
    assert [e.royalty_micros for e in entries] == [1000_000_000, 500_000_000]
    assert entries[0].occurred_at == F.at("2026-06-30T23:59:59.999999")


async def test_an_amendment_posts_only_the_difference(db):
    async with db.session() as session:
        agreement, tee, mug = await _world(session)
        await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q2",
            lines=[ReportLineInput(tee.sku, "US", 10, 10000, 10000),
                   ReportLineInput(mug.sku, "GB", 5, 5000, 5000)],
            submitted_by="m", merchant_id=agreement.merchant_id, now=NOW,
        )  # fmt: skip
        amended = await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q2",
            lines=[ReportLineInput(tee.sku, "US", 12, 11000, 11000),
                   ReportLineInput(tee.sku, "JP", 1, 500, 500)],
            submitted_by="m", merchant_id=agreement.merchant_id, now=F.at("2026-07-09T10:00"),
        )  # fmt: skip
        diffs = (
            await session.scalars(
                select(RoyaltyEntry).where(RoyaltyEntry.id > 2).order_by(RoyaltyEntry.id)
            )
        ).all()
        q2 = await compute_statement(session, agreement.id, "2026-Q2")
        versions = (await session.scalars(select(SalesReport.version))).all()
    assert amended.version == 2
    assert sorted(versions) == [1, 2]
    by_key = {(e.product_id, e.territory): (e.units, e.net_minor, e.royalty_micros) for e in diffs}
    assert by_key == {
        (tee.id, "US"): (2, 1000, 100_000_000),  # 10 → 12 units, 100.00 → 110.00
        (tee.id, "JP"): (1, 500, 50_000_000),  # new line
        (mug.id, "GB"): (-5, -5000, -500_000_000),  # dropped line
    }
    # The period now earns 10% of the amended 115.00: 11.50.
    assert (q2.units, q2.net_sales_minor, q2.royalty_earned_minor) == (13, 11500, 1150)


async def test_a_late_report_for_a_closed_period_lands_as_an_adjustment(db):
    from licensing.closing import close_period

    async with db.session() as session:
        agreement, tee, _ = await _world(session)
        await close_period(session, "2026-Q1", now=F.at("2026-04-01"), closed_by="ana")
        await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q1",
            lines=[ReportLineInput(tee.sku, "US", 2, 2000, 2000)],
            submitted_by="m", merchant_id=None, now=F.at("2026-04-20"),
        )  # fmt: skip
        [entry] = (await session.scalars(select(RoyaltyEntry))).all()
        with pytest.raises(DomainError) as future:
            await submit_sales_report(
                session, agreement_id=agreement.id, period="2026-Q3", lines=[],
                submitted_by="m", merchant_id=None, now=F.at("2026-04-20"),
            )  # fmt: skip
    assert (entry.period, entry.is_adjustment) == ("2026-Q2", True)
    assert entry.occurred_at == F.at("2026-03-31T23:59:59.999999")
    assert future.value.code == "PERIOD_NOT_STARTED"
