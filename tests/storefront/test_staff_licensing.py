"""The licensing desk through its pages: approvals, agreements and their statements, periods."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from catalog.models import ApprovalStage, Product
from kernel.clock import now_utc
from kernel.db import Database
from kernel.money import format_money, parse_amount
from licensing.approvals import submit_product
from licensing.label_batches import batch_codes, request_labels, verify_label
from licensing.labels import display
from licensing.models import AgreementStatus, Period, PeriodStatus, ProductReview, RoyaltyStatement
from licensing.sales_reports import ReportLineInput, submit_sales_report
from orders.models import OrderStatus, Payment
from tests.factory import approve, make_order, make_product, staff_member, staff_world
from tests.prices import usd
from tests.storefront.console import post_confirmed, post_form, sign_in


async def _stage(db: Database, product_id: int) -> ApprovalStage:
    async with db.read_session() as session:
        return (await session.get(Product, product_id)).approval_stage


async def test_a_concept_is_approved_sent_back_and_rejected_through_the_queue(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    tee, poster, other = world.product_ids

    queue = await client.get("/staff/approvals")
    assert queue.status_code == 200
    for sku in world.skus:
        assert sku in queue.text
    # Merchant text is escaped, and the history shows the submission.
    assert "Acme &lt;Merch&gt; &amp; Co" in queue.text
    assert "first concept" in queue.text

    approved = await post_form(
        client,
        f"/staff/approvals/{tee}",
        {"decision": "approve", "comment": "Lovely"},
        page="/staff/approvals",
    )
    assert approved.status_code == 303
    after = await client.get(approved.headers["location"])
    assert "ACME-TEE-1 approved." in after.text
    assert await _stage(db, tee) == ApprovalStage.CONCEPT_APPROVED
    # An approved concept leaves the queue until the sample is submitted.
    assert f"/staff/approvals/{tee}" not in after.text

    # Requesting changes needs a comment: the rule's refusal is shown, nothing moves.
    refused = await post_form(
        client, f"/staff/approvals/{poster}", {"decision": "request_changes", "comment": " "}
    )
    shown = await client.get(refused.headers["location"])
    assert 'data-code="INVALID"' in shown.text and "(INVALID)" not in shown.text
    assert await _stage(db, poster) == ApprovalStage.CONCEPT_SUBMITTED

    await post_form(
        client,
        f"/staff/approvals/{poster}",
        {"decision": "request_changes", "comment": "Darker blue"},
    )
    assert await _stage(db, poster) == ApprovalStage.CHANGES_REQUESTED

    await post_form(client, f"/staff/approvals/{other}", {"decision": "reject", "comment": "No"})
    assert await _stage(db, other) == ApprovalStage.REJECTED
    # A rejected product stays rejected, whatever the form says.
    again = await post_form(client, f"/staff/approvals/{other}", {"decision": "approve"})
    assert 'data-code="PRODUCT_REJECTED"' in (await client.get(again.headers["location"])).text
    assert await _stage(db, other) == ApprovalStage.REJECTED

    async with db.read_session() as session:
        reviews = (
            await session.scalars(
                select(ProductReview).where(ProductReview.actor == "desk-officer")
            )
        ).all()
    assert sorted((r.product_id, r.action.value) for r in reviews) == sorted(
        [(tee, "approve"), (poster, "request_changes"), (other, "reject")]
    )
    assert (await client.get("/staff/approvals")).text.count('name="decision"') == 0


async def test_agreement_pages_show_terms_statements_and_change_status(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)

    listing = await client.get("/staff/agreements")
    assert world.agreement_code in listing.text
    assert "10.00 %" in listing.text
    assert usd(10000) in listing.text  # the advance, with its currency
    assert usd(500000) in listing.text
    assert world.agreement_code in (await client.get("/staff/agreements?status=active")).text
    assert world.agreement_code not in (await client.get("/staff/agreements?status=draft")).text

    detail = await client.get(f"/staff/agreements/{world.agreement_code}")
    assert detail.status_code == 200
    assert "Dust &amp; Gold, Night Train" in detail.text
    # 2025-Q3: net 100.00 + 30.00 + 25.00 at 10 % → 15.50 earned; Q4: 25.00 → 2.50.
    assert '<th scope="row">2025-Q3</th>' in detail.text
    assert usd(15500) in detail.text and usd(1550) in detail.text
    assert usd(1800) in detail.text  # cumulative after 2025-Q4
    assert "<svg" in detail.text and "Cumulative royalty earned" in detail.text

    missing = await client.get("/staff/agreements/LA-NOPE")
    assert missing.status_code == 404

    terminated = await post_confirmed(
        client,
        f"/staff/agreements/{world.agreement_code}/status",
        {"status": "terminated"},
        page=f"/staff/agreements/{world.agreement_code}",
    )
    assert terminated.status_code == 303
    page = await client.get(terminated.headers["location"])
    assert "is now terminated" in page.text
    # Terminated is final: no status form any more, and the service refuses a change.
    assert 'name="status"' not in page.text
    back = await post_form(
        client, f"/staff/agreements/{world.agreement_code}/status", {"status": "active"}
    )
    assert 'data-code="INVALID_STATUS_CHANGE"' in (await client.get(back.headers["location"])).text
    async with db.read_session() as session:
        from licensing.models import Agreement

        status = await session.scalar(
            select(Agreement.status).where(Agreement.id == world.agreement_id)
        )
    assert status == AgreementStatus.TERMINATED


async def test_closing_a_period_from_the_periods_page_freezes_its_statements(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)

    periods = await client.get("/staff/periods")
    assert "Close 2025-Q3" in periods.text
    # Periods close in order: Q4 cannot be closed before Q3.
    early = await post_form(client, "/staff/periods/close", {"period": "2025-Q4"})
    assert 'data-code="EARLIER_PERIOD_OPEN"' in (await client.get(early.headers["location"])).text

    closed = await post_confirmed(client, "/staff/periods/close", {"period": "2025-Q3"})
    assert closed.status_code == 303
    page = await client.get(closed.headers["location"])
    assert "2025-Q3 is closed" in page.text
    assert "by desk-officer" in page.text
    assert "Close 2025-Q3" not in page.text

    async with db.read_session() as session:
        period = await session.get(Period, "2025-Q3")
        statement = await session.scalar(
            select(RoyaltyStatement).where(
                RoyaltyStatement.agreement_id == world.agreement_id,
                RoyaltyStatement.period == "2025-Q3",
            )
        )
    assert period.status == PeriodStatus.CLOSED and period.closed_by == "desk-officer"
    assert statement.royalty_earned_minor == 1550 and statement.net_sales_minor == 15500
    detail = await client.get(f"/staff/agreements/{world.agreement_code}")
    assert "frozen" in detail.text

    # The current period has not ended: the page offers no button and the service says no.
    current = await post_form(client, "/staff/periods/close", {"period": "2999-Q1"})
    assert 'data-code="PERIOD_NOT_ENDED"' in (await client.get(current.headers["location"])).text


async def test_the_audit_page_flags_missing_labels_and_cloned_codes(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    at = datetime(2025, 8, 1, 12, tzinfo=UTC)
    async with db.session() as session:
        tee = await session.get(Product, world.product_ids[0])
        await approve(session, tee)
        batch = await request_labels(
            session, product_id=tee.id, quantity=60, merchant_id=None, requested_by="s", now=at
        )
        _, _, codes = await batch_codes(session, batch.id, merchant_id=None)
        for _ in range(20):
            await verify_label(session, codes[0], now=at, network="198.51.100.0/24")
        await submit_sales_report(
            session,
            agreement_id=world.agreement_id,
            period="2025-Q3",
            lines=[ReportLineInput("ACME-TEE-1", "US", 3, 9000, 7500)],
            submitted_by="acme",
            merchant_id=world.merchant_id,
            now=now_utc(),
        )
    await staff_member(db)
    await sign_in(client)
    detail = await client.get(f"/staff/agreements/{world.agreement_code}")
    assert f"/staff/agreements/{world.agreement_code}/audit?period=2025-Q3" in detail.text

    page = await client.get(f"/staff/agreements/{world.agreement_code}/audit?period=2025-Q3")
    assert page.status_code == 200
    text = page.text
    # The tee: 60 labels - (4 storefront + 3 retail) - 11 in stock (10 today + 1 sold in Q4)
    # = 42 unaccounted for, beyond the tolerance of max(2% of 60, 10) = 10.
    row = text[text.index('<th scope="row">ACME-TEE-1</th>') :].split("</tr>")[0]
    for label, figure in (("Labels issued", 60), ("Storefront", 4), ("Reported retail", 3),
                          ("Stock on hand", 11), ("Gap", 42), ("Tolerance", 10)):  # fmt: skip
        assert f'data-label="{label}">{figure}</td>' in row, label
    assert "labels unaccounted for" in row
    assert 'data-flag="gap"' in text and 'data-flag="cloned"' in text
    assert "1 label verified like clones" in text
    assert display(codes[0]) in text  # grouped for reading aloud
    assert 'aria-label="What the figures mean"' in text and "Tolerance</dt>" in text

    bad = await client.get(f"/staff/agreements/{world.agreement_code}/audit?period=Q3")
    assert bad.status_code == 400 and 'data-code="INVALID_PERIOD"' in bad.text


async def test_the_dashboard_counts_what_waits(client: httpx.AsyncClient, db: Database) -> None:
    await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff")
    assert page.status_code == 200
    assert '<span class="figure">3</span> products awaiting review' in page.text
    assert '<span class="figure">1</span> active agreements' in page.text
    for path in ("/staff/approvals", "/staff/agreements", "/staff/periods", "/staff/reports"):
        assert f'{path}">' in page.text
    assert "to pay back" not in page.text


async def test_the_dashboard_lists_payments_taken_for_lapsed_orders(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Nothing paid is lost: a payment that arrived after its order expired is in plain view."""
    now = now_utc()
    async with db.session() as session:
        order = await make_order(session, now=now, number="T-LATE", status=OrderStatus.EXPIRED,
                                 total_minor=4200, payment_intent_id="pi_late")  # fmt: skip
        payment = Payment(
            order_id=order.id, intent_id="pi_late", amount_minor=4200, currency="USD",
            status="succeeded", last_error="Paid after the order expired. Refund it.",
        )  # fmt: skip
        session.add(payment)
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff")
    assert "1 payment to pay back." in page.text
    assert f"Order T-LATE: {usd(4200)} — Paid after the order expired. Refund it." in page.text


