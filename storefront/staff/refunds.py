"""Orders for staff: find an order, see its lines and refunds, refund it whole or in part."""

from __future__ import annotations

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.money import format_money
from kernel.parsing import InvalidInput, clean_text, parse_int
from orders.addresses import format_lines, load_shipping_address
from orders.codes import OrderError
from orders.models import Order
from orders.payments import StripeGateway
from orders.refunds import refund_order_lines, refunds_of_order
from orders.settlement import order_lines
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import error_message, flash, page
from storefront.web import now, path_for, path_param, query_param, read_form

RECENT = 50


@require_staff
async def orders_page(request: Request) -> Response:
    number = query_param(request, "number", 32)
    async with request.app.state.db.read_session() as session:
        if number:
            found = await session.scalar(select(Order.number).where(Order.number == number))
            if found:
                return RedirectResponse(path_for(request, "staff_order", number=found), 303)
        recent = list(
            await session.scalars(select(Order).order_by(Order.created_at.desc()).limit(RECENT))
        )
    return page(
        request,
        "staff/orders.html",
        orders=recent,
        number=number,
        not_found=bool(number),
    )


async def _order(session, number: str) -> Order:  # type: ignore[no-untyped-def]
    order = await session.scalar(select(Order).where(Order.number == number))
    if order is None:
        raise HTTPException(404)
    return order


@require_staff
async def order_page(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        order = await _order(session, path_param(request, "number"))
        lines = await order_lines(session, order.id)
        refunds = await refunds_of_order(session, order)
        address = await load_shipping_address(session, order.id)
    return page(
        request,
        "staff/order.html",
        order=order,
        lines=lines,
        refunds=refunds,
        address_lines=format_lines(address) if address else [],
        phone=address.phone if address else "",
    )


def _wanted_lines(form: FormData, line_ids: list[int]) -> list[tuple[int, int]] | None:
    """The (line id, quantity) pairs asked for, or None for "refund everything left"."""
    if form.get("scope") == "all":
        return None
    wanted = []
    for line_id in line_ids:
        qty = parse_int(form.get(f"qty_{line_id}") or "0", field=f"qty_{line_id}", min=0)
        if qty > 0:
            wanted.append((line_id, qty))
    if not wanted:
        raise DomainError(OrderError.INVALID_REFUND, "Choose at least one unit to refund.", "lines")
    return wanted


def _gateway(request: Request, order: Order) -> StripeGateway | None:
    """The app's Stripe gateway, when the order was paid through it; the service refuses if
    it is missing (no keys configured)."""
    if not order.payment_intent_id:
        return None
    return request.app.state.gateway


@require_staff
async def refund(request: Request) -> Response:
    form = await read_form(request)
    number = path_param(request, "number")
    reason = clean_text(form.get("reason"), field="reason", max_len=2000)
    db = request.app.state.db
    try:
        async with db.read_session() as session:
            order = await _order(session, number)
            line_ids = [line.id for line in await order_lines(session, order.id)]
        # The service runs its own short transactions: none is open while Stripe pays back.
        made = await refund_order_lines(
            db,
            order.id,
            _wanted_lines(form, line_ids),
            restock=form.get("restock") == "on",
            by=staff_name(request),
            gateway=_gateway(request, order),
            now=now(request),
            reason=reason,
        )
        amount = format_money(made.refund.amount_minor, order.currency)
        if made.pending:
            pending = DomainError(
                OrderError.REFUND_PENDING,
                f"The refund of {amount} is pending confirmation from Stripe: its answer did "
                "not come. The lines count as refunded meanwhile; the payment reconcile job "
                "completes the refund, or undoes it if Stripe refused.",
            )
            message, kind = error_message(pending), "warning"
        else:
            message, kind = f"Refunded {amount}.", "ok"
    except InvalidInput:
        raise  # a malformed field is a 400, not a notice
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, message, kind)
    return RedirectResponse(path_for(request, "staff_order", number=number), status_code=303)


routes = [
    Route("/staff/orders", orders_page, methods=["GET"], name="staff_orders"),
    Route("/staff/orders/{number}", order_page, methods=["GET"], name="staff_order"),
    Route("/staff/orders/{number}/refund", refund, methods=["POST"], name="staff_refund"),
]
