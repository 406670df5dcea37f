"""Mutations that use uploaded images (`POST /uploads` gives the upload ids): product
photos, approval submissions with their artwork, and film posters."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from catalog.product_images import add_product_image, remove_product_image, set_film_poster
from catalog.variants import set_variant_image
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_WRITE, STAFF
from graphql_schema.mutations.base import MutationBase, errors_field, find
from graphql_schema.mutations.catalog import PRODUCT_FIELDS, _acting_merchant, _merchant_of
from graphql_schema.relay import decode_pk
from graphql_schema.types.media import ProductPhoto
from graphql_schema.uploads import UPLOAD_TYPE, uploaded_image
from licensing.artwork import submit_product_with_artwork

IMAGE_FIELDS = {**PRODUCT_FIELDS, "product_id": "productId", "upload_id": "uploadId"}


def _upload_pk(value: str | None) -> int | None:
    """The image behind an upload id; None (not found) for a malformed one."""
    return decode_pk(value, UPLOAD_TYPE)


class AddProductImageInput(graphene.InputObjectType):
    """A photo to add to a product, after the product's other photos."""

    product_id = graphene.ID(required=True, description="The product.")
    upload_id = graphene.ID(required=True, description="The `id` that `POST /uploads` returned.")
    alt = graphene.String(description="What the photo shows, for screen readers (≤ 300).")


class AddProductImage(MutationBase):
    """Add an uploaded photo to a product (a merchant: its own product and its own upload;
    another's is not found). At most 12 photos, each once."""

    permissions = (MERCHANT_WRITE,)
    input_type = AddProductImageInput
    input_description = "The photo."
    fields = IMAGE_FIELDS
    product = graphene.Field(t.Product, description="The product with its photos.")
    image = graphene.Field(ProductPhoto, description="The photo added.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(
            session, info, cm.Product, input.product_id, type_name="Product", field="product_id"
        )
        photo = await add_product_image(
            session,
            product.id,
            _upload_pk(input.upload_id),
            alt=input.alt or "",
            merchant_id=_acting_merchant(info),
            now=info.context.now,
        )
        return {"product": product, "image": photo}


class RemoveProductImageInput(graphene.InputObjectType):
    """A photo to take off a product."""

    product_id = graphene.ID(required=True, description="The product.")
    upload_id = graphene.ID(required=True, description="The photo's upload id.")


class RemoveProductImage(MutationBase):
    """Take a photo off a product (the upload itself is kept)."""

    permissions = (MERCHANT_WRITE,)
    input_type = RemoveProductImageInput
    input_description = "The photo."
    fields = IMAGE_FIELDS
    product = graphene.Field(t.Product, description="The product with its remaining photos.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(
            session, info, cm.Product, input.product_id, type_name="Product", field="product_id"
        )
        return await remove_product_image(
            session,
            product.id,
            _upload_pk(input.upload_id),
            merchant_id=_acting_merchant(info),
            now=info.context.now,
        )


class SubmitProductForApprovalInput(graphene.InputObjectType):
    """A submission of the product's concept (from DRAFT) or sample (from CONCEPT_APPROVED)."""

    id = graphene.ID(required=True, description="The product.")
    comment = graphene.String(description="A note for the reviewer.")
    artwork = graphene.List(
        graphene.NonNull(graphene.ID),
        description="Upload ids of your images for the reviewer: concept art with a concept "
        "submission, photos of the sample with a sample submission (at most 12).",
    )


class SubmitProductForApproval(MutationBase):
    """Submit a product's concept or sample for review by licensing staff, with artwork."""

    permissions = (MERCHANT_WRITE,)
    input_type = SubmitProductForApprovalInput
    input_description = "The submission."
    fields = PRODUCT_FIELDS
    product = graphene.Field(t.Product, description="The product in its new stage.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(session, info, cm.Product, input.id, type_name="Product", field="id")
        await submit_product_with_artwork(
            session,
            product.id,
            merchant_id=_merchant_of(info, product),
            comment=input.comment or "",
            artwork_ids=[_upload_pk(upload) for upload in input.artwork or []],
            now=info.context.now,
        )
        return product


class SetFilmPosterInput(graphene.InputObjectType):
    """A film's poster: an image uploaded with a staff token."""

    film_id = graphene.ID(required=True, description="The film.")
    upload_id = graphene.ID(description="The poster's upload id; null removes the poster.")


class SetFilmPoster(MutationBase):
    """Set or remove a film's poster (staff)."""

    permissions = (STAFF,)
    input_type = SetFilmPosterInput
    input_description = "The poster."
    fields = {"film": "filmId", "poster": "uploadId"}
    film = graphene.Field(t.Film, description="The film with its poster.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        film = await find(session, info, cm.Film, input.film_id, type_name="Film", field="film")
        return await set_film_poster(
            session, film.id, uploaded_image(input.upload_id), now=info.context.now
        )


class SetVariantImageInput(graphene.InputObjectType):
    """A variant's photo: an upload of its merchant."""

    variant_id = graphene.ID(required=True, description="The variant.")
    upload_id = graphene.ID(description="The photo's upload id; null removes the photo.")


class SetVariantImage(MutationBase):
    """Set or remove a variant's photo (the shop shows it with the variant's size)."""

    permissions = (MERCHANT_WRITE,)
    input_type = SetVariantImageInput
    input_description = "The photo."
    fields = {"variant_id": "variantId", "upload_id": "uploadId"}
    variant = graphene.Field(t.Variant, description="The variant with its photo.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        variant = await find(
            session, info, cm.Variant, input.variant_id, type_name="Variant", field="variant_id"
        )
        return await set_variant_image(
            session,
            variant.id,
            uploaded_image(input.upload_id),
            merchant_id=_acting_merchant(info),
        )


class MediaMutations(graphene.ObjectType):
    submit_product_for_approval = SubmitProductForApproval.field()
    add_product_image = AddProductImage.field()
    remove_product_image = RemoveProductImage.field()
    set_film_poster = SetFilmPoster.field()
    set_variant_image = SetVariantImage.field()