async def test_the_approvals_queue_costs_the_same_statements_for_more_products(
    client: httpx.AsyncClient, db: Database, query_counter
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    with query_counter() as few:
        await client.get("/staff/approvals")
    async with db.session() as session:
        for n in range(6):
            product = await make_product(
                session, world.agreement_id, world.film_ids[0], sku=f"ACME-MORE-{n}",
                name=f"More {n}", price_minor=1000, stock=0, stage=ApprovalStage.DRAFT,
            )  # fmt: skip
            await submit_product(session, product.id, merchant_id=world.merchant_id, now=now_utc())
    with query_counter() as many:
        page = await client.get("/staff/approvals")
    assert page.text.count("ACME-MORE-") == 6
    assert many.count == few.count


async def test_staff_sign_an_agreement_through_the_form(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    form = {
        "code": "LA-2026-0042",
        "merchant_id": str(world.merchant_id),
        "film_ids": [str(world.film_ids[1])],
        "categories": ["toys", "posters"],
        "channels": ["storefront", "bundle"],
        "territories": "fr, de",
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "sell_off_days": "90",
        "currency": "EUR",
        "rate_percent": "8",
        "bundle_rate_percent": "",
        "per_unit_min": "0.50",
        "tier_threshold": ["0", "1000.00", ""],
        "tier_rate": ["8", "12", ""],
        "advance": "2500.00",
        "minimum_guarantee": "10000.00",
        "status": "active",
    }
    new = await client.get("/staff/agreements/new")
    assert "Acme &lt;Merch&gt; &amp; Co" in new.text

    # A rule's refusal comes back on the form with what was typed.
    bad = await post_form(
        client,
        "/staff/agreements/new",
        {**form, "territories": "FR, XX"},
        page="/staff/agreements/new",
    )
    assert bad.status_code == 400
    assert 'data-code="INVALID_TERRITORY"' in bad.text
    assert 'value="LA-2026-0042"' in bad.text and 'value="toys" checked' in bad.text

    made = await post_form(client, "/staff/agreements/new", form, page="/staff/agreements/new")
    assert made.status_code == 303
    detail = await client.get(made.headers["location"])
    assert "Agreement LA-2026-0042 signed." in detail.text
    async with db.read_session() as session:
        from licensing.agreements import get_agreement_by_code

        agreement = await get_agreement_by_code(session, "LA-2026-0042")
    assert agreement.status == AgreementStatus.ACTIVE
    assert (agreement.currency, agreement.rate_bps, agreement.sell_off_days) == ("EUR", 800, 90)
    assert agreement.per_unit_min_minor == 50
    assert (agreement.advance_minor, agreement.minimum_guarantee_minor) == (250000, 1000000)
    assert [(t.threshold_minor, t.rate_bps) for t in agreement.tiers] == [(0, 800), (100000, 1200)]
    assert sorted(t.country for t in agreement.territories) == ["DE", "FR"]
    assert "€2,500.00" in detail.text

    again = await post_form(client, "/staff/agreements/new", form, page="/staff/agreements/new")
    assert again.status_code == 400 and 'data-code="DUPLICATE"' in again.text


async def test_a_periods_statements_page_and_its_csv_agree_before_and_after_closing(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    seen = []
    for step in ("open", "closed"):
        page = await client.get("/staff/periods/2025-Q3/statements")
        assert page.status_code == 200
        download = await client.get("/staff/periods/2025-Q3/statements.csv")
        (row,) = list(csv.DictReader(io.StringIO(download.text)))
        assert row["agreement"] == world.agreement_code
        assert row["licensee"] == "Acme <Merch> & Co"
        assert (row["net_sales"], row["royalty_earned"], row["royalty_payable"]) == (
            "155.00",
            "15.50",
            "0.00",
        )
        assert row["frozen"] == ("yes" if step == "closed" else "no")
        for key in ("net_sales", "royalty_earned", "cumulative_earned", "advance_recouped"):
            shown = format_money(parse_amount(row[key], row["currency"]), row["currency"])
            assert f'class="num">{shown}</td>' in page.text
        seen.append({k: v for k, v in row.items() if k != "frozen"})
        if step == "open":
            await post_confirmed(client, "/staff/periods/close", {"period": "2025-Q3"})
    assert seen[0] == seen[1]  # closing froze exactly the figures that were shown
    assert (await client.get("/staff/periods/2025-Q9/statements")).status_code == 404
