"""The staff home page: what a licensing manager opens the console for (`reports.desk`) —
royalties this period against the last by film, money due and collected, overdue
receivables and reports, products waiting for review and for how long, agreements at risk
of an MG shortfall — and where to go. Each table says what its figures mean and reflows on
a phone (`storefront.staff.tables`)."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from licensing.models import Agreement, Period, PeriodStatus
from orders.models import Order, OrderStatus
from orders.reconcile import stranded_payments
from reports.desk import desk
from storefront.staff.auth import require_staff
from storefront.staff.common import page
from storefront.staff.tables import Column, Table
from storefront.web import now

ROYALTY_COLUMNS = [
    Column("film", "Film", lambda r: r.title),
    Column("currency", "Currency", lambda r: r.currency),
    Column("this_period", "This period", lambda r: r.this_period_minor, money=True,
           note="royalty earned on the film's sales of the current period so far (UTC), "
           "refunds netted, rounded per film."),
    Column("last_period", "Last period", lambda r: r.last_period_minor, money=True,
           note="the same for the whole previous period."),
    Column("change", "Change", lambda r: r.change_minor, money=True,
           note="this period less the last; the current period is not over yet."),
]  # fmt: skip
MONEY_COLUMNS = [
    Column("currency", "Currency", lambda r: r.currency),
    Column("due", "Payable to date", lambda r: r.due_minor, money=True,
           note="advances, closed statements' payables and MG shortfalls fallen due or "
           "coming, after credits."),
    Column("collected", "Collected", lambda r: r.collected_minor, money=True,
           note="remittances applied to them, oldest receivable first."),
    Column("balance", "Open", lambda r: r.balance_minor, money=True,
           note="payable less collected."),
    Column("overdue", "Overdue", lambda r: r.overdue_minor, money=True,
           note="the part of the open balance past its due date."),
    Column("agreements_overdue", "Agreements overdue", lambda r: r.agreements_overdue,
           number=True),
]  # fmt: skip
WAITING_COLUMNS = [
    Column("product", "Product", lambda r: f"{r.name} ({r.sku})"),
    Column("licensee", "Licensee", lambda r: r.merchant),
    Column("stage", "Stage", lambda r: r.stage.value.replace("_", " ")),
    Column("since", "Submitted", lambda r: r.since.strftime("%Y-%m-%d")),
    Column("days", "Days waiting", lambda r: r.days, number=True,
           note="whole days since its last submission (UTC); the longest waiting first."),
]  # fmt: skip
RISK_COLUMNS = [
    Column("agreement", "Agreement", lambda r: r.agreement_code),
    Column("status", "Status", lambda r: r.status.value),
    Column("mg", "Minimum guarantee", lambda r: r.minimum_guarantee_minor, money=True),
    Column("earned", "Earned toward MG", lambda r: r.earned_to_date_minor, money=True,
           note="royalty earned up to the period holding the end date, as the final "
           "statement counts it."),
    Column("projected_shortfall", "Projected shortfall", lambda r: r.projected_shortfall_minor,
           money=True, note="the MG less the larger of the advance and the royalty projected "
           "at today's run-rate to the end of the term."),
    Column("owed", "Shortfall owed", lambda r: r.shortfall_owed_minor, money=True,
           note="an ended agreement's shortfall not paid yet."),
]  # fmt: skip


@require_staff
async def dashboard(request: Request) -> Response:
    moment = now(request)
    async with request.app.state.db.read_session() as session:
        by_status = dict(
            (
                await session.execute(
                    select(Agreement.status, func.count()).group_by(Agreement.status)
                )
            ).all()
        )
        open_periods = await session.scalar(
            select(func.count()).select_from(Period).where(Period.status == PeriodStatus.OPEN)
        )
        paid_orders = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.status.in_((OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)))
        )
        stranded = await stranded_payments(session)
        figures = await desk(session, now=moment)
    return page(
        request,
        "staff/dashboard.html",
        desk=figures,
        awaiting=figures.waiting_total,
        royalties=Table("desk-royalties", ROYALTY_COLUMNS, figures.royalties),
        money=Table("desk-money", MONEY_COLUMNS, figures.money),
        waiting=Table("desk-waiting", WAITING_COLUMNS, figures.waiting),
        at_risk=Table("desk-risk", RISK_COLUMNS, figures.at_risk),
        agreements_by_status={str(k): v for k, v in by_status.items()},
        open_periods=open_periods or 0,
        paid_orders=paid_orders or 0,
        stranded=stranded,
    )


routes = [Route("/staff", dashboard, methods=["GET"], name="staff_dashboard")]
