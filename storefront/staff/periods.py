"""Royalty periods: which are open, which are closed (and by whom), and closing one."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.parsing import clean_text
from kernel.periods import check_period, period_of, previous_period
from licensing.closing import close_period
from licensing.models import Merchant, Period, PeriodStatus, RoyaltyEntry
from licensing.statements import statements_for_period
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import error_message, flash, page
from storefront.staff.reports import Column, Table, csv_response
from storefront.web import now, path_for, path_param, read_form


@require_staff
async def periods_page(request: Request) -> Response:
    moment = now(request)
    async with request.app.state.db.read_session() as session:
        known = {p.name: p for p in await session.scalars(select(Period))}
        with_entries = set(await session.scalars(select(RoyaltyEntry.period).distinct()))
    current = period_of(moment)
    names = set(known) | with_entries | {current, previous_period(current)}
    rows = [
        {
            "name": name,
            "status": known[name].status if name in known else PeriodStatus.OPEN,
            "closed_at": known[name].closed_at if name in known else None,
            "closed_by": known[name].closed_by if name in known else None,
            "ended": name < current,
        }
        for name in sorted(names, reverse=True)
    ]
    return page(request, "staff/periods.html", periods=rows, current=current)


@require_staff
async def close(request: Request) -> Response:
    form = await read_form(request)
    name = clean_text(form.get("period"), field="period", max_len=16)
    try:
        async with request.app.state.db.session() as session:
            await close_period(session, name, now=now(request), closed_by=staff_name(request))
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, f"{name} is closed; its statements are frozen.")
    return RedirectResponse(path_for(request, "staff_periods"), status_code=303)


STATEMENT_COLUMNS = [
    Column("agreement", "Agreement", lambda r: r["figures"].agreement_code),
    Column("licensee", "Licensee", lambda r: r["merchant"]),
    Column("currency", "Currency", lambda r: r["currency"]),
    Column("units", "Units", lambda r: r["figures"].units, number=True),
    Column("net_sales", "Net sales", lambda r: r["figures"].net_sales_minor, money=True),
    Column("royalty_earned", "Earned", lambda r: r["figures"].royalty_earned_minor, money=True),
    Column(
        "cumulative_earned",
        "Cumulative",
        lambda r: r["figures"].cumulative_earned_minor,
        money=True,
    ),
    Column(
        "advance_recouped",
        "Advance recouped",
        lambda r: r["figures"].advance_recouped_minor,
        money=True,
    ),
    Column("royalty_payable", "Payable", lambda r: r["figures"].royalty_payable_minor, money=True),
    Column("mg_shortfall", "MG shortfall", lambda r: r["figures"].mg_shortfall_minor, money=True),
    Column("adjustments", "Adjustments", lambda r: "yes" if r["figures"].has_adjustments else "no"),
    Column("frozen", "Frozen", lambda r: "yes" if r["figures"].frozen else "no"),
]


async def statements_table(request: Request, period: str) -> Table:
    """Every statement of a period (the frozen ones once it is closed), by agreement."""
    async with request.app.state.db.read_session() as session:
        figures = await statements_for_period(session, period)
        ids = sorted({f.merchant_id for f in figures})
        names = (
            dict(
                (
                    await session.execute(
                        select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids))
                    )
                ).all()
            )
            if ids
            else {}
        )
    rows = [
        {"figures": f, "merchant": names.get(f.merchant_id, ""), "currency": f.currency}
        for f in sorted(figures, key=lambda f: f.agreement_code)
    ]
    return Table("statements", STATEMENT_COLUMNS, rows)


@require_staff
async def period_statements(request: Request) -> Response:
    try:
        period = check_period(path_param(request, "name"))
    except DomainError:
        raise HTTPException(404) from None
    table = await statements_table(request, period)
    return page(request, "staff/period.html", period=period, table=table)


@require_staff
async def period_statements_csv(request: Request) -> Response:
    try:
        period = check_period(path_param(request, "name"))
    except DomainError:
        raise HTTPException(404) from None
    return csv_response(await statements_table(request, period), f"statements-{period}.csv")


routes = [
    Route("/staff/periods", periods_page, methods=["GET"], name="staff_periods"),
    Route("/staff/periods/close", close, methods=["POST"], name="staff_close_period"),
    Route(
        "/staff/periods/{name}/statements",
        period_statements,
        methods=["GET"],
        name="staff_period_statements",
    ),
    Route(
        "/staff/periods/{name}/statements.csv",
        period_statements_csv,
        methods=["GET"],
        name="staff_period_statements_csv",
    ),
]
