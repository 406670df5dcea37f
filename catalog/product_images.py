"""Photos of products and posters of films: attaching uploaded images (catalog.images).

A merchant attaches its own uploads to its own products; staff may attach any upload to any
product and set a film's poster. Another tenant's product or upload is not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.image_models import Image, ProductImage
from catalog.images import owned_image
from catalog.models import Film, Product, Variant
from kernel.errors import DomainError
from kernel.parsing import clean_text

MAX_PRODUCT_IMAGES = 12
MAX_ALT = 300


async def _own_product(session: AsyncSession, product_id: int, merchant_id: int | None) -> Product:
    product = await session.scalar(
        select(Product).where(Product.id == product_id).with_for_update()
    )
    if product is None or (merchant_id is not None and product.merchant_id != merchant_id):
        raise DomainError(CatalogError.NOT_FOUND, "No such product.", "product_id")
    return product


async def add_product_image(
    session: AsyncSession,
    product_id: int,
    image_id: int | None,
    *,
    alt: str = "",
    merchant_id: int | None,
    now: datetime,
) -> ProductImage:
    """Attach an upload to a product as its last photo, with its alt text (≤ 300 characters,
    what a screen reader says). `merchant_id` None means staff. At most MAX_PRODUCT_IMAGES
    photos, each once."""
    alt = clean_text(alt or "", field="alt", max_len=MAX_ALT)
    product = await _own_product(session, product_id, merchant_id)
    image = await owned_image(session, image_id, merchant_id=merchant_id, field="upload_id")
    if merchant_id is None and image.merchant_id not in (None, product.merchant_id):
        raise DomainError(CatalogError.NOT_FOUND, "No such upload.", "upload_id")
    count, last, already = (
        await session.execute(
            select(
                func.count(ProductImage.id),
                func.max(ProductImage.position),
                func.count(ProductImage.id).filter(ProductImage.image_id == image.id),
            ).where(ProductImage.product_id == product.id)
        )
    ).one()
    if already:
        raise DomainError(
            CatalogError.DUPLICATE, "The product has this image already.", "upload_id"
        )
    if count >= MAX_PRODUCT_IMAGES:
        raise DomainError(
            CatalogError.INVALID,
            f"A product has at most {MAX_PRODUCT_IMAGES} photos; remove one first.",
            "upload_id",
        )
    row = ProductImage(
        product_id=product.id, image_id=image.id, position=(last or 0) + 1, alt=alt, created_at=now
    )
    session.add(row)
    product.updated_at = now
    await session.flush()
    return row


async def remove_product_image(
    session: AsyncSession,
    product_id: int,
    image_id: int | None,
    *,
    merchant_id: int | None,
    now: datetime,
) -> Product:
    """Detach a photo from a product (the upload itself stays, as other things may use it)."""
    product = await _own_product(session, product_id, merchant_id)
    row = None
    if image_id is not None:
        row = await session.scalar(
            select(ProductImage).where(
                ProductImage.product_id == product.id, ProductImage.image_id == image_id
            )
        )
    if row is None:
        raise DomainError(CatalogError.NOT_FOUND, "The product has no such image.", "upload_id")
    await session.delete(row)
    product.updated_at = now
    await session.flush()
    return product


async def set_film_poster(
    session: AsyncSession, film_id: int, image_id: int | None, *, now: datetime
) -> Film:
    """Staff set (or, with None, clear) a film's poster: an image uploaded by staff."""
    film = await session.get(Film, film_id, with_for_update=True)
    if film is None:
        raise DomainError(CatalogError.NOT_FOUND, "No such film.", "film")
    if image_id is not None:
        await studio_image(session, image_id, field="poster")
    film.poster_image_id = image_id
    await session.flush()
    return film


async def studio_image(session: AsyncSession, image_id: int, *, field: str) -> Image:
    """An upload made by staff (a poster is the studio's): a merchant's upload, like an
    unknown one, is not found."""
    image = await session.get(Image, image_id) if image_id else None
    if image is None or image.merchant_id is not None:
        raise DomainError(CatalogError.NOT_FOUND, "No such upload.", field)
    return image


async def posters_of_films(session: AsyncSession, films: Iterable[Film]) -> dict[int, Image]:
    """The uploaded poster of each film that has one, by film id (one statement)."""
    wanted = {film.id: film.poster_image_id for film in films if film.poster_image_id}
    if not wanted:
        return {}
    images = await session.scalars(select(Image).where(Image.id.in_(set(wanted.values()))))
    by_id = {image.id: image for image in images}
    return {film_id: by_id[i] for film_id, i in wanted.items() if i in by_id}


async def photos_of_variants(
    session: AsyncSession, variants: Iterable[Variant]
) -> dict[int, Image]:
    """The photo of each variant that has one, by variant id (one statement; none when no
    variant has a photo)."""
    wanted = {v.id: v.image_id for v in variants if v.image_id}
    if not wanted:
        return {}
    images = await session.scalars(select(Image).where(Image.id.in_(set(wanted.values()))))
    by_id = {image.id: image for image in images}
    return {variant_id: by_id[i] for variant_id, i in wanted.items() if i in by_id}


@dataclass(frozen=True)
class Photo:
    """What a page needs to show an image: its URLs by width, its size, its alt text."""

    image: Image
    alt: str


async def photos_of_products(
    session: AsyncSession, product_ids: Iterable[int]
) -> dict[int, list[Photo]]:
    """Each product's photos in order (one statement, whatever the number of products)."""
    ids = list(set(product_ids))
    found: dict[int, list[Photo]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(ProductImage.product_id, ProductImage.alt, Image)
        .join(Image, Image.id == ProductImage.image_id)
        .where(ProductImage.product_id.in_(ids))
        .order_by(ProductImage.product_id, ProductImage.position)
    )
    for product_id, alt, image in rows:
        found[product_id].append(Photo(image, alt))
    return found
