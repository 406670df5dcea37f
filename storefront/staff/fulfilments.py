"""Fulfilments for staff (SPEC §8): what merchants have to ship, by status, and one in detail
with its lines, shipments and shipping address."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from licensing.models import Merchant
from orders.fulfilment_models import FulfilmentStatus
from orders.fulfilment_views import fulfilment_view, merchant_address, recent_fulfilments
from storefront.staff.auth import require_staff
from storefront.staff.common import page, path_id
from storefront.web import query_param

RECENT = 100
STATUSES = [s.value for s in FulfilmentStatus]


async def _merchant_names(session, ids: set[int]) -> dict[int, str]:  # type: ignore[no-untyped-def]
    if not ids:
        return {}
    rows = await session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids)))
    return dict(rows.all())


@require_staff
async def fulfilments_page(request: Request) -> Response:
    """GET /staff/fulfilments?status=…: the latest fulfilments, of one status if asked."""
    status = query_param(request, "status", 40)
    if status and status not in STATUSES:
        status = ""  # an unknown status filters nothing, as the form offers only these
    async with request.app.state.db.read_session() as session:
        views = await recent_fulfilments(session, status=status or None, limit=RECENT)
        names = await _merchant_names(session, {v.fulfilment.merchant_id for v in views})
    return page(
        request,
        "staff/fulfilments.html",
        views=views,
        names=names,
        status=status,
        statuses=STATUSES,
    )


@require_staff
async def fulfilment_page(request: Request) -> Response:
    """GET /staff/fulfilments/{id}: lines with what was shipped, cancelled and left,
    shipments, and where to ship."""
    fulfilment_id = path_id(request)
    async with request.app.state.db.read_session() as session:
        view = await fulfilment_view(session, fulfilment_id)
        if view is None:
            raise HTTPException(404)
        names = await _merchant_names(session, {view.fulfilment.merchant_id})
    return page(
        request,
        "staff/fulfilment.html",
        view=view,
        merchant=names.get(view.fulfilment.merchant_id, ""),
        shipping=merchant_address(view.order),
    )


routes = [
    Route("/staff/fulfilments", fulfilments_page, methods=["GET"], name="staff_fulfilments"),
    Route("/staff/fulfilments/{id}", fulfilment_page, methods=["GET"], name="staff_fulfilment"),
]
