"""Catalog mutations: merchants' products and stock; staff's bundles (cinemas, screens and
showtimes are in mutations/cinemas.py)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from catalog.bundles import create_bundle_offer
from catalog.products import create_product, merchant_sku, update_product
from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_WRITE, STAFF
from graphql_schema.mutations.base import (
    MoneyInput,
    MutationBase,
    amount,
    aware,
    errors_field,
    find,
    unless_refused,
)
from kernel.errors import Checks, DomainError, ErrorCode
from licensing import models as lm
from licensing.stock_alerts import adjust_stock_and_alert

PRODUCT_FIELDS = {
    "product_id": "id",
    "product": "id",
    "price_minor": "price",
    "agreement": "agreementId",
    "agreement_id": "agreementId",
    "film": "filmId",
    "film_id": "filmId",
    "currency": "price.currency",
}


def _merchant_of(info: Any, product: cm.Product) -> int:
    """The merchant a product change acts for: the viewer's own, or the product's for staff."""
    viewer = info.context.viewer
    return viewer.merchant_id if viewer.is_merchant else product.merchant_id


def _acting_merchant(info: Any) -> int | None:
    """The merchant a change is limited to: the viewer's own; None (any) for staff."""
    viewer = info.context.viewer
    return viewer.merchant_id if viewer.is_merchant else None


class CreateProductInput(graphene.InputObjectType):
    """A new licensed product; it starts as a DRAFT."""

    agreement_id = graphene.ID(required=True, description="The agreement it is sold under.")
    film_id = graphene.ID(required=True, description="The film it is licensed from.")
    sku = graphene.String(
        required=True,
        description="Your product code (letters, digits, . _ -). The product's SKU is your "
        "merchant prefix, a dash and this code (`0007-MUG`); a code that already starts "
        "with your prefix is kept as it is.",
    )
    name = graphene.String(required=True, description="The product name.")
    category = graphene.Field(
        graphene.NonNull(sc.Category), description="A category the agreement allows."
    )
    price = graphene.Field(
        graphene.NonNull(MoneyInput), description="The unit price, in the agreement's currency."
    )
    description = graphene.String(description="A description for shoppers.")
    stock = graphene.Int(description="Units in stock to start with (default 0).")
    image_url = graphene.String(description="The product image URL.")
    low_stock_threshold = graphene.Int(
        description="Send `stock.low` webhooks when stock falls to this many units or below "
        "(0 to 1,000,000,000; default: none)."
    )


