"""Remittances against agreements and the receivables they pay (SPEC §10), on both databases:
a closed period's payable falls due, a partial remittance moves balance and aging; bad input
is refused field by field and nothing is stored; loading stays at three statements."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kernel.errors import DomainError, DomainErrors
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_sales
from licensing.models import AgreementStatus, Channel
from licensing.receivable_models import Remittance
from licensing.receivables import Aging, ReceivableKind
from licensing.remittances import load_receivables, record_remittance
from tests import factory as F

NOW = F.at("2026-05-15T12:00")


async def _world(session, **terms):  # type: ignore[no-untyped-def]
    """An agreement with a 100.00 advance, 300.00 of royalty sold in 2026-Q1 (10 % of
    3,000.00), Q1 closed: a payable of 200.00 due 2026-04-30."""
    agreement, product = await F.licensing_world(session, advance_minor=10000, **terms)
    sold = F.at("2026-02-01T00:00")
    line = SaleLine("o:1", product.id, 3, 300000, Channel.STOREFRONT, "US", sold)
    await post_sales(session, [line], now=F.at("2026-02-01T00:00"))
    await close_period(session, "2026-Q1", now=F.at("2026-04-02T00:00"), closed_by="test")
    return agreement


async def test_a_partial_remittance_pays_the_advance_then_part_of_the_payable(db) -> None:
    async with db.session() as session:
        agreement = await _world(session)
    async with db.read_session() as session:
        [before] = await load_receivables(session, today=NOW.date())
    advance, royalty = before.ledger.receivables
    assert (advance.kind, advance.amount_minor, advance.days_overdue) == (
        ReceivableKind.ADVANCE, 10000, 134,
    )  # fmt: skip
    assert (royalty.period, royalty.amount_minor, royalty.due_on, royalty.days_overdue) == (
        "2026-Q1", 20000, date(2026, 4, 30), 15,
    )  # fmt: skip
    assert before.ledger.aging == Aging(days_1_30=20000, over_90=10000)

    # when staff record 150.00 received on 10 May
    async with db.session() as session:
        remittance = await record_remittance(
            session, agreement.id, amount="150.00", currency="usd", received_on="2026-05-10",
            reference="  wire 8812 ", by="staff:desk", now=NOW,
        )  # fmt: skip
    assert (remittance.amount_minor, remittance.currency, remittance.reference) == (
        15000, "USD", "wire 8812",
    )  # fmt: skip
    async with db.read_session() as session:
        [after] = await load_receivables(session, today=NOW.date(), agreement_ids=[agreement.id])
    # then the advance is paid, the payable in part, and the aging moved
    advance, royalty = after.ledger.receivables
    assert (advance.paid_minor, advance.balance_minor, advance.days_overdue) == (10000, 0, 0)
    assert (royalty.paid_minor, royalty.balance_minor, royalty.days_overdue) == (5000, 15000, 15)
    assert after.ledger.aging == Aging(days_1_30=15000)
    assert (after.ledger.due_minor, after.ledger.paid_minor, after.ledger.balance_minor) == (
        30000, 15000, 15000,
    )  # fmt: skip
    # as of a day before the money came, it does not count yet
    async with db.read_session() as session:
        [earlier] = await load_receivables(session, today=date(2026, 5, 9))
    assert earlier.ledger.paid_minor == 0


async def _count(db) -> int:  # type: ignore[no-untyped-def]
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(Remittance))


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"agreement_id": 999999}, [("agreement_id", "NOT_FOUND")]),
        ({"agreement_id": "1\x00"}, [("agreement_id", "INVALID_INPUT")]),
        ({"currency": "EUR"}, [("currency", "CURRENCY_MISMATCH")]),
        ({"currency": "XXX"}, [("currency", "UNKNOWN_CURRENCY")]),
        ({"amount": "0"}, [("amount", "INVALID_AMOUNT")]),
        ({"amount": "-5.00"}, [("amount", "INVALID_AMOUNT")]),
        ({"amount": "1.234"}, [("amount", "INVALID_AMOUNT")]),
        ({"amount": "1e9"}, [("amount", "INVALID_AMOUNT")]),
        ({"amount": "9" * 40}, [("amount", "INVALID_AMOUNT")]),
        ({"received_on": "2026-05-16"}, [("received_on", "INVALID")]),
        ({"received_on": "1999-12-31"}, [("received_on", "INVALID")]),
        ({"received_on": "\uff12\uff10\uff12\uff16-05-01"}, [("received_on", "INVALID_INPUT")]),
        ({"received_on": "31/05/2026"}, [("received_on", "INVALID_INPUT")]),
        ({"reference": "x" * 201}, [("reference", "INVALID_INPUT")]),
        ({"reference": "wire\x00"}, [("reference", "INVALID_INPUT")]),
        (
            {"amount": "0", "received_on": "2099-01-01", "currency": "JPY"},
            [
                ("currency", "CURRENCY_MISMATCH"),
                ("amount", "INVALID_AMOUNT"),
                ("received_on", "INVALID"),
            ],
        ),
    ],
)
async def test_bad_remittances_are_refused_by_field_and_nothing_is_stored(
    db, changes, refused
) -> None:
    async with db.session() as session:
        agreement = await _world(session)
    values = {"agreement_id": agreement.id, "amount": "10.00", "currency": "USD",
              "received_on": "2026-05-01", "reference": "", **changes}  # fmt: skip
    with pytest.raises(DomainError) as caught:
        async with db.session() as session:
            await record_remittance(session, values.pop("agreement_id"), **values,
                                    by="staff:desk", now=NOW)  # fmt: skip
    errors = caught.value.errors if isinstance(caught.value, DomainErrors) else [caught.value]
    assert [(e.field, e.code) for e in errors] == refused
    assert all(e.message for e in errors)
    assert await _count(db) == 0


async def test_a_draft_agreement_takes_no_remittance_and_has_no_receivables(db) -> None:
    async with db.session() as session:
        agreement, _ = await F.licensing_world(
            session, advance_minor=5000, status=AgreementStatus.DRAFT
        )
    with pytest.raises(DomainError) as caught:
        async with db.session() as session:
            await record_remittance(
                session, agreement.id, amount="1.00", currency="USD",
                received_on="2026-05-01", reference=None, by="s", now=NOW,
            )  # fmt: skip
    assert caught.value.code == "NOT_FOUND"
    async with db.read_session() as session:
        assert await load_receivables(session, today=NOW.date()) == []


async def test_loading_receivables_takes_three_statements_for_one_agreement_or_many(
    db, query_counter
) -> None:
    async with db.session() as session:
        ids = [(await _world(session)).id]
        for _ in range(4):
            agreement, _ = await F.licensing_world(session, advance_minor=700)
            ids.append(agreement.id)
            await record_remittance(
                session, agreement.id, amount="3.00", currency="USD",
                received_on="2026-05-01", reference="r", by="s", now=NOW,
            )  # fmt: skip
    counts = []
    for wanted in (ids[:1], ids, None):
        async with db.read_session() as session:
            with query_counter() as counter:
                found = await load_receivables(session, today=NOW.date(), agreement_ids=wanted)
        counts.append(counter.count)
        assert len(found) == (1 if wanted == ids[:1] else 5)
    assert counts == [3, 3, 3]
    async with db.read_session() as session:
        rows = await load_receivables(session, today=NOW.date(), agreement_ids=ids[1:])
    assert {r.ledger.balance_minor for r in rows} == {400}
