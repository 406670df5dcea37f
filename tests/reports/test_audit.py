"""The label audit (SPEC §10): labels issued against units sold in every channel and in
stock, and codes verified like clones."""

from __future__ import annotations

import pytest

from kernel.errors import DomainError
from licensing.label_batches import batch_codes, request_labels, verify_label
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel
from licensing.sales_reports import ReportLineInput, submit_sales_report
from reports.audit import AuditPolicy, audit
from tests import factory as F

NOW = F.at("2026-08-10T12:00")
AFTER_Q3 = F.at("2026-10-02T09:00")


async def _labelled_world(session, labels=500):
    agreement, tee = await F.licensing_world(session, rate_bps=1000)  # tee: 100 in stock
    mug = await F.make_product(session, agreement, tee.film_id, sku="MUG-2", stock=0)
    batch = await request_labels(
        session, product_id=tee.id, quantity=labels, merchant_id=agreement.merchant_id,
        requested_by="m", now=NOW,
    )  # fmt: skip
    return agreement, tee, mug, batch


async def test_the_audit_flags_a_licensee_whose_reports_fall_short_of_its_labels(db) -> None:
    async with db.session() as session:
        agreement, tee, mug, _ = await _labelled_world(session)
        # tiein sold 32 tees itself (20 alone, 2 of them refunded; 12 in bundles) and 3 mugs.
        await post_sales(session, [
            SaleLine("o:1", tee.id, 20, 20000, Channel.STOREFRONT, "US", NOW),
            SaleLine("o:2", tee.id, 12, 12000, Channel.BUNDLE, "GB", NOW),
            SaleLine("o:3", mug.id, 3, 3000, Channel.STOREFRONT, "US", NOW),
        ], now=NOW)  # fmt: skip
        await post_refund(
            session, original_source_ref="o:1", refund_source_ref="r:1", units=2,
            net_minor=2000, occurred_at=NOW, now=NOW,
        )  # fmt: skip
        # The licensee reports 200 tees sold in its own shops.
        await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q3",
            lines=[ReportLineInput(tee.sku, "US", 200, 400000, 400000)],
            submitted_by="m", merchant_id=None, now=AFTER_Q3,
        )  # fmt: skip
        short = await audit(session, agreement.id, "2026-Q3")
    tee_line = next(line for line in short.lines if line.sku == tee.sku)
    # 500 labels - (18 storefront + 12 bundle + 200 retail) - 100 in stock = 170 missing.
    assert (tee_line.issued, tee_line.storefront_units, tee_line.bundle_units) == (500, 18, 12)
    assert (tee_line.retail_units, tee_line.on_hand, tee_line.sold) == (200, 100, 230)
    assert (tee_line.gap, tee_line.tolerance) == (170, 10)  # max(2% of 500, 10 units)
    assert tee_line.flagged and tee_line.status == "labels unaccounted for"
    mug_line = next(line for line in short.lines if line.sku == "MUG-2")
    # 3 mugs sold without any label: within the 10-unit tolerance.
    assert (mug_line.gap, mug_line.flagged) == (-3, False)
    assert (short.total.issued, short.total.sold, short.total.gap) == (500, 233, 167)
    assert short.total.flagged and short.flagged

    # The licensee amends its report: 365 tees in its shops.
    # 500 - 395 - 100 = 5 tees, and -3 mugs: 2 in all, fine.
    async with db.session() as session:
        await submit_sales_report(
            session, agreement_id=agreement.id, period="2026-Q3",
            lines=[ReportLineInput(tee.sku, "US", 365, 730000, 730000)],
            submitted_by="m", merchant_id=None, now=AFTER_Q3,
        )  # fmt: skip
        fixed = await audit(session, agreement.id, "2026-Q3")
        strict_policy = AuditPolicy(gap_bps=0, gap_min_units=1)
        strict = await audit(session, agreement.id, "2026-Q3", strict_policy)
    assert (fixed.total.gap, fixed.total.flagged, fixed.flagged) == (2, False, False)
    assert strict.total.flagged  # the tolerance is a setting


async def test_figures_count_what_happened_before_the_period_ended(db) -> None:
    async with db.session() as session:
        agreement, tee, _, _ = await _labelled_world(session, labels=100)
        # Q4: 100 more labels and 40 tees sold. For Q3 they do not count, and the 40 sold
        # since are counted back into Q3's stock on hand.
        await request_labels(
            session, product_id=tee.id, quantity=100, merchant_id=None, requested_by="s",
            now=AFTER_Q3,
        )  # fmt: skip
        await post_sales(session, [
            SaleLine("o:9", tee.id, 40, 40000, Channel.STOREFRONT, "US", AFTER_Q3),
        ], now=AFTER_Q3)  # fmt: skip
        tee.stock = 60
        q3 = await audit(session, agreement.id, "2026-Q3")
        q4 = await audit(session, agreement.id, "2026-Q4")
        with pytest.raises(DomainError) as bad:
            await audit(session, agreement.id, "Q3")
    assert (q3.total.issued, q3.total.sold, q3.total.on_hand, q3.total.gap) == (100, 0, 100, 0)
    assert (q4.total.issued, q4.total.sold, q4.total.on_hand, q4.total.gap) == (200, 40, 60, 100)
    assert bad.value.code == "INVALID_PERIOD"


async def test_codes_verified_like_clones_are_flagged(db) -> None:
    async with db.session() as session:
        agreement, tee, _, batch = await _labelled_world(session, labels=10)
        _, _, codes = await batch_codes(session, batch.id, merchant_id=None)
    # code 0: 5 times from 3 networks (cloned); code 1: 4 times from 4 networks (fine);
    # code 2: 20 times from one network (cloned); code 3: 19 times (fine).
    plan = {
        0: ["a", "b", "c", "a", "b"],
        1: ["a", "b", "c", "d"],
        2: ["z"] * 20,
        3: ["z"] * 19,
    }
    async with db.session() as session:
        for index, networks in plan.items():
            for net in networks:
                await verify_label(session, codes[index], now=NOW, network=f"10.0.{net}")
        result = await audit(session, agreement.id, "2026-Q3")
        looser = await audit(session, agreement.id, "2026-Q3", AuditPolicy(clone_total=30))
        before = await audit(session, agreement.id, "2026-Q2")
    assert result.cloned_count == 2
    assert [(c.code, c.verifications, c.networks) for c in result.cloned] == [
        (codes[2], 20, 1),
        (codes[0], 5, 3),
    ]
    assert result.cloned[0].sku == tee.sku and result.flagged
    assert [c.code for c in looser.cloned] == [codes[0]]
    assert before.cloned_count == 0  # verifications after the period's end do not count