class CreateProduct(MutationBase):
    """Create a licensed product under one of your agreements (staff: any agreement)."""

    permissions = (MERCHANT_WRITE,)
    input_type = CreateProductInput
    input_description = "The product."
    fields = PRODUCT_FIELDS
    product = graphene.Field(t.Product, description="The new product.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()  # every bad field at once; a refused value is given a stand-in
        agreement = film = None
        price_minor, currency = 1, None
        with checks:
            agreement = await find(
                session, info, lm.Agreement, input.agreement_id,
                type_name="Agreement", field="agreementId",
            )  # fmt: skip
        with checks:
            film = await find(
                session, info, cm.Film, input.film_id, type_name="Film", field="filmId"
            )
        with checks:
            price_minor, currency = amount(input.price, "price")
        viewer = info.context.viewer
        merchant_id = agreement.merchant_id if agreement else (viewer.merchant_id or 0)
        with unless_refused(checks, PRODUCT_FIELDS):
            product = await create_product(
                session,
                merchant_id=merchant_id,
                agreement_id=agreement.id if agreement else 0,
                film_id=film.id if film else 0,
                # the caller chooses a code inside the merchant's own namespace (SPEC §7)
                sku=merchant_sku(merchant_id, input.sku),
                name=input.name,
                category=input.category,
                price_minor=price_minor,
                currency=currency or (agreement.currency if agreement else "USD"),
                description=input.description or "",
                stock=input.stock or 0,
                image_url=input.image_url or "",
                low_stock_threshold=input.low_stock_threshold,
            )
        checks.done()
        return product


class UpdateProductInput(graphene.InputObjectType):
    """Changes to a product; fields left out stay as they are."""

    id = graphene.ID(required=True, description="The product.")
    name = graphene.String(description="A new name.")
    description = graphene.String(description="A new description.")
    price = graphene.Field(MoneyInput, description="A new unit price (same currency).")
    image_url = graphene.String(description="A new image URL.")
    low_stock_threshold = graphene.Int(
        description="A new low-stock threshold for `stock.low` webhooks; null clears it."
    )


class UpdateProduct(MutationBase):
    """Change a product's name, description, price, image or low-stock threshold."""

    permissions = (MERCHANT_WRITE,)
    input_type = UpdateProductInput
    input_description = "The changes."
    fields = PRODUCT_FIELDS
    product = graphene.Field(t.Product, description="The product as changed.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(session, info, cm.Product, input.id, type_name="Product", field="id")
        changes: dict[str, Any] = {}
        for key in ("name", "description", "image_url"):
            if input.get(key) is not None:
                changes[key] = input[key]
        if input.get("price") is not None:
            price_minor, currency = amount(input.price, "price")
            if currency != product.currency:
                raise DomainError(
                    ErrorCode.INVALID, f"The price must be in {product.currency}.", "price"
                )
            changes["price_minor"] = price_minor
        if "low_stock_threshold" in input:  # given, even as null (which clears it)
            changes["low_stock_threshold"] = input.low_stock_threshold
        merchant_id = _acting_merchant(info)
        return await update_product(session, product.id, merchant_id=merchant_id, **changes)


class AdjustStockInput(graphene.InputObjectType):
    """A stock change."""

    id = graphene.ID(required=True, description="The product.")
    delta = graphene.Int(
        required=True, description="Units to add (positive) or remove (negative); not zero."
    )


class AdjustStock(MutationBase):
    """Add or remove stock; stock never goes below zero. A removal that takes stock to the
    product's low-stock threshold or below sends `stock.low` webhooks."""

    permissions = (MERCHANT_WRITE,)
    input_type = AdjustStockInput
    input_description = "The change."
    fields = PRODUCT_FIELDS
    product = graphene.Field(t.Product, description="The product with its new stock.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(session, info, cm.Product, input.id, type_name="Product", field="id")
        return await adjust_stock_and_alert(
            session, product.id, input.delta, merchant_id=_acting_merchant(info),
            now=info.context.now,
        )  # fmt: skip


class BundleComponentInput(graphene.InputObjectType):
    """A merch part of a bundle."""

    product_id = graphene.ID(required=True, description="The product.")
    qty = graphene.Int(required=True, description="Units per bundle, at least 1.")


class CreateBundleOfferInput(graphene.InputObjectType):
    """A new ticket-plus-merch offer of one film."""

    film_id = graphene.ID(required=True, description="The film of the ticket.")
    code = graphene.String(required=True, description="A unique offer code.")
    name = graphene.String(required=True, description="The offer's name.")
    description = graphene.String(description="A description for shoppers.")
    price = graphene.Field(graphene.NonNull(MoneyInput), description="The bundle price.")
    valid_from = graphene.DateTime(required=True, description="When it goes on sale.")
    valid_to = graphene.DateTime(required=True, description="When it stops being sold.")
    per_order_limit = graphene.Int(required=True, description="Bundles per order at most.")
    components = graphene.List(
        graphene.NonNull(BundleComponentInput), required=True, description="The merch parts."
    )


class CreateBundleOffer(MutationBase):
    """Create a film's bundle offer (staff)."""

    permissions = (STAFF,)
    input_type = CreateBundleOfferInput
    input_description = "The offer."
    fields = {"price_minor": "price", "currency": "price.currency"}
    bundle_offer = graphene.Field(t.BundleOffer, description="The new offer.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()
        film = valid_from = valid_to = None
        price_minor, currency = 1, "USD"
        with checks:
            film = await find(
                session, info, cm.Film, input.film_id, type_name="Film", field="filmId"
            )
        components = []
        for n, part in enumerate(input.components, start=1):
            with checks:
                product = await find(
                    session, info, cm.Product, part.product_id,
                    type_name="Product", field=f"components.{n}.productId",
                )  # fmt: skip
                components.append((product.id, part.qty))
        with checks:
            price_minor, currency = amount(input.price, "price")
        with checks:
            valid_from = aware(input.valid_from, "validFrom")
        with checks:
            valid_to = aware(input.valid_to, "validTo")
        checks.done()  # the service needs every one of them
        return await create_bundle_offer(
            session,
            film_id=film.id,
            code=input.code,
            name=input.name,
            description=input.description or "",
            price_minor=price_minor,
            currency=currency,
            valid_from=valid_from,
            valid_to=valid_to,
            per_order_limit=input.per_order_limit,
            components=components,
        )


class CatalogMutations(graphene.ObjectType):
    create_product = CreateProduct.field()
    update_product = UpdateProduct.field()
    adjust_stock = AdjustStock.field()
    create_bundle_offer = CreateBundleOffer.field()
