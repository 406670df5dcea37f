"""Statement documents in the console (SPEC §10): staff download an agreement's statement as
a PDF from the agreement page and the period page; without WeasyPrint's libraries the answer
is a 503 page naming them, never a 500."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest

from kernel.config import Settings
from kernel.db import Database
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from tests import factory as F
from tests.factory import staff_member
from tests.prices import usd
from tests.reports.test_statement_document import pdf_text
from tests.storefront.console import sign_in
from tiein.app import create_app

TODAY = datetime(2026, 2, 15, 9, tzinfo=UTC)


def app_client(settings: Settings, db: Database) -> httpx.AsyncClient:
    app = create_app(settings, database=db)
    app.state.clock = lambda: TODAY
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def staff(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, db) as client:
        await staff_member(db)
        await sign_in(client)
        yield client


async def sold(db: Database) -> str:
    async with db.session() as s:
        agreement, product = await F.licensing_world(s)
        when = F.at("2026-02-01T10:00")
        await post_sales(
            s, [SaleLine("o:1", product.id, 2, 5000, Channel.STOREFRONT, "US", when)], now=when
        )
        return agreement.code


async def test_staff_download_the_statement_pdf_linked_from_the_agreement_and_period_pages(
    staff: httpx.AsyncClient, db: Database
) -> None:
    code = await sold(db)
    agreement_page = await staff.get(f"/staff/agreements/{code}")
    link = f"/staff/agreements/{code}/statements/2026-Q1.pdf"
    assert f'href="{link}"' in agreement_page.text
    period_page = await staff.get("/staff/periods/2026-Q1/statements")
    assert f'href="{link}"' in period_page.text

    response = await staff.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"statement-{code}-2026-Q1.pdf" in response.headers["content-disposition"]
    assert "no-store" in response.headers["cache-control"]
    text = pdf_text(response.content)
    assert code in text and "PROVISIONAL" in text and usd(5000) in text


async def test_unknown_agreements_and_periods_are_not_found(
    staff: httpx.AsyncClient, db: Database
) -> None:
    code = await sold(db)
    for path in (
        "/staff/agreements/LA-0000-9999/statements/2026-Q1.pdf",
        f"/staff/agreements/{code}/statements/2026-Q9.pdf",
        f"/staff/agreements/{code}/statements/%00.pdf",
    ):
        response = await staff.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)


async def test_signed_out_visitors_get_no_statement(settings: Settings, db: Database) -> None:
    code = await sold(db)
    async with app_client(settings, db) as anonymous:
        response = await anonymous.get(f"/staff/agreements/{code}/statements/2026-Q1.pdf")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")


async def test_without_weasyprint_the_console_answers_503_naming_what_to_install(
    staff: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await sold(db)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    response = await staff.get(f"/staff/agreements/{code}/statements/2026-Q1.pdf")
    assert response.status_code == 503
    assert "text/html" in response.headers["content-type"]
    for package in ("weasyprint", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-cjk"):
        assert package in response.text
    assert re.search(r"cannot be made on this server", response.text)


async def test_the_agreement_page_shows_the_day_an_active_agreement_expires(
    staff: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as s:
        agreement, _ = await F.licensing_world(s, end_date=date(2026, 6, 30), sell_off_days=10)
    page = await staff.get(f"/staff/agreements/{agreement.code}")
    assert re.search(r'id="expires-on">2026-07-11: it becomes expired by itself', page.text)
    assert "last selling day, 2026-07-10" in page.text
