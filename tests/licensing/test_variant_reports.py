"""Sales reports name variant SKUs (a size) and royalties roll up to the product (issue 12
"Variants"): each line keeps the SKU reported, its ledger entry is the product's; another
agreement's variant SKU is UNKNOWN_SKU."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.variants import create_variant
from licensing.models import RoyaltyEntry, SalesReportLine
from licensing.sales_reports import ReportLineInput, ReportRejected, submit_sales_report
from reports.royalty import royalty_report
from tests import factory as F

NOW = F.at("2026-07-03T10:00")


async def test_a_report_by_size_posts_entries_of_the_product(db):
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session, rate_bps=1000, territories=["US"])
        await F.make_product(session, agreement, tee.film_id, sku="MUG-1")
        tee.stock = 0
        await session.flush()
        sizes = {}
        for size in ("M", "L"):
            variant = await create_variant(
                session, tee.id, merchant_id=None, code=f"TEE-{size}", options=[("size", size)]
            )
            sizes[size] = variant.sku
        report = await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q2",
            lines=[ReportLineInput(sizes["M"], "US", 4, 8000, 8000),
                   ReportLineInput(sizes["L"], "US", 1, 2000, 2000)],
            submitted_by="m", merchant_id=agreement.merchant_id, now=NOW,
        )  # fmt: skip
        lines = (await session.scalars(select(SalesReportLine).order_by(SalesReportLine.id))).all()
        entries = (await session.scalars(select(RoyaltyEntry).order_by(RoyaltyEntry.id))).all()
        rows = await royalty_report(session, period="2026-Q2", group_by=["channel"])
    assert report.version == 1
    assert [(line.sku, line.product_id) for line in lines] == [
        (sizes["M"], tee.id),
        (sizes["L"], tee.id),
    ]
    assert [(e.product_id, e.units, e.net_minor) for e in entries] == [
        (tee.id, 4, 8000),
        (tee.id, 1, 2000),
    ]
    assert sum(r.units for r in rows) == 5


async def test_a_variant_sku_of_another_agreement_is_unknown(db):
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session, rate_bps=1000, territories=["US"])
        other = await F.make_agreement(
            session, merchant_id=agreement.merchant_id, film_ids=[tee.film_id]
        )
        other_tee = await F.make_product(session, other, tee.film_id, sku="OTHER-TEE", stock=0)
        foreign = await create_variant(
            session, other_tee.id, merchant_id=None, code="X-M", options=[("size", "M")]
        )
        with pytest.raises(ReportRejected) as rejected:
            await submit_sales_report(
                session, agreement_id=agreement.id, period="2026-Q2",
                lines=[ReportLineInput(foreign.sku, "US", 1, 100, 100)],
                submitted_by="m", merchant_id=agreement.merchant_id, now=NOW,
            )  # fmt: skip
    assert [code for _, _, code, _ in rejected.value.line_errors] == ["UNKNOWN_SKU"]
