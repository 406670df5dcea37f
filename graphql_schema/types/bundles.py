"""Bundle types: a film's ticket-plus-merch offers, their merch parts and availability."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema.relay import Node, decode_pk
from graphql_schema.types.base import NodeObject, _lazy, _load
from graphql_schema.types.catalog import Film, Product


class BundleComponent(graphene.ObjectType):
    """A fixed merch part of a bundle offer."""

    position = graphene.Int(required=True, description="Its place in the bundle, from 1.")
    product = graphene.Field(Product, description="The product; null unless you may see it.")
    qty = graphene.Int(required=True, description="Units of the product per bundle.")
    choose_variant = graphene.Boolean(
        required=True,
        description="Whether the shopper chooses the variant (a size) when buying the bundle.",
    )
    variant = graphene.Field(
        _lazy("Variant"), description="The variant the bundle holds, when it fixes one."
    )

    @staticmethod
    def resolve_product(root: cm.BundleComponent, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)

    @staticmethod
    async def resolve_choose_variant(root: cm.BundleComponent, info: Any) -> bool:
        if root.choose_variant or root.variant_id is not None:
            return bool(root.choose_variant)
        product = await info.context.loaders.get(cm.Product, root.product_id)
        return bool(product is not None and product.options)  # it gained sizes later

    @staticmethod
    def resolve_variant(root: cm.BundleComponent, info: Any) -> Any:
        return _load(info, cm.Variant, root.variant_id)


class BundleAvailability(graphene.ObjectType):
    """How many bundles can be bought for one showtime, and when none, why."""

    available = graphene.Int(required=True, description="Bundles that can be bought now.")
    refusal = graphene.String(description="Why none can be bought: a stable code.")
    message = graphene.String(description="Why none can be bought, in plain words.")


class BundleOffer(NodeObject):
    """A film's ticket-plus-merch offer: one ticket of a chosen showtime plus fixed merch."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The unique offer code.")
    name = graphene.String(required=True, description="The offer's name.")
    description = graphene.String(required=True, description="A description for shoppers.")
    price = sc.money_field("The bundle price.", "price_minor")
    valid_from = graphene.DateTime(required=True, description="When it can first be bought.")
    valid_to = graphene.DateTime(required=True, description="When it stops being sold.")
    per_order_limit = graphene.Int(required=True, description="Bundles per order at most.")
    film = graphene.Field(graphene.NonNull(Film), description="The film of the ticket.")
    components = graphene.List(
        graphene.NonNull(BundleComponent), required=True, description="The merch parts."
    )

    @staticmethod
    def resolve_film(root: cm.BundleOffer, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    availability = graphene.Field(
        BundleAvailability,
        showtime_id=graphene.ID(required=True, description="A showtime of the offer's film."),
        description="Availability for one showtime: the fewest of its free seats and each "
        "component's stock per bundle; null when the showtime does not exist.",
    )

    @staticmethod
    def resolve_components(root: cm.BundleOffer, info: Any) -> Any:
        return info.context.loaders.list("bundle.components").load(root.id)

    @staticmethod
    def resolve_availability(root: cm.BundleOffer, info: Any, showtime_id: str) -> Any:
        showtime = decode_pk(showtime_id, "Showtime")
        if showtime is None:
            return None
        return info.context.loaders.availability().load((root.id, showtime))
