"""Image types: product photos, approval artwork and film posters, with their thumbnails.

Images are uploaded with `POST /uploads` (graphql_schema.uploads) and reached only through
an object the caller may see (a product, a history entry, a film); their URLs are content
addresses that never change."""

from __future__ import annotations

from typing import Any

import graphene

from catalog.image_models import Image as ImageModel
from graphql_schema.relay import global_id
from graphql_schema.types.base import _load
from graphql_schema.uploads import UPLOAD_TYPE
from kernel.config import public_url
from kernel.media import media_store


def media_url(info: Any, key: str) -> str:
    """The absolute URL of a stored object (TIEIN_PUBLIC_URL and the store's path)."""
    settings = info.context.settings
    url = media_store(settings.media_path).url(key)
    return public_url(settings, url) if url.startswith("/") else url


class ImageThumbnail(graphene.ObjectType):
    """A smaller WebP copy of an image, at one of the fixed widths (160, 480, 1024), never
    wider than the original."""

    url = graphene.String(required=True, description="Where to fetch it.")
    width = graphene.Int(required=True, description="Its width in pixels.")
    height = graphene.Int(required=True, description="Its height in pixels.")

    @staticmethod
    def resolve_url(root: dict[str, Any], info: Any) -> str:
        return media_url(info, root["key"])

    @staticmethod
    def resolve_width(root: dict[str, Any], info: Any) -> int:
        return int(root["width"])

    @staticmethod
    def resolve_height(root: dict[str, Any], info: Any) -> int:
        return int(root["height"])


class Image(graphene.ObjectType):
    """An uploaded image, re-encoded without metadata."""

    upload_id = graphene.ID(required=True, description="The upload id it was stored as.")
    url = graphene.String(required=True, description="The full-size image (immutable URL).")
    width = graphene.Int(required=True, description="Width in pixels, upright.")
    height = graphene.Int(required=True, description="Height in pixels, upright.")
    content_type = graphene.String(
        required=True, description="image/jpeg, image/png or image/webp."
    )
    thumbnails = graphene.List(
        graphene.NonNull(ImageThumbnail),
        required=True,
        description="WebP copies at fixed widths, narrowest first (empty for a small image).",
    )

    @staticmethod
    def resolve_upload_id(root: ImageModel, info: Any) -> str:
        return global_id(UPLOAD_TYPE, root.id)

    @staticmethod
    def resolve_url(root: ImageModel, info: Any) -> str:
        return media_url(info, root.key)

    @staticmethod
    def resolve_thumbnails(root: ImageModel, info: Any) -> list[dict[str, Any]]:
        return list(root.thumbnails or [])


def _image_field(name: str) -> Any:
    """A field of the image below a photo or artwork, resolved through the image loader."""

    async def resolve(root: Any, info: Any) -> Any:
        image = await info.context.loaders.get(ImageModel, root.image_id)
        return getattr(Image, f"resolve_{name}", lambda r, i: getattr(r, name))(image, info)

    return resolve


class ProductPhoto(graphene.ObjectType):
    """A photo of a product, in display order, with its alt text."""

    class Meta:
        name = "ProductImage"

    position = graphene.Int(required=True, description="Its place among the photos, from 1.")
    alt = graphene.String(required=True, description="What it shows, for screen readers.")
    image = graphene.Field(graphene.NonNull(Image), description="The image and its sizes.")
    upload_id = graphene.ID(required=True, description="The upload id (to remove it).")
    url = graphene.String(required=True, description="The full-size image.")
    width = graphene.Int(required=True, description="Width in pixels.")
    height = graphene.Int(required=True, description="Height in pixels.")
    thumbnails = graphene.List(
        graphene.NonNull(ImageThumbnail), required=True, description="WebP thumbnails."
    )

    resolve_url = staticmethod(_image_field("url"))
    resolve_width = staticmethod(_image_field("width"))
    resolve_height = staticmethod(_image_field("height"))
    resolve_thumbnails = staticmethod(_image_field("thumbnails"))

    @staticmethod
    def resolve_image(root: Any, info: Any) -> Any:
        return _load(info, ImageModel, root.image_id)

    @staticmethod
    def resolve_upload_id(root: Any, info: Any) -> str:
        return global_id(UPLOAD_TYPE, root.image_id)


class Artwork(graphene.ObjectType):
    """An image submitted with an approval step: concept art or a sample photo."""

    position = graphene.Int(required=True, description="Its place in the submission, from 1.")
    image = graphene.Field(graphene.NonNull(Image), description="The image and its sizes.")
    url = graphene.String(required=True, description="The full-size image.")

    resolve_url = staticmethod(_image_field("url"))

    @staticmethod
    def resolve_image(root: Any, info: Any) -> Any:
        return _load(info, ImageModel, root.image_id)
