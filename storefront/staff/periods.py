"""Royalty periods: which are open, which are closed (and by whom), and closing one."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.parsing import clean_text
from kernel.periods import check_period, period_of, previous_period
from licensing.closing import check_closed_in_order, check_period_over, close_period
from licensing.codes import LicensingError
from licensing.models import Merchant, Period, PeriodStatus
from licensing.periods import last_closed_period
from licensing.statements import statements_for_period
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import (
    Confirmation,
    confirm_page,
    confirmed,
    flash,
    flash_error,
    known_periods,
    page,
    path_period,
)
from storefront.staff.tables import (
    CUMULATIVE,
    PAYABLE,
    RECOUPED,
    SHORTFALL,
    Column,
    Table,
    csv_response,
)
from storefront.web import now, path_for, read_form


@require_staff
async def periods_page(request: Request) -> Response:
    moment = now(request)
    current = period_of(moment)
    async with request.app.state.db.read_session() as session:
        known = {p.name: p for p in await session.scalars(select(Period))}
        names = await known_periods(session) | {current, previous_period(current)}
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
    """Close a period in two steps: the first POST is answered with what closing will freeze;
    only the second (`confirmed=yes`) closes it."""
    form = await read_form(request)
    back = RedirectResponse(path_for(request, "staff_periods"), status_code=303)
    try:
        name = check_period(clean_text(form.get("period"), field="period", max_len=16))
        if not confirmed(form):
            check_period_over(name, now(request))
            return confirm_page(request, await _close_confirmation(request, name))
        async with request.app.state.db.session() as session:
            await close_period(session, name, now=now(request), closed_by=staff_name(request))
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"{name} is closed; its statements are frozen.")
    return back


async def _close_confirmation(request: Request, name: str) -> Confirmation:
    """What closing `name` will freeze; the closing rules' refusals come now, before the
    confirmation is asked for, as `close_period` would give them (read only)."""
    async with request.app.state.db.read_session() as session:
        last_closed = await last_closed_period(session)
        if last_closed is not None and name <= last_closed:
            raise DomainError(
                LicensingError.INVALID, f"{name} is closed already; nothing to do.", "period"
            )
        await check_closed_in_order(session, name, last_closed)
        figures = await statements_for_period(session, name)
    open_ones = [f for f in figures if not f.frozen]
    if open_ones:
        codes = ", ".join(sorted(f.agreement_code for f in open_ones)[:10])
        more = f" and {len(open_ones) - 10} more" if len(open_ones) > 10 else ""
        frozen = (
            f"The statements of {len(open_ones)} agreement"
            f"{'' if len(open_ones) == 1 else 's'} ({codes}{more}) are frozen as they stand: "
            "their figures are never recomputed."
        )
    else:
        frozen = "No agreement has a statement in it: an empty period is closed."
    return Confirmation(
        title=f"Close {name}",
        action=path_for(request, "staff_close_period"),
        consequences=[
            frozen,
            f"Sales, refunds and reports dated in {name} that arrive later land in the first "
            "open period as adjustments.",
            "Each licensee subscribed to statement webhooks is told its statement is closed.",
            "A closed period is never opened again.",
        ],
        button=f"Yes, close {name}",
        cancel=path_for(request, "staff_periods"),
        fields=[("period", name)],
    )


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
        note=CUMULATIVE,
    ),
    Column(
        "advance_recouped",
        "Advance recouped",
        lambda r: r["figures"].advance_recouped_minor,
        money=True,
        note=RECOUPED,
    ),
    Column(
        "royalty_payable",
        "Payable",
        lambda r: r["figures"].royalty_payable_minor,
        money=True,
        note=PAYABLE,
    ),
    Column(
        "mg_shortfall",
        "MG shortfall",
        lambda r: r["figures"].mg_shortfall_minor,
        money=True,
        note=SHORTFALL,
    ),
    Column("adjustments", "Adjustments", lambda r: "yes" if r["figures"].has_adjustments else "no"),
    Column("frozen", "Frozen", lambda r: "yes" if r["figures"].frozen else "no"),
]


async def statements_table(request: Request, period: str) -> Table:
    """Every statement of a period (the frozen ones once it is closed), by agreement."""
    async with request.app.state.db.read_session() as session:
        figures = await statements_for_period(session, period)
        ids = {f.merchant_id for f in figures}
        found = await session.execute(
            select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids))
        )
        names = dict(found.all())
    rows = [
        {"figures": f, "merchant": names.get(f.merchant_id, ""), "currency": f.currency}
        for f in sorted(figures, key=lambda f: f.agreement_code)
    ]
    return Table("statements", STATEMENT_COLUMNS, rows)


@require_staff
async def period_statements(request: Request) -> Response:
    period = path_period(request, "name")
    table = await statements_table(request, period)
    return page(request, "staff/period.html", period=period, table=table)


@require_staff
async def period_statements_csv(request: Request) -> Response:
    period = path_period(request, "name")
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
