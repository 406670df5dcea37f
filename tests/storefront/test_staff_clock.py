"""The staff pages read the request's clock (`app.state.clock`), as the shop does, so a test
can fix it: what a page shows and what a form records come from that one moment (issue 10)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from kernel.config import Settings
from kernel.db import Database
from licensing.models import Period, PeriodStatus, StaffSession
from tests.factory import staff_member
from tests.storefront.console import post_confirmed, sign_in
from tiein.app import create_app

FIXED = datetime(2031, 5, 10, 12, 30, tzinfo=UTC)  # in 2031-Q2, years from the wall clock


@pytest.fixture
async def staff(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in staff browser on an app whose clock stands still at FIXED."""
    app = create_app(settings, database=db)
    app.state.clock = lambda: FIXED
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await staff_member(db)
        await sign_in(client)
        yield client


async def test_the_periods_page_and_closing_a_period_follow_the_fixed_clock(
    staff: httpx.AsyncClient, db: Database
) -> None:
    page = await staff.get("/staff/periods")

    assert page.status_code == 200
    assert "The current period is 2031-Q2." in page.text
    assert "Close 2031-Q1" in page.text  # the previous period has ended by then
    assert "Close 2031-Q2" not in page.text  # the current one has not
    assert "2026-Q" not in page.text  # nothing from the wall clock's year

    closed = await post_confirmed(
        staff, "/staff/periods/close", {"period": "2031-Q1"}, page="/staff/periods"
    )
    shown = await staff.get(closed.headers["location"])

    assert "2031-Q1 is closed" in shown.text
    assert "2031-05-10 12:30 UTC by desk-officer" in shown.text
    async with db.read_session() as session:
        period = await session.scalar(select(Period).where(Period.name == "2031-Q1"))
        signed_in = await session.scalar(select(StaffSession.created_at))
    assert period is not None and period.status == PeriodStatus.CLOSED
    assert period.closed_at is not None and period.closed_at.replace(tzinfo=UTC) == FIXED
    assert signed_in is not None and signed_in.replace(tzinfo=UTC) == FIXED  # sign-in, too


async def test_report_downloads_are_named_and_dated_by_the_fixed_clock(
    staff: httpx.AsyncClient,
) -> None:
    pace = await staff.get("/staff/reports/mg-pace.csv")
    films = await staff.get("/staff/reports/film-commerce.csv")

    assert pace.status_code == 200 and films.status_code == 200
    assert 'filename="mg-pace-2031-05-10.csv"' in pace.headers["content-disposition"]
    assert 'filename="film-commerce-2031-Q2.csv"' in films.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(pace.text)))  # a header row, at least
