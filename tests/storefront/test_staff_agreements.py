"""The staff agreement page reads its statements in a constant number of SQL statements,
whatever the number of periods it shows (issue 10: no statement per period)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest

from kernel.config import Settings
from kernel.db import Database
from licensing.closing import close_period
from licensing.ledger import post_sales
from tests import factory as F
from tests.reports.test_agreements import sale
from tests.storefront.console import staff_console

TODAY = datetime(2034, 1, 15, 9, tzinfo=UTC)


@pytest.fixture
async def staff(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    # a fixed clock: the sign-in's use stays fresh, no write per page
    async with staff_console(settings, db, clock=TODAY) as client:
        yield client


async def test_a_ten_year_agreement_page_runs_as_many_statements_as_a_one_year_one(
    staff: httpx.AsyncClient, db: Database, query_counter
) -> None:
    async with db.session() as session:
        short, short_product = await F.licensing_world(session, end_date=date(2026, 12, 31))
        long, long_product = await F.licensing_world(session, end_date=date(2035, 12, 31))
        lines = [sale("s:1", short_product, 1, 1000, "2026-02-01T10:00")] + [
            sale(f"l:{year}", long_product, 1, 1000, f"{year}-02-01T10:00")
            for year in range(2026, 2034)
        ]
        await post_sales(session, lines, now=F.at("2026-02-01T10:00"))
        await close_period(session, "2026-Q1", now=F.at("2026-04-01"), closed_by="ana")

    counts = []
    for agreement in (short, long):
        with query_counter() as counted:
            page = await staff.get(f"/staff/agreements/{agreement.code}")
        assert page.status_code == 200
        counts.append(counted.count)

    assert page.text.count('<th scope="row">20') == 33  # 2026-Q1 to 2034-Q1, one row each
    assert "2034-Q1" in page.text and "2034-Q2" not in page.text  # up to the request's today
    assert counts[0] == counts[1]
