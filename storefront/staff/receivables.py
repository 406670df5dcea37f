"""Money collected (SPEC §10): each agreement's receivables — due, paid, balance, days overdue,
aging — with a total per currency, missing licensee sales reports, a form to record a
remittance, and the table as CSV (the same rows and columns as the page:
`storefront.staff.tables`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import DomainError, DomainErrors
from kernel.money import format_money
from kernel.periods import utc
from licensing.models import Merchant
from licensing.receivables import BUCKETS
from licensing.remittances import load_receivables, record_remittance
from licensing.report_reminders import missing_reports
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import flash, page
from storefront.staff.tables import Column, Table, csv_response
from storefront.web import now, path_for, read_form

AGING_NOTE = (
    "each open receivable's balance in the bucket of its own days overdue, so the buckets of "
    "a row add up to its balance; current is not due yet (or due today)."
)
_AGING = [
    Column("aging_current", "Current", lambda r: r["aging"][0], money=True, note=AGING_NOTE),
    Column("aging_1_30", "1\u201330 days", lambda r: r["aging"][1], money=True),
    Column("aging_31_60", "31\u201360 days", lambda r: r["aging"][2], money=True),
    Column("aging_61_90", "61\u201390 days", lambda r: r["aging"][3], money=True),
    Column("aging_90_plus", "90+ days", lambda r: r["aging"][4], money=True),
]
COLUMNS = [
    Column("agreement", "Agreement", lambda r: r["agreement"]),
    Column("licensee", "Licensee", lambda r: r["licensee"]),
    Column("currency", "Currency", lambda r: r["currency"]),
    Column("due", "Due", lambda r: r["due"], money=True,
           note="the advance, closed statements' payables and any MG shortfall, after credits."),
    Column("paid", "Paid", lambda r: r["paid"], money=True,
           note="remittances applied to the oldest receivable first."),
    Column("balance", "Balance", lambda r: r["balance"], money=True),
    Column("credit", "Credit", lambda r: r["credit"], money=True,
           note="credits (negative payables) and money beyond every receivable, kept for "
           "the next ones."),
    Column("days_overdue", "Days overdue", lambda r: r["days_overdue"], number=True,
           note="of the oldest receivable with a balance left."),
    *_AGING,
    Column("missing_reports", "Missing reports", lambda r: r["missing"], number=True),
]  # fmt: skip
MISSING_COLUMNS = [
    Column("agreement", "Agreement", lambda r: r.agreement_code),
    Column("period", "Period", lambda r: r.period),
    Column("due_on", "Due", lambda r: r.due_on.isoformat()),
    Column("days_overdue", "Days overdue", lambda r: r.days_overdue, number=True),
]
MONEY_KEYS = ("due", "paid", "balance", "credit")


async def receivables_tables(request: Request) -> tuple[Table, Table, list[tuple[int, str]]]:
    """The receivables table (a row per agreement, then a total per currency), the missing
    reports table, and the agreements a remittance can be recorded against."""
    moment = now(request)
    async with request.app.state.db.read_session() as session:
        values = await load_receivables(session, today=utc(moment).date())
        missing = await missing_reports(session, now=moment)
        names = dict((await session.execute(select(Merchant.id, Merchant.name))).all())
    late: defaultdict[int, int] = defaultdict(int)
    for m in missing:
        late[m.agreement_id] += 1
    rows: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Any]] = {}
    for v in sorted(values, key=lambda v: v.code):
        ledger = v.ledger
        row = {
            "agreement": v.code, "licensee": names.get(v.merchant_id, ""),
            "currency": v.currency, "due": ledger.due_minor, "paid": ledger.paid_minor,
            "balance": ledger.balance_minor, "credit": ledger.credit_minor,
            "days_overdue": ledger.days_overdue, "aging": list(ledger.aging.as_tuple()),
            "missing": late[v.agreement_id],
        }  # fmt: skip
        rows.append(row)
        total = totals.setdefault(
            v.currency,
            {"agreement": f"Total {v.currency}", "licensee": None, "currency": v.currency,
             "due": 0, "paid": 0, "balance": 0, "credit": 0, "days_overdue": 0,
             "aging": [0] * len(BUCKETS), "missing": 0},
        )  # fmt: skip
        for key in MONEY_KEYS:
            total[key] += row[key]
        total["days_overdue"] = max(total["days_overdue"], row["days_overdue"])
        total["aging"] = [a + b for a, b in zip(total["aging"], row["aging"], strict=True)]
        total["missing"] += row["missing"]
    rows += [totals[c] for c in sorted(totals)]
    choices = [(v.agreement_id, f"{v.code} — {names.get(v.merchant_id, '')} ({v.currency})")
               for v in sorted(values, key=lambda v: v.code)]  # fmt: skip
    return Table("receivables", COLUMNS, rows), Table("missing", MISSING_COLUMNS, missing), choices


async def _page(
    request: Request, status_code: int = 200, values: dict[str, str] | None = None,
    errors: list[DomainError] | None = None,
) -> Response:  # fmt: skip
    table, missing, choices = await receivables_tables(request)
    errors = errors or []
    return page(
        request,
        "staff/receivables.html",
        status_code,
        table=table,
        missing=missing,
        choices=choices,
        values=values or {"received_on": utc(now(request)).date().isoformat()},
        errors=[e.message for e in errors if not e.field],
        field_errors={e.field: e.message for e in errors if e.field},
        codes=" ".join(sorted({str(e.code) for e in errors})),
    )


@require_staff
async def receivables_page(request: Request) -> Response:
    """GET /staff/receivables."""
    return await _page(request)


@require_staff
async def receivables_csv(request: Request) -> Response:
    """GET /staff/receivables.csv: the page's table, row for row."""
    table, _, _ = await receivables_tables(request)
    return csv_response(table, f"receivables-{utc(now(request)).date().isoformat()}.csv")


FORM_FIELDS = ("agreement_id", "amount", "currency", "received_on", "reference")


@require_staff
async def record(request: Request) -> Response:
    """POST /staff/receivables/remittances: record a remittance; a refusal shows the form
    again with each field's problem in words."""
    form = await read_form(request)
    values = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    try:
        async with request.app.state.db.session() as session:
            remittance = await record_remittance(
                session,
                values["agreement_id"],
                amount=values["amount"].strip(),
                currency=values["currency"],
                received_on=values["received_on"],
                reference=values["reference"],
                by=f"staff:{staff_name(request)}",
                now=now(request),
            )
    except DomainError as error:
        errors = error.errors if isinstance(error, DomainErrors) else [error]
        return await _page(request, 400, values, errors)
    amount = format_money(remittance.amount_minor, remittance.currency)
    flash(request, f"Recorded {amount} received on {remittance.received_on.isoformat()}.")
    return RedirectResponse(path_for(request, "staff_receivables"), status_code=303)


routes = [
    Route("/staff/receivables", receivables_page, methods=["GET"], name="staff_receivables"),
    Route("/staff/receivables.csv", receivables_csv, methods=["GET"],
          name="staff_receivables_csv"),
    Route("/staff/receivables/remittances", record, methods=["POST"],
          name="staff_record_remittance"),
]  # fmt: skip
