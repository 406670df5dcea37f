"""The staff receivables page (SPEC §10): per agreement and in total, due, paid, balance, days
overdue and aging; a remittance recorded through its form moves the balance and the aging;
refusals are words; the CSV holds the page's rows; missing reports are listed; and the page
runs the same number of SQL statements for 1 agreement as for 11."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from kernel.config import Settings
from kernel.db import Database
from licensing.closing import close_period
from licensing.receivable_models import Remittance
from tests import factory as F
from tests.factory import StaffWorld, staff_world
from tests.prices import usd
from tests.storefront.console import csrf, staff_console
from tests.storefront.test_staff_reports import _csv_as_displayed, _tables

TODAY = datetime(2026, 3, 1, 9, tzinfo=UTC)
MONEY = {"due", "paid", "balance", "credit", "aging_current", "aging_1_30", "aging_31_60",
         "aging_61_90", "aging_90_plus"}  # fmt: skip


@pytest.fixture
async def world(db: Database) -> StaffWorld:
    """Licensee LA-2025-0001 owes its 100.00 advance (due 2025-07-01; its royalty so far is
    recouped by the advance); 2025-Q3 and Q4 are closed without a retail report."""
    found = await staff_world(db)
    async with db.session() as session:
        await close_period(session, "2025-Q3", now=TODAY, closed_by="ana")
        await close_period(session, "2025-Q4", now=TODAY, closed_by="ana")
    return found


@pytest.fixture
async def staff(
    settings: Settings, db: Database, world: StaffWorld
) -> AsyncIterator[httpx.AsyncClient]:
    """Staff signed in on an app whose clock stands at 2026-03-01."""
    async with staff_console(settings, db, clock=TODAY) as client:
        yield client


def _row(table: list[list[str]], first: str) -> dict[str, str]:
    header = table[0]
    [row] = [r for r in table[1:] if r[0] == first]
    return dict(zip(header, row, strict=True))


async def _record(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = await csrf(client, "/staff/receivables")
    return await client.post("/staff/receivables/remittances", data={"csrf_token": token, **fields})


async def test_a_partial_remittance_moves_the_balance_and_the_aging(
    staff: httpx.AsyncClient, world: StaffWorld
) -> None:
    page = await staff.get("/staff/receivables")
    assert page.status_code == 200
    assert 'href="/staff/receivables"' in page.text  # in the staff navigation
    table = _tables(page.text)["receivables-table"]
    row = _row(table, "LA-2025-0001")
    assert (row["Due"], row["Paid"], row["Balance"], row["Days overdue"]) == (
        usd(10000), usd(0), usd(10000), "243",
    )  # fmt: skip
    assert row["90+ days"] == usd(10000) and row["Missing reports"] == "2"
    missing = _tables(page.text)["missing-table"]
    assert [r[:2] for r in missing[1:]] == [["LA-2025-0001", "2025-Q3"],
                                            ["LA-2025-0001", "2025-Q4"]]  # fmt: skip

    # when staff record 40.00 received on 20 Feb
    agreement_id = str(world.agreement_id)
    done = await _record(staff, agreement_id=agreement_id, amount="40.00", currency="USD",
                         received_on="2026-02-20", reference="wire 1")  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/staff/receivables"
    page = await staff.get("/staff/receivables")
    assert f"Recorded {usd(4000)} received on 2026-02-20." in page.text
    tables = _tables(page.text)
    row = _row(tables["receivables-table"], "LA-2025-0001")
    assert (row["Paid"], row["Balance"], row["90+ days"]) == (usd(4000), usd(6000), usd(6000))
    total = _row(tables["receivables-table"], "Total USD")
    assert (total["Due"], total["Paid"], total["Balance"]) == (usd(10000), usd(4000), usd(6000))

    # and the CSV holds exactly the page's rows
    download = await staff.get("/staff/receivables.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    header, rows = _csv_as_displayed(download.text, MONEY)
    assert rows == tables["receivables-table"][1:]
    assert header[:4] == ["agreement", "licensee", "currency", "due"]
    by_code = {r["agreement"]: r for r in csv.DictReader(io.StringIO(download.text))}
    assert by_code["LA-2025-0001"]["balance"] == "60.00"
    assert by_code["Total USD"]["aging_90_plus"] == "60.00"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"amount": "-3.00"}, "Give an amount above zero."),
        ({"currency": "EUR"}, "is paid in USD, not EUR"),
        ({"received_on": "2026-03-02"}, "Money cannot be received in the future."),
        ({"received_on": "yesterday"}, "is not a date like 2026-07-31"),
        ({"agreement_id": "99999"}, "No such agreement."),
        ({"agreement_id": "\uff11"}, "Write a whole number"),
        ({"amount": "1,000.00"}, "is not an amount like 12.34"),
        ({"amount": "0"}, "Give an amount above zero."),
        ({"amount": "0.00"}, "Give an amount above zero."),
        ({"amount": "9" * 40}, "is not an amount like 12.34"),
        ({"currency": "XYZ"}, "Unknown currency"),
        ({"agreement_id": ""}, "Write a whole number"),
        ({"agreement_id": "-1"}, "Write a whole number of 0 or more."),
        ({"agreement_id": "9" * 30}, "Write a whole number"),
    ],
)
async def test_a_refused_remittance_says_why_in_words_and_stores_nothing(
    staff: httpx.AsyncClient, db: Database, world: StaffWorld, fields: dict, words: str
) -> None:
    agreement_id = str(world.agreement_id)
    values = {"agreement_id": agreement_id, "amount": "10.00", "currency": "USD",
              "received_on": "2026-02-20", "reference": "", **fields}  # fmt: skip
    answer = await _record(staff, **values)
    assert answer.status_code == 400
    assert words in answer.text
    assert "CURRENCY_MISMATCH</" not in answer.text and "INVALID_AMOUNT</" not in answer.text
    assert 'aria-invalid="true"' in answer.text
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 0


@pytest.mark.parametrize("fields", [{"amount": "1\u0000"}, {"currency": "usd\u0000"},
                                    {"reference": "wire\u0000"}])  # fmt: skip
async def test_a_remittance_with_a_nul_byte_is_a_400_and_stores_nothing(
    staff: httpx.AsyncClient, db: Database, world: StaffWorld, fields: dict
) -> None:
    values = {"agreement_id": str(world.agreement_id), "amount": "10.00", "currency": "USD",
              "received_on": "2026-02-20", "reference": "", **fields}  # fmt: skip
    answer = await _record(staff, **values)
    assert answer.status_code == 400 and "control characters" in answer.text
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 0


async def test_a_remittance_without_the_csrf_token_is_refused(
    staff: httpx.AsyncClient, db: Database
) -> None:
    answer = await staff.post("/staff/receivables/remittances",
                              data={"agreement_id": "1", "amount": "1.00", "currency": "USD",
                                    "received_on": "2026-02-20"})  # fmt: skip
    assert answer.status_code == 403
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 0


async def test_the_page_runs_as_many_statements_for_eleven_agreements_as_for_one(
    staff: httpx.AsyncClient, db: Database, query_counter
) -> None:
    counts = []
    for extra in (0, 10):
        async with db.session() as session:
            merchant = await F.make_merchant(session)
            film = await F.make_film(session)
            for _ in range(extra):
                await F.make_agreement(session, merchant_id=merchant.id, film_ids=[film.id],
                                       advance_minor=500)  # fmt: skip
        with query_counter() as counter:
            page = await staff.get("/staff/receivables")
        counts.append(counter.count)
        assert len(_tables(page.text)["receivables-table"]) == 1 + 1 + extra + 1
    assert counts[0] == counts[1], counts
