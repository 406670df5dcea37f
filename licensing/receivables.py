"""Receivables of an agreement, and how remittances pay them (SPEC §10): pure functions.

Receivables are derived, never stored. An agreement (not a draft) owes, in this order:

- the advance, due on the start date (when it is above zero);
- each closed statement's `royalty_payable`, due 30 days (`PAYMENT_TERMS`) after its period
  ends; a negative payable is a credit: it reduces the next receivable (the next one by due
  date), and what no later receivable takes stays as a credit on the agreement;
- the `mg_shortfall` of the final statement, due with it (same due date, after its payable).

Remittances received up to `today` are applied to the oldest open receivable first. The
money is pooled: a remittance pays whatever is oldest and still open, whether it came before
or after that receivable fell due, so the result does not depend on the order remittances
were recorded in, and their dates matter only for what is counted "as of" a day. Money
beyond every receivable stays as a credit on the agreement.

Each receivable shows its `amount` (the payable, less any credit it took), `paid`, `balance`
and `days_overdue` (days since its due date while a balance is left; 0 when paid or not due
yet). Invariants (tests/licensing/test_receivables.py, with hypothesis): the paid amounts sum
to min(total remitted, total due); no balance is negative; the balances sum to total due
less total paid.

**Aging, by balance per bucket**: every open receivable's balance goes into the bucket of its
own days overdue — `current` (not due yet, or due today), `1-30`, `31-60`, `61-90`, `90+` —
so an agreement's buckets add up to its balance. (The other convention, the whole balance in
the bucket of the oldest overdue item, overstates old debt when a licensee pays late but
pays; a staff member reads the oldest item from `days_overdue` instead.) An agreement's
`days_overdue` is that of its oldest open receivable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kernel.periods import period_bounds

PAYMENT_TERMS = timedelta(days=30)  # a statement's payable is due 30 days after its period


class ReceivableKind(StrEnum):
    ADVANCE = "advance"
    ROYALTY = "royalty"
    MG_SHORTFALL = "mg_shortfall"


_KIND_ORDER = {ReceivableKind.ADVANCE: 0, ReceivableKind.ROYALTY: 1, ReceivableKind.MG_SHORTFALL: 2}

# (label, first day overdue, last day overdue or None) of each aging bucket, in order.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
BUCKET_KEYS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")


@dataclass(frozen=True)
class Charge:
    """Something an agreement owes: its kind, the period (statements), the amount (a royalty
    payable may be negative: a credit) and when it is due."""

    kind: ReceivableKind
    amount_minor: int
    due_on: date
    period: str | None = None


@dataclass(frozen=True)
class Receivable:
    kind: ReceivableKind
    period: str | None
    due_on: date
    charged_minor: int  # what the statement (or the terms) say is owed
    credited_minor: int  # taken off by an earlier credit
    paid_minor: int
    days_overdue: int

    @property
    def amount_minor(self) -> int:
        """What is owed after credits."""
        return self.charged_minor - self.credited_minor

    @property
    def balance_minor(self) -> int:
        return self.amount_minor - self.paid_minor


@dataclass(frozen=True)
class Aging:
    """Open balances by how long they are overdue (see the module doc)."""

    current: int = 0
    days_1_30: int = 0
    days_31_60: int = 0
    days_61_90: int = 0
    over_90: int = 0

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.current, self.days_1_30, self.days_31_60, self.days_61_90, self.over_90)

    @property
    def total(self) -> int:
        return sum(self.as_tuple())

    @property
    def overdue(self) -> int:
        return self.total - self.current


@dataclass(frozen=True)
class Ledger:
    """An agreement's receivables as of a day."""

    receivables: tuple[Receivable, ...]
    remitted_minor: int  # remittances received up to the day
    credit_minor: int  # unused credits and money beyond every receivable
    aging: Aging

    @property
    def due_minor(self) -> int:
        return sum(r.amount_minor for r in self.receivables)

    @property
    def paid_minor(self) -> int:
        return sum(r.paid_minor for r in self.receivables)

    @property
    def balance_minor(self) -> int:
        return sum(r.balance_minor for r in self.receivables)

    @property
    def days_overdue(self) -> int:
        return max((r.days_overdue for r in self.receivables), default=0)


@functools.lru_cache(maxsize=4096)  # pure; a few dozen periods repeat over every agreement
def statement_due_on(period: str) -> date:
    """When a closed statement's payable is due: 30 days after its period's last day."""
    _, ends_at = period_bounds(period)
    return ends_at.date() - timedelta(days=1) + PAYMENT_TERMS


def charges_of(
    *,
    start_date: date,
    advance_minor: int,
    statements: Iterable[tuple[str, int, int]],
) -> list[Charge]:
    """The charges of an agreement from its terms and its closed statements given as
    (period, royalty_payable, mg_shortfall), in due order."""
    charges = []
    if advance_minor > 0:
        charges.append(Charge(ReceivableKind.ADVANCE, advance_minor, start_date))
    for period, payable, shortfall in statements:
        due = statement_due_on(period)
        if payable:
            charges.append(Charge(ReceivableKind.ROYALTY, payable, due, period))
        if shortfall > 0:
            charges.append(Charge(ReceivableKind.MG_SHORTFALL, shortfall, due, period))
    return sorted(charges, key=_charge_order)


def _charge_order(c: Charge) -> tuple[date, str, int]:
    return (c.due_on, c.period or "", _KIND_ORDER[c.kind])


def days_overdue(due_on: date, today: date) -> int:
    return max(0, (today - due_on).days)


def bucket_of(days: int) -> int:
    """The index in BUCKETS of a balance `days` overdue."""
    for n, (_, first, last) in enumerate(BUCKETS):
        if days >= first and (last is None or days <= last):
            return n
    raise ValueError(days)


def receivables(
    charges: Sequence[Charge], remittances: Iterable[tuple[date, int]], *, today: date
) -> Ledger:
    """The receivables of `charges` paid by `remittances` ((received_on, amount > 0)) that
    were received up to `today`, with days overdue and aging as of `today`."""
    ordered = sorted(charges, key=_charge_order)
    remitted = sum(amount for received_on, amount in remittances if received_on <= today)
    credit = 0  # credits waiting for the next receivable
    owed: list[tuple[Charge, int]] = []  # (charge, credit it took)
    for charge in ordered:
        if charge.amount_minor < 0:
            credit += -charge.amount_minor
            continue
        taken = min(credit, charge.amount_minor)
        credit -= taken
        owed.append((charge, taken))
    pool = remitted
    out = []
    buckets = [0] * len(BUCKETS)
    for charge, credited in owed:
        paid = min(pool, charge.amount_minor - credited)
        pool -= paid
        balance = charge.amount_minor - credited - paid
        late = days_overdue(charge.due_on, today) if balance > 0 else 0
        buckets[bucket_of(late)] += balance
        out.append(
            Receivable(
                kind=charge.kind,
                period=charge.period,
                due_on=charge.due_on,
                charged_minor=charge.amount_minor,
                credited_minor=credited,
                paid_minor=paid,
                days_overdue=late,
            )
        )
    return Ledger(tuple(out), remitted, credit + pool, Aging(*buckets))
