"""Order types: a merchant sees only its own lines and never the shopper's email."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema.relay import Node
from graphql_schema.types.base import NodeObject, _load
from graphql_schema.types.bundles import BundleOffer
from graphql_schema.types.catalog import Product, Showtime
from orders import models as om


class OrderLine(NodeObject):
    """A product, ticket or bundle line of an order."""

    class Meta:
        interfaces = (Node,)

    kind = graphene.Field(graphene.NonNull(sc.LineKind), description="What the line sells.")
    description = graphene.String(required=True, description="What the shopper saw.")
    quantity = graphene.Int(required=True, description="Units, tickets or bundles.")
    refunded_quantity = graphene.Int(required=True, description="How many were refunded.")
    unit_price = graphene.Field(graphene.NonNull(sc.Money), description="The unit price.")
    total = graphene.Field(graphene.NonNull(sc.Money), description="The line total.")
    product = graphene.Field(Product, description="The product of a product line.")
    showtime = graphene.Field(Showtime, description="The showtime of a ticket or bundle line.")
    bundle_offer = graphene.Field(BundleOffer, description="The offer of a bundle line.")

    @staticmethod
    async def resolve_unit_price(root: om.OrderLine, info: Any) -> Any:
        return sc.money(root.unit_price_minor, await _order_currency(info, root))

    @staticmethod
    async def resolve_total(root: om.OrderLine, info: Any) -> Any:
        return sc.money(root.total_minor, await _order_currency(info, root))

    @staticmethod
    def resolve_product(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)

    @staticmethod
    def resolve_showtime(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.Showtime, root.showtime_id)

    @staticmethod
    def resolve_bundle_offer(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.BundleOffer, root.bundle_offer_id)


class ShippingAddress(graphene.ObjectType):
    """Where an order's merch ships, in parts checked by the rules of its country, and as
    its post writes it. Its root is `orders.addresses.shipping_address_of(order)`."""

    name = graphene.String(required=True, description="The addressee.")
    line1 = graphene.String(required=True, description="The first address line.")
    line2 = graphene.String(required=True, description="The second address line, or empty.")
    city = graphene.String(
        required=True, description="The city (post town, suburb), or empty where unused."
    )
    area = graphene.String(
        required=True,
        description="The country's first-level area (state, prefecture, province) as its "
        "address data names it, or empty where unused.",
    )
    postcode = graphene.String(required=True, description="The postcode (ZIP code), or empty.")
    country = graphene.String(required=True, description="The ISO 3166-1 alpha-2 country code.")
    formatted = graphene.String(
        required=True,
        description="The whole address as the country's post writes it, one line per line, "
        "the country last.",
    )


async def _order_currency(info: Any, line: om.OrderLine) -> str:
    order = await info.context.loaders.get(om.Order, line.order_id)
    return order.currency


class Order(NodeObject):
    """A shopper's order. Merchants see only their own lines and never the shopper's email."""

    class Meta:
        interfaces = (Node,)

    number = graphene.String(required=True, description="The order number.")
    email = graphene.String(description="The shopper's email; staff only.")
    country = graphene.String(required=True, description="The shipping (or cinema) country.")
    currency = graphene.String(required=True, description="The order's currency.")
    status = graphene.Field(graphene.NonNull(sc.OrderStatus), description="The status.")
    total = graphene.Field(sc.Money, description="The order total; staff only.")
    refunded = graphene.Field(sc.Money, description="How much was refunded; staff only.")
    created_at = graphene.DateTime(required=True, description="When it was placed.")
    paid_at = graphene.DateTime(description="When it was paid.")
    lines = graphene.List(
        graphene.NonNull(OrderLine),
        required=True,
        description="The lines you may see (a merchant: its own lines only).",
    )

    @staticmethod
    def resolve_email(root: om.Order, info: Any) -> str | None:
        return root.email if info.context.viewer.is_staff else None

    @staticmethod
    def resolve_total(root: om.Order, info: Any) -> Any:
        return sc.money(root.total_minor, root.currency) if info.context.viewer.is_staff else None

    @staticmethod
    def resolve_refunded(root: om.Order, info: Any) -> Any:
        if not info.context.viewer.is_staff:
            return None
        return sc.money(root.refunded_minor, root.currency)

    @staticmethod
    def resolve_lines(root: om.Order, info: Any) -> Any:
        return info.context.loaders.list("order.lines").load(root.id)
