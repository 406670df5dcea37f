"""Variant mutations (SPEC §7 createVariant/updateVariant): a merchant's sizes and colours of
its own products (staff: of any product). Thin: the rules live in catalog/variants.py."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from catalog.variants import adjust_variant_stock, create_variant, update_variant
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_WRITE
from graphql_schema.mutations.base import (
    MoneyInput,
    MutationBase,
    amount,
    errors_field,
    find,
)
from kernel.errors import DomainError, ErrorCode
from licensing.stock_alerts import queue_low_stock

VARIANT_FIELDS = {
    "product_id": "productId",
    "variant_id": "id",
    "price_minor": "price",
    "currency": "price.currency",
    "delta": "stockDelta",
}


class OptionValueInput(graphene.InputObjectType):
    """One option of a variant."""

    name = graphene.String(required=True, description="The option's name, e.g. size.")
    value = graphene.String(required=True, description="Its value, e.g. M.")


def _merchant(info: Any) -> int | None:
    viewer = info.context.viewer
    return viewer.merchant_id if viewer.is_merchant else None


def _price(value: Any, product: cm.Product) -> int:
    price_minor, currency = amount(value, "price")
    if currency != product.currency:
        raise DomainError(ErrorCode.INVALID, f"The price must be in {product.currency}.", "price")
    return price_minor


class CreateVariantInput(graphene.InputObjectType):
    """A new variant of one of your products."""

    product_id = graphene.ID(required=True, description="The product.")
    code = graphene.String(
        required=True,
        description="Your code for the variant (letters, digits, . _ -): its SKU is your "
        "merchant prefix, a dash and the code (`0007-TEE-M`), unique among products and "
        "variants.",
    )
    options = graphene.List(
        graphene.NonNull(OptionValueInput),
        required=True,
        description="Its option values (1 to 3). The product's first variant sets its option "
        "names; later ones name the same options with a new combination of values.",
    )
    price = graphene.Field(
        MoneyInput,
        description="Its own unit price (the product's currency); default: the product's price.",
    )
    stock = graphene.Int(
        description="Units in stock to start with (default 0). The first variant needs the "
        "product's own stock at 0: a product with variants keeps its stock per variant."
    )
    position = graphene.Int(description="Its place among the variants (default: last).")


class CreateVariant(MutationBase):
    """Add a variant (a size, a colour) to one of your products (staff: any product)."""

    permissions = (MERCHANT_WRITE,)
    input_type = CreateVariantInput
    input_description = "The variant."
    fields = VARIANT_FIELDS
    variant = graphene.Field(t.Variant, description="The new variant.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(
            session, info, cm.Product, input.product_id, type_name="Product", field="productId"
        )
        price = _price(input.price, product) if input.get("price") is not None else None
        return await create_variant(
            session,
            product.id,
            merchant_id=_merchant(info),
            code=input.code,
            options=[(o.name, o.value) for o in input.options],
            price_minor=price,
            stock=input.stock or 0,
            position=input.get("position"),
        )


class UpdateVariantInput(graphene.InputObjectType):
    """Changes to a variant; fields left out stay as they are."""

    id = graphene.ID(required=True, description="The variant.")
    price = graphene.Field(
        MoneyInput,
        description="A new price of its own (the product's currency); null: the "
        "product's price again.",
    )
    position = graphene.Int(description="A new place among the variants (0 to 999).")
    stock_delta = graphene.Int(
        description="Units to add (positive) or remove (negative), as adjustStock does for a "
        "product; stock never goes below zero."
    )


class UpdateVariant(MutationBase):
    """Change a variant's price, position or stock (staff: of any product). A removal that
    takes the product's stock to its low-stock threshold or below sends `stock.low`."""

    permissions = (MERCHANT_WRITE,)
    input_type = UpdateVariantInput
    input_description = "The changes."
    fields = VARIANT_FIELDS
    variant = graphene.Field(t.Variant, description="The variant as changed.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        variant = await find(session, info, cm.Variant, input.id, type_name="Variant", field="id")
        product = await session.get(cm.Product, variant.product_id)
        assert product is not None
        changes: dict[str, Any] = {}
        if "price" in input:  # given, even as null (which clears the override)
            price = input.get("price")
            changes["price_minor"] = None if price is None else _price(price, product)
        if input.get("position") is not None:
            changes["position"] = input.position
        merchant_id = _merchant(info)
        variant = await update_variant(session, variant.id, merchant_id=merchant_id, **changes)
        delta = input.get("stock_delta")
        if delta is not None:
            variant = await adjust_variant_stock(
                session, variant.id, delta, merchant_id=merchant_id
            )
            if delta < 0:
                await queue_low_stock(session, {product.id: -delta}, now=info.context.now)
        return variant


class VariantMutations(graphene.ObjectType):
    create_variant = CreateVariant.field()
    update_variant = UpdateVariant.field()
