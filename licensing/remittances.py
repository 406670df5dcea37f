"""Recording remittances and loading agreements' receivables (SPEC §10).

`record_remittance` is the one writer of remittances (staff, through the console or
`recordRemittance`). `load_receivables` builds the receivables of many agreements in three
statements whatever their number (agreements, closed statements, remittances by day), then
`licensing.receivables` does the arithmetic. A terminated agreement owes what its closed
statements say (periods after its termination hold only late refunds: credits) and its
advance, unless it was terminated before its start date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kernel.errors import Checks, DomainError, ErrorCode
from kernel.money import check_currency, parse_amount
from kernel.parsing import InvalidInput, clean_text, parse_id
from kernel.periods import utc
from licensing.codes import LicensingError
from licensing.models import Agreement, AgreementStatus, RoyaltyStatement
from licensing.receivable_models import REFERENCE_MAX, Remittance
from licensing.receivables import Ledger, charges_of, receivables

MAX_REMITTANCE_MINOR = 10**15  # far beyond any licence, far within a 64-bit column
EARLIEST = date(2000, 1, 1)
BATCH = 500  # above this many ids, read every row and keep the wanted ones in Python


def _date(value: date | str, field: str) -> date:
    if isinstance(value, datetime):
        return utc(value).date()
    if isinstance(value, date):
        return value
    text = clean_text(value, field=field, max_len=10, required=True)
    try:
        if not text.isascii():
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-07-31.", field) from None


async def record_remittance(
    session: AsyncSession,
    agreement_id: int | str,
    *,
    amount: str | int,
    currency: str,
    received_on: date | str,
    reference: str | None,
    by: str,
    now: datetime,
) -> Remittance:
    """Record money a licensee paid against an agreement.

    `amount` is a decimal string in major units ("1250.00"), or an int of minor units. Every
    bad field is named at once and nothing is stored: an unknown agreement (or a draft, which
    owes nothing) is NOT_FOUND; a currency other than the agreement's CURRENCY_MISMATCH; an
    amount of zero or less INVALID_AMOUNT; a date after today (UTC) or before 2000 INVALID;
    a reference over 200 characters or with control characters INVALID_INPUT."""
    checks = Checks()
    agreement = None
    with checks:
        pk = agreement_id if isinstance(agreement_id, int) else None
        if pk is None:
            pk = parse_id(agreement_id, field="agreement_id")
        agreement = await session.get(Agreement, pk)
        if agreement is None or agreement.status == AgreementStatus.DRAFT:
            raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement_id")
    code = None
    with checks:
        code = check_currency(currency if isinstance(currency, str) else "")
        if agreement is not None and code != agreement.currency:
            raise DomainError(
                LicensingError.CURRENCY_MISMATCH,
                f"Agreement {agreement.code} is paid in {agreement.currency}, not {code}.",
                "currency",
            )
    minor = 0
    with checks:
        if isinstance(amount, int) and not isinstance(amount, bool):
            minor = amount
        else:
            minor = parse_amount(amount, code or (agreement.currency if agreement else "USD"))
        if minor <= 0:
            raise DomainError(ErrorCode.INVALID_AMOUNT, "Give an amount above zero.", "amount")
        if minor > MAX_REMITTANCE_MINOR:
            raise DomainError(ErrorCode.INVALID_AMOUNT, "That amount is too large.", "amount")
    day = None
    with checks:
        day = _date(received_on, "received_on")
        if day > utc(now).date():
            raise DomainError(
                ErrorCode.INVALID, "Money cannot be received in the future.", "received_on"
            )
        if day < EARLIEST:
            raise DomainError(
                ErrorCode.INVALID, f"Give a date from {EARLIEST.isoformat()} on.", "received_on"
            )
    text = ""
    with checks:
        text = clean_text(reference, field="reference", max_len=REFERENCE_MAX)
    checks.done()
    assert agreement is not None and day is not None
    remittance = Remittance(
        agreement_id=agreement.id,
        amount_minor=minor,
        currency=agreement.currency,
        received_on=day,
        reference=text,
        recorded_by=by[:200],
        created_at=now,
    )
    session.add(remittance)
    await session.flush()
    return remittance


def _ended_before_start(a: Row[Any]) -> bool:
    """The agreement row (`terminated_at`, `start_date`) was terminated before its start
    date: the advance never fell due."""
    return a.terminated_at is not None and utc(a.terminated_at).date() < a.start_date


@dataclass(frozen=True)
class AgreementReceivables:
    """One agreement's receivables as of a day, with what names it."""

    agreement_id: int
    code: str
    merchant_id: int
    currency: str
    status: AgreementStatus
    ledger: Ledger


def _restricted(
    query: Select[Any], column: InstrumentedAttribute[int], ids: list[int] | None
) -> Select[Any]:
    if ids is not None and len(ids) <= BATCH:
        return query.where(column.in_(ids))
    return query


async def load_receivables(
    session: AsyncSession, *, today: date, agreement_ids: Iterable[int] | None = None
) -> list[AgreementReceivables]:
    """The receivables of the agreements `agreement_ids` (every agreement but drafts when
    None), by agreement id, as of `today`: three statements, whatever their number."""
    ids = None if agreement_ids is None else sorted(set(agreement_ids))
    if ids == []:
        return []
    wanted = None if ids is None else set(ids)
    query = select(
        Agreement.id,
        Agreement.code,
        Agreement.merchant_id,
        Agreement.currency,
        Agreement.status,
        Agreement.start_date,
        Agreement.advance_minor,
        Agreement.terminated_at,
    ).where(Agreement.status != AgreementStatus.DRAFT)
    agreements = [
        a
        for a in (await session.execute(_restricted(query, Agreement.id, ids))).all()
        if wanted is None or a.id in wanted
    ]
    statements: defaultdict[int, list[tuple[str, int, int]]] = defaultdict(list)
    s = RoyaltyStatement
    query = select(s.agreement_id, s.period, s.royalty_payable_minor, s.mg_shortfall_minor)
    for agreement_id, period, payable, shortfall in await session.execute(
        _restricted(query, s.agreement_id, ids)
    ):
        statements[agreement_id].append((period, int(payable), int(shortfall)))
    paid: defaultdict[int, list[tuple[date, int]]] = defaultdict(list)
    r = Remittance
    query = (
        select(r.agreement_id, r.received_on, func.sum(r.amount_minor))
        .where(r.received_on <= today)
        .group_by(r.agreement_id, r.received_on)
    )
    for agreement_id, received_on, total in await session.execute(
        _restricted(query, r.agreement_id, ids)
    ):
        paid[agreement_id].append((received_on, int(total)))
    out = []
    for a in agreements:
        charges = charges_of(
            start_date=a.start_date,
            advance_minor=0 if _ended_before_start(a) else int(a.advance_minor),
            statements=statements[a.id],
        )
        out.append(
            AgreementReceivables(
                agreement_id=a.id,
                code=a.code,
                merchant_id=a.merchant_id,
                currency=a.currency,
                status=a.status,
                ledger=receivables(charges, paid[a.id], today=today),
            )
        )
    return sorted(out, key=lambda x: x.agreement_id)
