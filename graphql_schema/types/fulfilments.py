"""Fulfilment types (SPEC §8): what a merchant ships of an order, with the shipping name and
address of its own fulfilments only, and never the shopper's e-mail. Resolvers read
attributes or call the request's loaders (every list below is one batched statement)."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import models as cm
from graphql_schema.relay import Node, connection, register
from graphql_schema.types.base import _load
from graphql_schema.types.catalog import Product
from graphql_schema.types.licensing import Merchant
from graphql_schema.types.orders import ShippingAddress
from graphql_schema.visibility import sees_merchant_private
from licensing import models as lm
from orders import fulfilment_models as fm
from orders import models as om
from orders.addresses import address_dict

FulfilmentStatus = graphene.Enum.from_enum(
    fm.FulfilmentStatus,
    description=lambda member: (
        "Where a fulfilment stands."
        if member is None
        else {
            "AWAITING_SHIPMENT": "Nothing shipped yet.",
            "PARTIALLY_SHIPPED": "Some units shipped, some left to ship.",
            "SHIPPED": "Every unit not cancelled was shipped.",
            "CANCELLED": "Every unit was cancelled (and refunded).",
        }[member.name]
    ),
)


class FulfilmentLine(graphene.ObjectType):
    """Units to ship: a product line of the order, or one merch part of a bundle line."""

    class Meta:
        interfaces = (Node,)

    sku = graphene.String(required=True, description="The product's SKU when it was sold.")
    description = graphene.String(required=True, description="What to ship, in words.")
    quantity = graphene.Int(required=True, description="Units sold.")
    quantity_shipped = graphene.Int(required=True, description="Units shipped so far.")
    quantity_cancelled = graphene.Int(
        required=True, description="Units cancelled (and refunded to the shopper)."
    )
    quantity_left = graphene.Int(required=True, description="Units still to ship.")
    from_bundle = graphene.Boolean(
        required=True, description="True for a merch part of a ticket-plus-merch bundle."
    )
    product = graphene.Field(Product, description="The product.")

    @staticmethod
    def resolve_from_bundle(root: fm.FulfilmentLine, info: Any) -> bool:
        return root.bundle_allocation_id is not None

    @staticmethod
    def resolve_product(root: fm.FulfilmentLine, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)


class ShipmentLine(graphene.ObjectType):
    """Units of one fulfilment line in a shipment."""

    quantity = graphene.Int(required=True, description="Units shipped.")
    line = graphene.Field(FulfilmentLine, description="The fulfilment line.")

    @staticmethod
    def resolve_line(root: fm.ShipmentLine, info: Any) -> Any:
        return _load(info, fm.FulfilmentLine, root.fulfilment_line_id)


class Shipment(graphene.ObjectType):
    """A parcel sent to the shopper, with its carrier and tracking number."""

    class Meta:
        interfaces = (Node,)

    carrier = graphene.String(required=True, description="Who carries it.")
    tracking_number = graphene.String(required=True, description="The carrier's number.")
    shipped_at = graphene.DateTime(required=True, description="When it was shipped.")
    lines = graphene.List(
        graphene.NonNull(ShipmentLine), required=True, description="What it holds."
    )

    @staticmethod
    def resolve_lines(root: fm.Shipment, info: Any) -> Any:
        return info.context.loaders.list("shipment.lines").load(root.id)


async def _order(info: Any, root: fm.Fulfilment) -> om.Order:
    return await info.context.loaders.get(om.Order, root.order_id)


class Fulfilment(graphene.ObjectType):
    """One merchant's share of a paid order: what it ships, and where to. Never the
    shopper's e-mail."""

    class Meta:
        interfaces = (Node,)

    status = graphene.Field(graphene.NonNull(FulfilmentStatus), description="The status.")
    order_number = graphene.String(required=True, description="The order's number.")
    created_at = graphene.DateTime(required=True, description="When the order was paid.")
    shipping_address = graphene.Field(
        ShippingAddress,
        description="Whom and where to ship to (never the shopper's e-mail or phone); null "
        "for an order that ships nothing, and for a token without the `read` scope.",
    )
    merchant = graphene.Field(Merchant, description="The merchant who ships it.")
    lines = graphene.List(
        graphene.NonNull(FulfilmentLine), required=True, description="What to ship."
    )
    shipments = graphene.List(
        graphene.NonNull(Shipment), required=True, description="What was shipped, oldest first."
    )

    @staticmethod
    async def resolve_order_number(root: fm.Fulfilment, info: Any) -> str:
        return (await _order(info, root)).number

    @staticmethod
    async def resolve_shipping_address(root: fm.Fulfilment, info: Any) -> dict[str, Any] | None:
        # a mutation payload's fulfilment is not filtered by the reader: a token without
        # `read` (reading as the public) gets no shopper's name or address from it
        if not sees_merchant_private(info.context.viewer, root.merchant_id):
            return None
        found = await info.context.loaders.list("order.shipping_address").load(root.order_id)
        return address_dict(found[0]) if found else None

    @staticmethod
    def resolve_merchant(root: fm.Fulfilment, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)

    @staticmethod
    def resolve_lines(root: fm.Fulfilment, info: Any) -> Any:
        return info.context.loaders.list("fulfilment.lines").load(root.id)

    @staticmethod
    def resolve_shipments(root: fm.Fulfilment, info: Any) -> Any:
        return info.context.loaders.list("fulfilment.shipments").load(root.id)


FulfilmentConnection = connection(Fulfilment, "fulfilments")

for _model, _type in (
    (fm.Fulfilment, Fulfilment),
    (fm.FulfilmentLine, FulfilmentLine),
    (fm.Shipment, Shipment),
):
    register(_model, _type)
