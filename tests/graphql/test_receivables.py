"""`receivables` and `recordRemittance` (SPEC §10): staff record money, every caller reads
the receivables of the agreements it may see, bad input is a UserError with nothing stored,
and a page of receivables costs the same statements for 2 agreements as for 12."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kernel.db import Database
from licensing.closing import close_period
from licensing.models import Agreement
from licensing.receivable_models import Remittance
from tests import factory as F
from tests.graphql.conftest import NOW, Gql, World, gid

RECORD = """mutation($input: RecordRemittanceInput!) { recordRemittance(input: $input) {
  remittance { amount { amount currency } receivedOn reference recordedBy }
  receivables { currency paid { amount } balance { amount } daysOverdue
    aging { current { amount } over90Days { amount } } }
  errors { field code message } } }"""
RECEIVABLES = """query($first: Int!) { receivables(first: $first) { totalCount
  nodes { agreement { code merchant { slug } } currency due { amount } paid { amount }
    balance { amount } credit { amount } daysOverdue missingReports
    aging { current { minorUnits } days1To30 { minorUnits } days31To60 { minorUnits }
            days61To90 { minorUnits } over90Days { minorUnits } }
    receivables { kind period dueOn amount { amount } paid { amount } balance { amount }
                  daysOverdue } } } }"""
YESTERDAY = (NOW - timedelta(days=1)).date().isoformat()


async def _owing(db: Database, world: World) -> None:
    """Both licensees owe an advance of 500.00 (due 2020-01-01); 2020-Q1 is closed."""
    async with db.session() as session:
        await session.execute(update(Agreement).values(advance_minor=50000))
        await close_period(session, "2020-Q1", now=NOW, closed_by="test")


def _input(world: World, **changes: object) -> dict:
    values = {"agreementId": gid("Agreement", world.a.agreement_id),
              "amount": {"amount": "200.00", "currency": "USD"},
              "receivedOn": YESTERDAY, "reference": "wire 77"}  # fmt: skip
    return {"input": {**values, **changes}}


async def test_staff_record_a_remittance_and_each_merchant_reads_its_own(
    gql: Gql, world: World, db: Database
) -> None:
    await _owing(db, world)
    result = (await gql.data(RECORD, _input(world), token=world.staff_token))["recordRemittance"]
    assert result["errors"] == []
    assert result["remittance"] == {"amount": {"amount": "200.00", "currency": "USD"},
                                    "receivedOn": YESTERDAY, "reference": "wire 77",
                                    "recordedBy": "staff:lena"}  # fmt: skip
    assert result["receivables"]["paid"] == {"amount": "200.00"}
    assert result["receivables"]["balance"] == {"amount": "300.00"}
    assert result["receivables"]["aging"] == {"current": {"amount": "0.00"},
                                              "over90Days": {"amount": "300.00"}}  # fmt: skip
    assert result["receivables"]["daysOverdue"] > 2000

    mine = (await gql.data(RECEIVABLES, {"first": 10}, token=world.a.token))["receivables"]
    assert mine["totalCount"] == 1
    [node] = mine["nodes"]
    assert node["agreement"] == {"code": "LA-2026-0001", "merchant": {"slug": "acme"}}
    assert (node["due"], node["paid"], node["balance"], node["credit"]) == (
        {"amount": "500.00"}, {"amount": "200.00"}, {"amount": "300.00"}, {"amount": "0.00"},
    )  # fmt: skip
    [advance] = node["receivables"]
    assert advance["kind"] == "ADVANCE" and advance["dueOn"] == "2020-01-01"
    assert node["aging"]["over90Days"] == {"minorUnits": 30000}
    assert node["missingReports"] == ["2020-Q1"]  # closed, and no retail report came

    theirs = (await gql.data(RECEIVABLES, {"first": 10}, token=world.b.token))["receivables"]
    assert [n["agreement"]["code"] for n in theirs["nodes"]] == ["LA-2026-0002"]
    assert theirs["nodes"][0]["balance"] == {"amount": "500.00"}
    everyone = await gql.data(RECEIVABLES, {"first": 10}, token=world.staff_token)
    assert everyone["receivables"]["totalCount"] == 2


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"agreementId": gid("Agreement", 99999)}, [("agreementId", "NOT_FOUND")]),
        ({"agreementId": "not-an-id"}, [("agreementId", "NOT_FOUND")]),
        ({"agreementId": "not-an-id\u0000"}, "BAD_USER_INPUT"),
        ({"amount": {"amount": "200.00", "currency": "EUR"}},
         [("amount.currency", "CURRENCY_MISMATCH")]),
        ({"amount": {"amount": "-1.00", "currency": "USD"}}, [("amount.amount", "INVALID_AMOUNT")]),
        ({"amount": {"amount": "0", "currency": "USD"}}, [("amount.amount", "INVALID_AMOUNT")]),
        ({"amount": {"amount": "1e3", "currency": "USD"}}, [("amount.amount", "INVALID_AMOUNT")]),
        ({"receivedOn": "2999-01-01"}, [("receivedOn", "INVALID")]),
        ({"reference": "a\u0000b"}, "BAD_USER_INPUT"),
        ({"reference": "a\u0007b"}, "BAD_USER_INPUT"),
        ({"reference": "r" * 5000}, [("reference", "INVALID_INPUT")]),
    ],
)  # fmt: skip
async def test_bad_remittances_are_user_errors_and_store_nothing(
    gql: Gql, world: World, db: Database, changes: dict, refused: list
) -> None:
    body = await gql(RECORD, _input(world, **changes), token=world.staff_token)
    if isinstance(refused, str):  # control characters are refused before the mutation runs
        assert [e["extensions"]["code"] for e in body["errors"]] == [refused]
    else:
        assert "errors" not in body, body
        result = body["data"]["recordRemittance"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == refused
        assert all(e["message"] for e in result["errors"])
        assert result["remittance"] is None
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Remittance)) == 0


async def test_a_merchant_token_cannot_record_a_remittance(gql: Gql, world: World) -> None:
    body = await gql(RECORD, _input(world), token=world.a.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None or body["data"]["recordRemittance"] is None


async def test_a_page_of_receivables_costs_the_same_statements_for_more_agreements(
    gql: Gql, world: World, db: Database, query_counter
) -> None:
    await _owing(db, world)
    await gql.data(RECORD, _input(world), token=world.staff_token)
    counts = []
    for extra in (0, 10):
        async with db.session() as session:
            merchant = await F.make_merchant(session)
            film = await F.make_film(session)
            for _ in range(extra):
                agreement = await F.make_agreement(
                    session, merchant_id=merchant.id, film_ids=[film.id], advance_minor=100
                )
                session.add(Remittance(agreement_id=agreement.id, amount_minor=40, currency="USD",
                                       received_on=NOW.date(), reference="", recorded_by="t",
                                       created_at=NOW))  # fmt: skip
        with query_counter() as counter:
            body = await gql.data(RECEIVABLES, {"first": 100}, token=world.staff_token)
        counts.append(counter.count)
        assert len(body["receivables"]["nodes"]) == 2 + extra
    assert counts[0] == counts[1], counts
