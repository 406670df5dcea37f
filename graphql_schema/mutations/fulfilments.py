"""Fulfilment mutations (SPEC §8): a merchant ships its own fulfilments or cancels the units
it cannot ship (refunded to the shopper); staff may act on any. Another merchant's
fulfilment or line is NOT_FOUND, like one that does not exist."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema import scalars as sc
from graphql_schema.auth import MERCHANT_WRITE
from graphql_schema.mutations.base import (
    MutationBase,
    actor_name,
    domain_errors,
    errors_field,
    run,
)
from graphql_schema.relay import decode_pk
from graphql_schema.types.fulfilments import Fulfilment, Shipment
from kernel.errors import DomainError
from orders import fulfilment_models as fm
from orders.fulfilments import cancel_fulfilment_lines, create_shipment
from orders.payments import StripeGateway


class FulfilmentLineQuantityInput(graphene.InputObjectType):
    """Units of one fulfilment line."""

    fulfilment_line_id = graphene.ID(
        required=True, description="The line (a FulfilmentLine ID of this fulfilment)."
    )
    quantity = graphene.Int(required=True, description="How many units: 1 or more.")


class CreateShipmentInput(graphene.InputObjectType):
    """A parcel: some units of some lines of one fulfilment."""

    fulfilment_id = graphene.ID(required=True, description="The fulfilment.")
    lines = graphene.List(
        graphene.NonNull(FulfilmentLineQuantityInput),
        required=True,
        description="The lines and units shipped; at most what is left of each.",
    )
    carrier = graphene.String(
        required=True, description="Who carries it: one line of 1-100 characters."
    )
    tracking_number = graphene.String(
        required=True,
        description="The carrier's tracking number: 1-100 letters, digits, spaces, dots, "
        "slashes and dashes.",
    )


class CancelFulfilmentLinesInput(graphene.InputObjectType):
    """Units you cannot ship: cancelled and refunded to the shopper."""

    fulfilment_id = graphene.ID(required=True, description="The fulfilment.")
    lines = graphene.List(
        graphene.NonNull(FulfilmentLineQuantityInput),
        required=True,
        description="The lines and units cancelled; at most what is left to ship of each.",
    )


def _acting_merchant(info: Any) -> int | None:
    """The merchant a change is limited to: the viewer's own; None (any) for staff."""
    viewer = info.context.viewer
    return viewer.merchant_id if viewer.is_merchant else None


def _ids(input: Any) -> tuple[int | None, list[tuple[int | None, Any]]]:
    """The fulfilment's and lines' primary keys; None for an ID that names nothing (the
    service answers NOT_FOUND for it, with its field)."""
    lines = [
        (decode_pk(line.fulfilment_line_id, "FulfilmentLine"), line.quantity)
        for line in input.lines
    ]
    return decode_pk(input.fulfilment_id, "Fulfilment"), lines


class CreateShipment(MutationBase):
    """Ship some units of a fulfilment with a carrier and tracking number (partial
    shipments allowed, never more than is left); the shopper is e-mailed the tracking."""

    permissions = (MERCHANT_WRITE,)
    input_type = CreateShipmentInput
    input_description = "The shipment."
    shipment = graphene.Field(Shipment, description="The shipment made.")
    fulfilment = graphene.Field(Fulfilment, description="The fulfilment after the shipment.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        fulfilment_id, lines = _ids(input)
        shipment = await create_shipment(
            session,
            merchant_id=_acting_merchant(info),
            fulfilment_id=fulfilment_id,
            lines=lines,
            carrier=input.carrier,
            tracking_number=input.tracking_number,
            now=info.context.now,
        )
        return {
            "shipment": shipment,
            "fulfilment": await session.get(fm.Fulfilment, shipment.fulfilment_id),
        }


def _gateway(info: Any) -> StripeGateway | None:
    return info.context.app.state.gateway


class CancelFulfilmentLines(MutationBase):
    """Cancel units you cannot ship: they are refunded to the shopper through Stripe and
    the royalty ledger mirrors them; a bundle's merch part refunds its share of the bundle
    price and the ticket stays valid."""

    permissions = (MERCHANT_WRITE,)
    input_type = CancelFulfilmentLinesInput
    input_description = "The units cancelled."
    fulfilment = graphene.Field(Fulfilment, description="The fulfilment after the change.")
    refund_status = graphene.Field(
        sc.RefundStatus,
        description="COMPLETED, or PENDING when Stripe has not confirmed the refund yet; "
        "null when refused.",
    )
    errors = errors_field()

    @classmethod
    async def execute(cls, info: Any, input: Any) -> Any:
        # The refund runs its own short transactions, none open while Stripe pays back.
        by, _ = await run(info, lambda s: actor_name(s, info))
        fulfilment_id, lines = _ids(input)
        ctx = info.context
        try:
            made = await cancel_fulfilment_lines(
                ctx.db,
                merchant_id=_acting_merchant(info),
                fulfilment_id=fulfilment_id,
                lines=lines,
                by=by or "",
                gateway=_gateway(info),
                now=ctx.now,
            )
        except DomainError as exc:
            return cls(fulfilment=None, errors=domain_errors(exc, cls.fields))
        ctx.reset_loaders()
        async with ctx.read_session() as session:
            found = await session.get(fm.Fulfilment, fulfilment_id)
        status = sc.RefundStatus.PENDING if made.pending else sc.RefundStatus.COMPLETED
        return cls(fulfilment=found, refund_status=status, errors=[])


class FulfilmentMutations(graphene.ObjectType):
    create_shipment = CreateShipment.field()
    cancel_fulfilment_lines = CancelFulfilmentLines.field()
