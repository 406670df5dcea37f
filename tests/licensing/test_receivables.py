"""Receivables and remittances as arithmetic (SPEC §10): worked examples, then the
invariants under hypothesis (paid sums to min(remitted, due); no balance below zero; the
order remittances are recorded in changes nothing; aging buckets add up to the balance)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from licensing.receivables import (
    Aging,
    Charge,
    ReceivableKind,
    bucket_of,
    charges_of,
    receivables,
    statement_due_on,
)

ADVANCE, ROYALTY, SHORTFALL = ReceivableKind


def test_a_statement_is_due_thirty_days_after_its_period_ends() -> None:
    assert statement_due_on("2026-Q1") == date(2026, 4, 30)
    assert statement_due_on("2026-Q4") == date(2027, 1, 30)


def test_the_advance_then_each_positive_payable_then_the_shortfall_with_the_final_one() -> None:
    charges = charges_of(
        start_date=date(2026, 1, 1),
        advance_minor=50000,
        statements=[("2026-Q2", 1200, 0), ("2026-Q1", 0, 0), ("2026-Q3", 800, 3000)],
    )
    assert [(c.kind, c.period, c.amount_minor, c.due_on) for c in charges] == [
        (ADVANCE, None, 50000, date(2026, 1, 1)),
        (ROYALTY, "2026-Q2", 1200, date(2026, 7, 30)),
        (ROYALTY, "2026-Q3", 800, date(2026, 10, 30)),
        (SHORTFALL, "2026-Q3", 3000, date(2026, 10, 30)),
    ]


def test_a_partial_remittance_pays_the_oldest_first_and_ages_the_rest() -> None:
    # given an advance of 500.00 due 1 Jan and a payable of 120.00 due 30 Jul
    charges = [
        Charge(ADVANCE, 50000, date(2026, 1, 1)),
        Charge(ROYALTY, 12000, date(2026, 7, 30), "2026-Q2"),
    ]
    # when 300.00 arrives in March and the books are read on 15 Sep
    ledger = receivables(charges, [(date(2026, 3, 1), 30000)], today=date(2026, 9, 15))
    advance, royalty = ledger.receivables
    # then the advance is paid in part and 257 days overdue; the payable 47 days
    assert (advance.paid_minor, advance.balance_minor, advance.days_overdue) == (30000, 20000, 257)
    assert (royalty.paid_minor, royalty.balance_minor, royalty.days_overdue) == (0, 12000, 47)
    assert ledger.aging == Aging(over_90=20000, days_31_60=12000)
    assert (ledger.due_minor, ledger.paid_minor, ledger.balance_minor) == (62000, 30000, 32000)
    assert ledger.days_overdue == 257 and ledger.credit_minor == 0


def test_a_credit_reduces_the_next_receivable_and_the_surplus_stays_as_credit() -> None:
    charges = [
        Charge(ROYALTY, 10000, date(2026, 4, 30), "2026-Q1"),
        Charge(ROYALTY, -2500, date(2026, 7, 30), "2026-Q2"),  # net refunds: a credit
        Charge(ROYALTY, 2000, date(2026, 10, 30), "2026-Q3"),
        Charge(ROYALTY, 4000, date(2027, 1, 30), "2026-Q4"),
    ]
    ledger = receivables(charges, [(date(2026, 5, 1), 10000)], today=date(2026, 11, 1))
    q1, q3, q4 = ledger.receivables
    assert (q1.amount_minor, q1.paid_minor, q1.balance_minor) == (10000, 10000, 0)
    assert (q3.charged_minor, q3.credited_minor, q3.amount_minor, q3.balance_minor) == (
        2000, 2000, 0, 0,
    )  # fmt: skip
    # the 5.00 of credit Q3 could not take goes to the next one, Q4 (not due yet: current)
    assert (q4.credited_minor, q4.balance_minor, q4.days_overdue) == (500, 3500, 0)
    assert ledger.aging == Aging(current=3500)
    # money beyond every receivable stays as a credit on the agreement
    more = receivables(charges, [(date(2026, 5, 1), 20000)], today=date(2026, 11, 1))
    assert more.balance_minor == 0 and more.credit_minor == 20000 - 13500


def test_remittances_after_today_do_not_count_yet() -> None:
    charges = [Charge(ADVANCE, 1000, date(2026, 1, 1))]
    ledger = receivables(charges, [(date(2026, 2, 2), 1000)], today=date(2026, 2, 1))
    assert ledger.remitted_minor == 0 and ledger.balance_minor == 1000
    assert ledger.receivables[0].days_overdue == 31 and ledger.aging.days_31_60 == 1000


def test_the_bucket_edges() -> None:
    assert [bucket_of(d) for d in (0, 1, 30, 31, 60, 61, 90, 91, 5000)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip


charges_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(ReceivableKind)),
        st.integers(-50000, 100000),
        st.integers(0, 800),  # day of the due date
    ),
    max_size=12,
)
remittance_strategy = st.lists(st.tuples(st.integers(0, 900), st.integers(1, 80000)), max_size=10)
START = date(2026, 1, 1)


def _charges(raw: list[tuple[ReceivableKind, int, int]]) -> list[Charge]:
    out = []
    for n, (kind, amount, day) in enumerate(raw):
        if kind != ROYALTY:
            amount = abs(amount) or 1  # only a royalty payable can be a credit
        out.append(Charge(kind, amount, START + timedelta(days=day), f"{2026 + n}-Q1"))
    return out


@given(charges_strategy, remittance_strategy, st.integers(0, 1000), st.randoms())
def test_the_invariants_of_receivables(raw, paid_raw, today_day, rnd: random.Random) -> None:  # type: ignore[no-untyped-def]
    charges = _charges(raw)
    today = START + timedelta(days=today_day)
    remittances = [(START + timedelta(days=d), amount) for d, amount in paid_raw]
    ledger = receivables(charges, remittances, today=today)
    remitted = sum(a for d, a in remittances if d <= today)
    # paid sums to min(total remitted, total due); balances never negative
    assert ledger.paid_minor == min(remitted, ledger.due_minor)
    assert all(r.balance_minor >= 0 and r.paid_minor >= 0 for r in ledger.receivables)
    assert all(0 <= r.credited_minor <= r.charged_minor for r in ledger.receivables)
    # credits and money are neither lost nor made: what is charged = what is paid, owed, or
    # left as credit
    charged = sum(c.amount_minor for c in charges)
    assert charged == ledger.balance_minor - ledger.credit_minor + remitted
    # the buckets hold every open balance, and only overdue balances are outside `current`
    assert ledger.aging.total == ledger.balance_minor
    assert ledger.aging.overdue == sum(r.balance_minor for r in ledger.receivables
                                       if r.due_on < today)  # fmt: skip
    # oldest first: once a receivable has a balance, no later one is paid
    open_seen = False
    for r in ledger.receivables:
        assert not (open_seen and r.paid_minor > 0)
        open_seen = open_seen or r.balance_minor > 0
    # the order remittances and charges were recorded in changes nothing
    shuffled_r, shuffled_c = list(remittances), list(charges)
    rnd.shuffle(shuffled_r)
    rnd.shuffle(shuffled_c)
    assert receivables(shuffled_c, shuffled_r, today=today) == ledger
