"""Royalty operations, end to end (issue 13, "Done means"), on both databases:

staff close a period in the console and download its statement PDF, whose figures match the
statement; a partial remittance recorded through the console form moves the balance and the
aging on /staff/receivables and in the PDF (the console's and the API's); the merchant issues
a label batch through `requestLabels`, shoppers verify some codes, the console lists the
batch, and the label audit flags the licensee whose reported units fall short of its labels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest

from catalog.models import ApprovalStage
from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.money import format_money
from kernel.periods import period_of
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from licensing.sales_reports import ReportLineInput, submit_sales_report
from licensing.statements import compute_statement
from tests import factory as F
from tests.graphql.conftest import gid
from tests.reports.test_statement_document import figure_line, pdf_text
from tests.storefront.console import confirm, csrf, post_form, staff_console
from tests.storefront.test_staff_reports import _tables

TODAY = datetime(2026, 5, 15, 9, tzinfo=UTC)  # the console's clock
REQUEST = """mutation($input: RequestLabelsInput!) { requestLabels(input: $input) {
  labelBatch { id quantity csvUrl } errors { field code message } } }"""


def usd(minor: int) -> str:
    return format_money(minor, "USD")


@dataclass
class Story:
    agreement_id: int
    code: str
    product_gid: str
    merchant_slug: str
    merchant_token: str
    staff_token: str


@pytest.fixture
async def story(db: Database) -> Story:
    """Acme licenses one film (10 %, no advance) for 2026; its tee (stock 10) sold 20 units on
    the storefront in 2026-Q1 (net 2,000.00) and Acme reported 30 retail units."""
    async with db.session() as s:
        merchant = await F.make_merchant(s, slug="acme-tees", name="Acme Tees")
        film = await F.make_film(s, title="Night Train")
        agreement = await F.make_agreement(
            s, merchant_id=merchant.id, film_ids=[film.id], code="LA-2026-0042",
            start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
        )  # fmt: skip
        tee = await F.make_product(s, agreement, film.id, sku="ACME-TEE", name="Night tee",
                                   stock=10, stage=ApprovalStage.APPROVED)  # fmt: skip
        at = F.at("2026-02-01T10:00")
        await post_sales(
            s, [SaleLine("o:1", tee.id, 20, 200_000, Channel.STOREFRONT, "US", at)], now=at
        )
        await submit_sales_report(
            s, agreement_id=agreement.id, period="2026-Q1",
            lines=[ReportLineInput(tee.sku, "US", 30, 60_000, 50_000)],
            submitted_by="merchant:acme", merchant_id=merchant.id, now=F.at("2026-03-30T00:00"),
        )  # fmt: skip
        _, merchant_token = await F.make_api_token(s, merchant=merchant)
        user = await F.make_staff_user(s, username="api-desk")
        _, staff_token = await F.make_api_token(s, staff_user=user)
    return Story(agreement.id, agreement.code, gid("Product", tee.id), "acme-tees",
                 merchant_token, staff_token)  # fmt: skip


@pytest.fixture
async def staff(settings: Settings, db: Database, story: Story) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_console(settings, db, clock=TODAY) as client:
        yield client


def _row(table: list[list[str]], first: str) -> dict[str, str]:
    [row] = [r for r in table[1:] if r[0] == first]
    return dict(zip(table[0], row, strict=True))


async def test_royalty_operations_from_closing_to_the_label_audit(
    staff: httpx.AsyncClient, db: Database, story: Story
) -> None:
    # Given 2026-Q1 closed through the console (asked, then confirmed)
    asked = await post_form(staff, "/staff/periods/close", {"period": "2026-Q1"})
    done = await confirm(staff, asked)
    assert "2026-Q1 is closed" in (await staff.get(done.headers["location"])).text

    # When staff download its statement PDF from the console
    pdf_path = f"/staff/agreements/{story.code}/statements/2026-Q1.pdf"
    response = await staff.get(pdf_path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    # Then its figures are the frozen statement's: 50 units, 2,500.00 net, 250.00 payable
    async with db.read_session() as s:
        figures = await compute_statement(s, story.agreement_id, "2026-Q1")
    assert figures.frozen and (figures.units, figures.net_sales_minor) == (50, 250_000)
    assert figures.royalty_payable_minor == 25_000
    assert "PROVISIONAL" not in text
    for label, value in {
        "Units sold, net of refunds": str(figures.units),
        "Net sales": usd(figures.net_sales_minor),
        "Royalty earned in the period": usd(figures.royalty_earned_minor),
        "Royalty payable for the period": usd(figures.royalty_payable_minor),
    }.items():
        assert figure_line(text, label).endswith(value), label
    # and its receivable: due 30 April, unpaid, 15 days overdue on 15 May
    assert "Royalty payable 2026-Q1, due 2026-04-30" in text
    assert figure_line(text, "Paid").endswith(usd(0))
    assert figure_line(text, "Balance (15 days overdue)").endswith(usd(25_000))

    # and /staff/receivables shows the same balance, all in the 1-30 days bucket
    row = _row(_tables((await staff.get("/staff/receivables")).text)["receivables-table"],
               story.code)  # fmt: skip
    assert (row["Balance"], row["1\u201330 days"], row["Current"]) == (
        usd(25_000), usd(25_000), usd(0),
    )  # fmt: skip

    # When staff record a partial remittance of 100.00 through the console form
    token = await csrf(staff, "/staff/receivables")
    recorded = await staff.post("/staff/receivables/remittances", data={
        "csrf_token": token, "agreement_id": str(story.agreement_id), "amount": "100.00",
        "currency": "USD", "received_on": "2026-05-10", "reference": "wire 7",
    })  # fmt: skip
    assert recorded.status_code == 303
    # Then the balance and the aging move on the receivables page
    page = await staff.get("/staff/receivables")
    assert "Recorded $100.00 received on 2026-05-10." in page.text
    row = _row(_tables(page.text)["receivables-table"], story.code)
    assert (row["Paid"], row["Balance"], row["1\u201330 days"]) == (
        usd(10_000), usd(15_000), usd(15_000),
    )  # fmt: skip
    # and in the console's PDF
    text = pdf_text((await staff.get(pdf_path)).content)
    assert figure_line(text, "Paid").endswith(usd(10_000))
    assert figure_line(text, "Balance (15 days overdue)").endswith(usd(15_000))
    # and in the merchant's own PDF through the API (as of the real day)
    api = await staff.get(
        f"/api/statements/{story.code}/2026-Q1.pdf",
        headers={"Authorization": f"Bearer {story.merchant_token}"},
    )
    assert api.status_code == 200
    api_text = pdf_text(api.content)
    assert figure_line(api_text, "Paid").endswith(usd(10_000))
    assert "Balance" in api_text and usd(15_000) in api_text

    # When the merchant issues a label batch of 200 through GraphQL
    body = (
        await staff.post(
            "/graphql",
            json={"query": REQUEST,
                  "variables": {"input": {"productId": story.product_gid, "quantity": 200}}},
            headers={"Authorization": f"Bearer {story.merchant_token}"},
        )
    ).json()  # fmt: skip
    assert body["data"]["requestLabels"]["errors"] == [], body
    batch = body["data"]["requestLabels"]["labelBatch"]
    assert batch["quantity"] == 200
    # Then the console lists it, linked from the merchant page, with its CSV
    merchant_page = await staff.get(f"/staff/merchants/{story.merchant_slug}")
    assert 'href="/staff/labels?merchant=acme-tees"' in merchant_page.text
    listing = await staff.get("/staff/labels?merchant=acme-tees")
    [listed] = _tables(listing.text)["label-batches-table"][1:]
    assert listed[1:5] == ["Acme Tees", story.code, "Night tee (ACME-TEE)", "200"]
    csv_link = [part for part in listing.text.split('"') if part.startswith("/labels/batches/")]
    assert len(csv_link) == 1
    codes_csv = await staff.get(csv_link[0])
    assert codes_csv.status_code == 200
    codes = [line.split(",")[0] for line in codes_csv.text.splitlines()[1:]]
    assert len(codes) == 200

    # and shoppers verify some codes, typed any way
    for code in codes[:3]:
        checked = await staff.get("/verify/" + code.lower().replace("-", " "))
        assert checked.status_code == 200 and "Genuine label, licensed product" in checked.text
    assert "Not an official code" in (await staff.get("/verify/NOT-A-CODE")).text

    # Then the audit of the period the labels were issued in flags the licensee: 200 labels,
    # 50 units sold (20 storefront + 30 reported), 10 in stock: 140 labelled units unaccounted
    period = period_of(now_utc())
    audit = await staff.get(f"/staff/agreements/{story.code}/audit?period={period}")
    assert audit.status_code == 200
    assert 'href="/staff/labels?agreement=LA-2026-0042"' in audit.text
    assert "<strong>200</strong> labels" in audit.text
    assert "50 units were sold and 10 are in stock, a gap of <strong>140</strong>" in audit.text
    assert 'data-flag="gap"' in audit.text
