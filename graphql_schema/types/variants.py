"""Variants of a product (sizes, colours): their SKU, options, price and stock."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import models as cm
from catalog.image_models import Image as ImageModel
from graphql_schema import scalars as sc
from graphql_schema.relay import Node
from graphql_schema.types.base import NodeObject, _lazy, _load
from graphql_schema.types.media import Image
from graphql_schema.visibility import sees_merchant_private


class OptionValue(graphene.ObjectType):
    """One option of a variant: its name (`size`) and value (`M`)."""

    name = graphene.String(required=True, description="The option's name, e.g. size.")
    value = graphene.String(required=True, description="Its value, e.g. M.")


class Variant(NodeObject):
    """One buyable version of a product (size M, colour black) with its own SKU (the
    merchant's prefix, a dash and its code), an optional price of its own and its own stock.
    Shoppers buy a product with variants by choosing one of them."""

    class Meta:
        interfaces = (Node,)

    sku = graphene.String(required=True, description="The variant's unique SKU.")
    options = graphene.List(
        graphene.NonNull(OptionValue),
        required=True,
        description="Its option values, in the product's option order.",
    )
    price = graphene.Field(
        graphene.NonNull(sc.Money),
        description="Its unit price: its own when set, else the product's.",
    )
    has_own_price = graphene.Boolean(
        required=True, description="Whether the variant overrides the product's price."
    )
    stock = graphene.Int(description="Units in stock; null unless you are staff or its merchant.")
    in_stock = graphene.Boolean(required=True, description="Whether at least one unit is left.")
    position = graphene.Int(required=True, description="Its place among the product's variants.")
    product = graphene.Field(
        graphene.NonNull(_lazy("Product")), description="The product it is a variant of."
    )
    image = graphene.Field(Image, description="Its photo (setVariantImage); null when it has none.")

    @staticmethod
    def resolve_image(root: cm.Variant, info: Any) -> Any:
        return _load(info, ImageModel, root.image_id)

    @staticmethod
    async def _product(root: cm.Variant, info: Any) -> cm.Product:
        return await info.context.loaders.get(cm.Product, root.product_id)

    @staticmethod
    async def resolve_options(root: cm.Variant, info: Any) -> list[OptionValue]:
        product = await Variant._product(root, info)
        names = product.options if product is not None else []
        return [
            OptionValue(name=name, value=value)
            for name, value in zip(names, root.values, strict=False)
        ]

    @staticmethod
    async def resolve_price(root: cm.Variant, info: Any) -> Any:
        product = await Variant._product(root, info)
        return sc.money(root.price_minor or product.price_minor, product.currency)

    @staticmethod
    def resolve_has_own_price(root: cm.Variant, info: Any) -> bool:
        return root.price_minor is not None

    @staticmethod
    async def resolve_stock(root: cm.Variant, info: Any) -> int | None:
        product = await Variant._product(root, info)
        private = sees_merchant_private(info.context.viewer, product.merchant_id)
        return root.stock if private else None

    @staticmethod
    def resolve_in_stock(root: cm.Variant, info: Any) -> bool:
        return root.stock > 0

    @staticmethod
    def resolve_product(root: cm.Variant, info: Any) -> Any:
        return info.context.loaders.load(cm.Product, root.product_id)
