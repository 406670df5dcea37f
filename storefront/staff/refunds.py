"""Orders for staff: find an order, see its lines and refunds, refund it whole or in part."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
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
from orders.models import LineKind, Order
from orders.payments import StripeGateway
from orders.refund_plan import bundle_refund, plan_lines, refunded_units
from orders.refunds import REFUNDABLE, refund_order_lines, refunds_of_order
from orders.settlement import order_lines
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import (
    Confirmation,
    confirm_page,
    confirmed,
    flash,
    flash_error,
    page,
)
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


async def _order(session: AsyncSession, number: str) -> Order:
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


async def _preview(
    session: AsyncSession, order: Order, wanted: list[tuple[int, int]] | None
) -> tuple[int, list[str]]:
    """(amount, "2 x Night Harbor tee" lines) a refund of `wanted` would give back, by the
    refund's own plan (read only: nothing is written or locked); its refusals as the refund's."""
    if order.status not in REFUNDABLE:
        raise DomainError(
            OrderError.NOT_REFUNDABLE,
            f"Only paid orders can be refunded; this one is {order.status.replace('_', ' ')}.",
        )
    lines = await order_lines(session, order.id)
    plan = plan_lines(lines, wanted)
    refunded = await refunded_units(session, [p.id for line, _ in plan for p in line.allocations])
    amount, described = 0, []
    for line, qty in plan:
        if line.kind == LineKind.BUNDLE:
            money, _ = bundle_refund(line, qty, refunded)
        else:
            money = line.unit_price_minor * qty
        amount += money
        name = line.description or f"line {line.id}"
        described.append(f"{qty} x {name}: {format_money(money, order.currency)}")
    return amount, described


def _refund_confirmation(
    request: Request, order: Order, form: FormData, amount: int, described: list[str]
) -> Confirmation:
    restock = form.get("restock") == "on"
    reason = str(form.get("reason") or "")
    to = "the card it was paid with" if order.payment_intent_id else "the shopper"
    consequences = [
        f"{format_money(amount, order.currency)} of order {order.number} is paid back to {to}.",
        *described,
        "Tickets of refunded ticket and bundle lines are voided and their seats freed.",
        "Merchandise goes back to stock."
        if restock
        else "Merchandise does not go back to stock (the box was not ticked).",
        f"Reason kept with the refund: {reason}" if reason else "No reason is kept.",
        "A refund cannot be taken back.",
    ]
    keep = [(k, str(v)) for k, v in form.multi_items() if k.startswith("qty_") or k == "scope"]
    keep += [("reason", reason)] + ([("restock", "on")] if restock else [])
    return Confirmation(
        title=f"Refund {format_money(amount, order.currency)} of {order.number}",
        action=path_for(request, "staff_refund", number=order.number),
        consequences=consequences,
        button=f"Yes, refund {format_money(amount, order.currency)}",
        cancel=path_for(request, "staff_order", number=order.number),
        fields=keep,
    )


@require_staff
async def refund(request: Request) -> Response:
    """Refund in two steps: the first POST is answered with the amount and the units it would
    give back (nothing is written); only the second (`confirmed=yes`) refunds."""
    form = await read_form(request)
    number = path_param(request, "number")
    reason = clean_text(form.get("reason"), field="reason", max_len=2000)
    db = request.app.state.db
    try:
        async with db.read_session() as session:
            order = await _order(session, number)
            line_ids = [line.id for line in await order_lines(session, order.id)]
            wanted = _wanted_lines(form, line_ids)
            if not confirmed(form):
                amount, described = await _preview(session, order, wanted)
                return confirm_page(
                    request, _refund_confirmation(request, order, form, amount, described)
                )
        # The service runs its own short transactions: none is open while Stripe pays back.
        made = await refund_order_lines(
            db,
            order.id,
            wanted,
            restock=form.get("restock") == "on",
            by=staff_name(request),
            gateway=_gateway(request, order),
            now=now(request),
            reason=reason,
        )
        amount_text = format_money(made.refund.amount_minor, order.currency)
        if made.pending:
            flash(
                request,
                f"The refund of {amount_text} is pending confirmation from Stripe: its answer "
                "did not come. The lines count as refunded meanwhile; the payment reconcile job "
                "completes the refund, or undoes it if Stripe refused.",
                "warning",
                code=OrderError.REFUND_PENDING,
            )
        else:
            flash(request, f"Refunded {amount_text}.")
    except InvalidInput:
        raise  # a malformed field is a 400, not a notice
    except DomainError as error:
        flash_error(request, error)
    return RedirectResponse(path_for(request, "staff_order", number=number), status_code=303)


routes = [
    Route("/staff/orders", orders_page, methods=["GET"], name="staff_orders"),
    Route("/staff/orders/{number}", order_page, methods=["GET"], name="staff_order"),
    Route("/staff/orders/{number}/refund", refund, methods=["POST"], name="staff_refund"),
]
