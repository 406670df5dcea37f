"""The staff home page: where to go, and how much waits there."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.models import ApprovalStage, Product
from licensing.models import Agreement, Period, PeriodStatus
from orders.models import Order, OrderStatus
from orders.reconcile import stranded_payments
from storefront.staff.auth import require_staff
from storefront.staff.common import page

AWAITING_REVIEW = (ApprovalStage.CONCEPT_SUBMITTED, ApprovalStage.SAMPLE_SUBMITTED)


@require_staff
async def dashboard(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        awaiting = await session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.approval_stage.in_(AWAITING_REVIEW))
        )
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
    return page(
        request,
        "staff/dashboard.html",
        awaiting=awaiting or 0,
        agreements_by_status={str(k): v for k, v in by_status.items()},
        open_periods=open_periods or 0,
        paid_orders=paid_orders or 0,
        stranded=stranded,
    )


routes = [Route("/staff", dashboard, methods=["GET"], name="staff_dashboard")]
