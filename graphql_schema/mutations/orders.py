"""Order mutations: refunds (staff)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import staff_only
from graphql_schema.mutations.base import (
    actor_name,
    domain_errors,
    errors_field,
    find,
    not_found,
    run,
)
from graphql_schema.relay import decode_pk
from kernel.errors import DomainError
from orders import models as om
from orders.payments import StripeGateway
from orders.refunds import refund_order_lines


class RefundLineInput(graphene.InputObjectType):
    """Units of one order line to refund."""

    line_id = graphene.ID(required=True, description="The order line (an OrderLine ID).")
    quantity = graphene.Int(required=True, description="How many of its units.")


class RefundOrderLinesInput(graphene.InputObjectType):
    """A refund of some lines of a paid order, or of everything left when `lines` is null."""

    order_id = graphene.ID(required=True, description="The order.")
    lines = graphene.List(
        graphene.NonNull(RefundLineInput), description="The lines; null refunds all that is left."
    )
    restock = graphene.Boolean(description="Put refunded merch back in stock (default false).")
    reason = graphene.String(description="Why, for the record.")


def _gateway(info: Any) -> StripeGateway | None:
    # The app's one gateway; None without keys: the service refuses with
    # PAYMENT_UNAVAILABLE when it needs Stripe.
    return info.context.app.state.gateway


class RefundOrderLines(graphene.Mutation):
    """Refund order lines through Stripe and post the ledger reversals (staff)."""

    class Meta:
        name = "RefundOrderLinesPayload"

    class Arguments:
        input = RefundOrderLinesInput(required=True, description="The refund.")

    order = graphene.Field(t.Order, description="The order after the refund.")
    refund_status = graphene.Field(
        sc.RefundStatus,
        description="COMPLETED, or PENDING when Stripe has not confirmed the refund yet; "
        "null when refused.",
    )
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> RefundOrderLines:
        fields = {"order": "orderId", "order_id": "orderId"}

        async def lookup(session: Any) -> Any:
            order = await find(
                session, info, om.Order, input.order_id, type_name="Order", field="orderId"
            )
            lines = None
            if input.get("lines") is not None:
                lines = []
                for i, line in enumerate(input.lines):
                    pk = decode_pk(line.line_id, "OrderLine")
                    if pk is None:
                        raise not_found("order line", f"lines.{i}.lineId")
                    lines.append((pk, line.quantity))
            return order.id, lines, await actor_name(session, info)

        found, errors = await run(info, lookup, fields)
        if found is None:
            return RefundOrderLines(order=None, errors=errors)
        order_id, lines, by = found
        ctx = info.context
        try:
            # Its own short transactions, none open while Stripe pays back.
            made = await refund_order_lines(
                ctx.db,
                order_id,
                lines,
                restock=bool(input.get("restock")),
                by=by,
                gateway=_gateway(info),
                now=ctx.now,
                reason=input.get("reason") or "",
            )
        except DomainError as exc:
            return RefundOrderLines(order=None, errors=domain_errors(exc, fields))
        ctx.reset_loaders()
        async with ctx.db.read_session() as session:
            order = await session.get(om.Order, order_id)
        status = sc.RefundStatus.PENDING if made.pending else sc.RefundStatus.COMPLETED
        return RefundOrderLines(order=order, refund_status=status, errors=[])


class OrderMutations(graphene.ObjectType):
    refund_order_lines = RefundOrderLines.Field(description=RefundOrderLines.__doc__)
