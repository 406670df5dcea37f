"""Order mutations: refunds (staff)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import (
    MutationBase,
    actor_name,
    domain_errors,
    errors_field,
    find,
    not_found,
    run,
)
from graphql_schema.relay import decode_pk
from kernel.errors import Checks, DomainError
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


class RefundOrderLines(MutationBase):
    """Refund order lines through Stripe and post the ledger reversals (staff)."""

    permissions = (STAFF,)
    input_type = RefundOrderLinesInput
    input_description = "The refund."
    fields = {"order": "orderId", "order_id": "orderId"}
    order = graphene.Field(t.Order, description="The order after the refund.")
    refund_status = graphene.Field(
        sc.RefundStatus,
        description="COMPLETED, or PENDING when Stripe has not confirmed the refund yet; "
        "null when refused.",
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        """The lookups only: (order id, lines, actor); the refund runs outside (execute)."""
        checks = Checks()
        order = None
        with checks:
            order = await find(
                session, info, om.Order, input.order_id, type_name="Order", field="orderId"
            )
        lines = None
        if input.get("lines") is not None:
            lines = []
            for n, line in enumerate(input.lines, start=1):
                with checks:
                    pk = decode_pk(line.line_id, "OrderLine")
                    if pk is None:
                        raise not_found("order line", f"lines.{n}.lineId")
                    lines.append((pk, line.quantity))
        checks.done()
        return order.id, lines, await actor_name(session, info)

    @classmethod
    async def execute(cls, info: Any, input: Any) -> Any:
        found, errors = await run(info, lambda s: cls.perform(s, info, input), cls.fields)
        if found is None:
            return cls(order=None, errors=errors)
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
            return cls(order=None, errors=domain_errors(exc, cls.fields))
        ctx.reset_loaders()
        async with ctx.read_session() as session:
            order = await session.get(om.Order, order_id)
        status = sc.RefundStatus.PENDING if made.pending else sc.RefundStatus.COMPLETED
        return cls(order=order, refund_status=status, errors=[])


class OrderMutations(graphene.ObjectType):
    refund_order_lines = RefundOrderLines.field()
