"""The staff dashboard (issue 13): what a licensing manager opens it for — royalties this
period against the last by film, payable and collected, overdue receivables and reports
(linked), products waiting for approval (oldest first, for how long), agreements at risk of
an MG shortfall — each figure explained where shown, tables that reflow, and the same number
of SQL statements for 1 agreement as for 6."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest

from catalog.models import ApprovalStage
from kernel.config import Settings
from kernel.db import Database
from licensing.approvals import submit_product
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from licensing.remittances import record_remittance
from tests import factory as F
from tests.conftest import count_queries
from tests.factory import StaffWorld, staff_world
from tests.storefront.console import staff_console
from tests.storefront.test_staff_reports import _tables

TODAY = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
async def world(db: Database) -> StaffWorld:
    """staff_world (LA-2025-0001: advance 100.00, MG 5,000.00, sales in 2025-Q3 and Q4),
    Q3 and Q4 closed without retail reports, one more sale in 2026-Q1, 30.00 remitted."""
    found = await staff_world(db)
    async with db.session() as session:
        await close_period(session, "2025-Q3", now=TODAY, closed_by="ana")
        await close_period(session, "2025-Q4", now=TODAY, closed_by="ana")
        at = datetime(2026, 2, 10, tzinfo=UTC)
        line = SaleLine("q1:1", found.product_ids[2], 1, 3000, Channel.STOREFRONT, "GB", at)
        await post_sales(session, [line], now=at)
        await record_remittance(session, found.agreement_id, amount="30.00", currency="USD",
                                received_on="2026-02-01", reference="w", by="ana",
                                now=TODAY)  # fmt: skip
    return found


@pytest.fixture
async def staff(
    settings: Settings, db: Database, world: StaffWorld
) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_console(settings, db, clock=TODAY) as client:
        yield client


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]


async def test_the_dashboard_shows_what_a_licensing_manager_opens_it_for(
    staff: httpx.AsyncClient, world: StaffWorld
) -> None:
    page = await staff.get("/staff")
    assert page.status_code == 200
    tables = _tables(page.text)
    # Royalties by film: Dust & Gold earned 3.00 this quarter (none last), Night Train
    # 2.50 last quarter (one 25.00 sale in November)
    royalties = {r["Film"]: r for r in _rows(tables["desk-royalties-table"])}
    assert (royalties["Dust & Gold"]["This period"], royalties["Dust & Gold"]["Last period"]) == (
        "$3.00", "$0.00",
    )  # fmt: skip
    assert royalties["Night Train"]["Last period"] == "$2.50"
    assert royalties["Night Train"]["Change"] == "-$2.50"
    assert "Royalties 2026-Q1 against 2025-Q4" in page.text
    # Payable and collected: the 100.00 advance is due, 30.00 collected, 70.00 open, overdue
    [money] = _rows(tables["desk-money-table"])
    assert (money["Payable to date"], money["Collected"], money["Open"], money["Overdue"]) == (
        "$100.00", "$30.00", "$70.00", "$70.00",
    )  # fmt: skip
    # Overdue receivables and reports, counted and linked
    assert 'id="desk-overdue-receivables" href="/staff/receivables"' in page.text
    assert '<span class="figure">1</span> agreement with an overdue receivable' in page.text
    assert 'id="desk-overdue-reports" href="/staff/receivables#missing-h"' in page.text
    assert '<span class="figure">2</span> missing sales reports' in page.text
    # Products waiting, oldest first, with how long (submitted 2025-08-01)
    waiting = _rows(tables["desk-waiting-table"])
    assert len(waiting) == 3 and {w["Days waiting"] for w in waiting} == {"211"}
    assert {w["Submitted"] for w in waiting} == {"2025-08-01"}
    assert all(w["Stage"] == "concept submitted" for w in waiting)
    # At risk of an MG shortfall: far from 5,000.00
    [risk] = _rows(tables["desk-risk-table"])
    assert risk["Agreement"] == "LA-2025-0001" and risk["Minimum guarantee"] == "$5,000.00"
    assert risk["Projected shortfall"].startswith("$4,")
    # Each figure is explained where shown, and every table reflows on a phone
    for ident in ("desk-royalties", "desk-money", "desk-waiting", "desk-risk"):
        assert f'id="{ident}-notes"' in page.text
        assert f'<table id="{ident}-table" class="report-table reflow"' in page.text
    assert 'data-label="Days waiting"' in page.text


async def test_the_oldest_submission_waits_first(
    staff: httpx.AsyncClient, db: Database, world: StaffWorld
) -> None:
    async with db.session() as session:
        film = await F.make_film(session)
        agreement = await F.make_agreement(
            session, merchant_id=world.merchant_id, film_ids=[film.id], start_date=date(2025, 1, 1)
        )
        product = await F.make_product(session, agreement, film.id, sku="OLD-1", name="Old mug",
                                       stage=ApprovalStage.DRAFT)  # fmt: skip
        await submit_product(session, product.id, merchant_id=world.merchant_id, comment="",
                             now=datetime(2025, 5, 1, tzinfo=UTC))  # fmt: skip
    page = await staff.get("/staff")
    waiting = _rows(_tables(page.text)["desk-waiting-table"])
    assert waiting[0]["Product"] == "Old mug (OLD-1)" and waiting[0]["Days waiting"] == "304"
    assert len(waiting) == 4


async def _more(db: Database, n: int) -> None:
    """n more licensees, each with a film, an MG agreement, a waiting product, sales in both
    periods, and a remittance."""
    async with db.session() as session:
        for _ in range(n):
            film = await F.make_film(session)
            merchant = await F.make_merchant(session)
            agreement = await F.make_agreement(
                session, merchant_id=merchant.id, film_ids=[film.id], start_date=date(2025, 7, 1),
                end_date=date(2026, 6, 30), advance_minor=500, minimum_guarantee_minor=900_000,
            )  # fmt: skip
            product = await F.make_product(session, agreement, film.id, stage=ApprovalStage.DRAFT)
            await submit_product(session, product.id, merchant_id=merchant.id, comment="",
                                 now=datetime(2025, 9, 1, tzinfo=UTC))  # fmt: skip
            for when in (datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)):
                line = SaleLine(f"m:{product.id}:{when.month}", product.id, 1, 4000,
                                Channel.STOREFRONT, "US", when)  # fmt: skip
                await post_sales(session, [line], now=when)
            await record_remittance(session, agreement.id, amount=100, currency="USD",
                                    received_on="2026-01-02", reference="", by="ana",
                                    now=TODAY)  # fmt: skip


async def test_the_dashboard_costs_the_same_statements_for_more_agreements_and_films(
    staff: httpx.AsyncClient, db: Database
) -> None:
    counts = []
    for extra in (0, 5):
        await _more(db, extra)
        with count_queries(db) as counter:
            page = await staff.get("/staff")
        assert page.status_code == 200
        rows = len(_tables(page.text)["desk-risk-table"]) - 1
        counts.append((counter.count, rows))
    assert counts[1][1] == counts[0][1] + 5  # the figures grew...
    assert counts[0][0] == counts[1][0]  # ...the statements did not
