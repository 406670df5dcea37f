"""MG pace and statements agree on the minimum-guarantee shortfall (SPEC §4, §10): the
shortfall is measured on the statement of the period that holds the end date, so for an
agreement past its end the pace report shows exactly that statement's figure, whatever
the sell-off periods after it bring (late sales, refunds)."""

from __future__ import annotations

from datetime import date

from kernel.db import Database
from licensing.agreements import set_agreement_status
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import AgreementStatus, Channel
from licensing.remittances import record_remittance
from licensing.statements import compute_statement
from reports.royalty import mg_pace
from tests import factory as F

TERMS = dict(
    rate_bps=1000, minimum_guarantee_minor=10_000, advance_minor=0,
    start_date=date(2026, 1, 1), end_date=date(2026, 6, 30), sell_off_days=90,
)  # fmt: skip


async def sell(s, product, ref: str, net: int, when: str) -> None:
    at = F.at(when)
    await post_sales(s, [SaleLine(ref, product.id, 1, net, Channel.STOREFRONT, "US", at)], now=at)


async def test_past_its_end_mg_pace_shows_the_final_statements_shortfall(db: Database) -> None:
    async with db.session() as s:
        # Given one agreement that met its MG in the term, then refunded half in the sell-off
        refunded, tee = await F.licensing_world(s, code="LA-2026-0201", **TERMS)
        await sell(s, tee, "o:1", 100_000, "2026-02-01T00:00")  # royalty 100.00 = the MG
        await post_refund(
            s, original_source_ref="o:1", refund_source_ref="r:1", units=1, net_minor=100_000,
            occurred_at=F.at("2026-07-15T00:00"), now=F.at("2026-07-15T00:00"),
        )  # fmt: skip
        # and one that fell short in the term, then sold a lot in the sell-off
        late, mug = await F.licensing_world(s, code="LA-2026-0202", **TERMS)
        await sell(s, mug, "o:2", 40_000, "2026-05-01T00:00")  # 40.00 in the term
        await sell(s, mug, "o:3", 90_000, "2026-07-20T00:00")  # 90.00 in the sell-off
    async with db.session() as s:
        await close_period(s, "2026-Q1", now=F.at("2026-07-02T00:00"), closed_by="ana")
        await close_period(s, "2026-Q2", now=F.at("2026-07-02T00:00"), closed_by="ana")

    # When staff read the pace report in the sell-off (both still active) and the statements
    async with db.session() as s:
        rows = {r.agreement_code: r for r in await mg_pace(s, today=date(2026, 8, 1))}
        finals = {a.code: await compute_statement(s, a.id, "2026-Q2") for a in (refunded, late)}
        after = {a.code: await compute_statement(s, a.id, "2026-Q3") for a in (refunded, late)}

    # Then the final statements hold the shortfall and the later period none
    assert finals["LA-2026-0201"].mg_shortfall_minor == 0
    assert finals["LA-2026-0202"].mg_shortfall_minor == 6_000
    assert all(a.mg_shortfall_minor == 0 and not a.is_final_period for a in after.values())
    # and MG pace says the same: earned toward the MG is the final statement's cumulative
    for code, final in finals.items():
        row = rows[code]
        assert row.shortfall_now_minor == final.mg_shortfall_minor, code
        assert row.earned_to_date_minor == final.cumulative_earned_minor, code
        assert row.projected_shortfall_minor == final.mg_shortfall_minor, code
        assert row.days_elapsed == row.term_days
    assert rows["LA-2026-0201"].on_pace and not rows["LA-2026-0202"].on_pace


async def test_within_the_term_pace_counts_every_entry_so_far(db: Database) -> None:
    async with db.session() as s:
        agreement, tee = await F.licensing_world(s, **TERMS)
        await sell(s, tee, "o:1", 30_000, "2026-02-01T00:00")
        await sell(s, tee, "o:2", 20_000, "2026-05-01T00:00")
        [row] = await mg_pace(s, today=date(2026, 5, 2))
        q2 = await compute_statement(s, agreement.id, "2026-Q2")
    # What the final (Q2) statement would show if the term ended today
    assert row.earned_to_date_minor == q2.cumulative_earned_minor == 5_000
    assert row.shortfall_now_minor == q2.mg_shortfall_minor == 5_000


async def test_mg_pace_keeps_ended_agreements_while_they_owe_a_shortfall(db: Database) -> None:
    # Given three agreements that fell short of their MG (40.00 of 100.00 earned): one is
    # expired with its final period closed, one terminated before its final period closed,
    # and one expired that met its MG
    async with db.session() as s:
        expired, a = await F.licensing_world(s, code="LA-2026-0301", **TERMS)
        terminated, b = await F.licensing_world(s, code="LA-2026-0302", **TERMS)
        met, c = await F.licensing_world(s, code="LA-2026-0303", **TERMS)
        await sell(s, a, "o:1", 40_000, "2026-02-01T00:00")
        await sell(s, b, "o:2", 40_000, "2026-02-01T00:00")
        await sell(s, c, "o:3", 100_000, "2026-02-01T00:00")
        await close_period(s, "2026-Q1", now=F.at("2026-04-02T00:00"), closed_by="ana")
        await set_agreement_status(
            s, terminated.id, AgreementStatus.TERMINATED, now=F.at("2026-04-03T00:00")
        )
        await close_period(s, "2026-Q2", now=F.at("2026-07-02T00:00"), closed_by="ana")
        for agreement in (expired, met):
            await set_agreement_status(
                s, agreement.id, AgreementStatus.EXPIRED, now=F.at("2026-10-01T00:00")
            )
    # When staff read the pace report after the term
    async with db.session() as s:
        rows = {r.agreement_code: r for r in await mg_pace(s, today=date(2026, 10, 2))}
    # Then both that owe a shortfall are listed with it, the one that met its MG is not
    assert set(rows) == {"LA-2026-0301", "LA-2026-0302"}
    for code, status in (("LA-2026-0301", "expired"), ("LA-2026-0302", "terminated")):
        row = rows[code]
        assert (row.shortfall_now_minor, row.shortfall_owed_minor) == (6_000, 6_000), code
        assert row.pace == f"{status}, shortfall owed" and not row.on_pace
    # and a remittance that pays only the Q1 royalty (oldest first) leaves it listed; once
    # its shortfall is paid too, it leaves the report
    async with db.session() as s:
        await record_remittance(
            s, expired.id, amount=4_000, currency="USD", received_on="2026-10-01",
            reference="q1", by="ana", now=F.at("2026-10-02T00:00"),
        )  # fmt: skip
    async with db.session() as s:
        rows = {r.agreement_code: r for r in await mg_pace(s, today=date(2026, 10, 2))}
    assert rows["LA-2026-0301"].shortfall_owed_minor == 6_000
    async with db.session() as s:
        await record_remittance(
            s, expired.id, amount=6_000, currency="USD", received_on="2026-10-02",
            reference="mg", by="ana", now=F.at("2026-10-02T00:00"),
        )  # fmt: skip
    async with db.session() as s:
        rows = {r.agreement_code: r for r in await mg_pace(s, today=date(2026, 10, 2))}
    assert set(rows) == {"LA-2026-0302"}
