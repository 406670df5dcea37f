"""A product's photos from the console (`/staff/products/{sku}/photos`, linked from the
merchant's page): staff see them in order and add one for the licensee — a studio photo
shoot, say — with its alt text. Merchants add theirs through the API (`POST /uploads`, then
`addProductImage`); both go through catalog.product_images.add_product_image.

The file is validated like every upload (catalog.images: JPEG, PNG or WebP by content,
10 MB, 40 megapixels); a refused file or alt text is a message in words and stores nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import Product
from catalog.product_images import add_product_image, photos_of_products
from kernel.errors import DomainError
from storefront.staff.auth import require_staff
from storefront.staff.common import flash, flash_error, page
from storefront.staff.posters import read_upload, store_studio_image
from storefront.web import now, path_for, path_param


async def _product(request: Request, session: AsyncSession) -> Product:
    sku = path_param(request, "sku", max_len=64)
    product = await session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise HTTPException(404, "No such product.")
    return product


@require_staff
async def photos_page(request: Request) -> Response:
    """GET: the product's photos in order, and the form to add one."""
    async with request.app.state.db.read_session() as session:
        product = await _product(request, session)
        photos = (await photos_of_products(session, [product.id]))[product.id]
    return page(request, "staff/product_photos.html", product=product, photos=photos)


@require_staff
async def add_photo(request: Request) -> Response:
    """POST: validate the file, store it as a studio image and add it as the product's last
    photo; back to the page with a message in words either way."""
    data, texts = await read_upload(request, "photo")
    async with request.app.state.db.read_session() as session:
        product = await _product(request, session)  # an unknown product: 404
        product_id, sku, name = product.id, product.sku, product.name
    try:
        async with request.app.state.db.session() as session:
            image = await store_studio_image(request, session, data, "photo")
            await add_product_image(
                session, product_id, image.id, alt=texts.get("alt", ""), merchant_id=None,
                now=now(request),
            )  # fmt: skip
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"A photo was added to {name}.")
    return RedirectResponse(path_for(request, "staff_product_photos", sku=sku), status_code=303)


routes = [
    Route(
        "/staff/products/{sku}/photos", photos_page, methods=["GET"], name="staff_product_photos"
    ),
    Route(
        "/staff/products/{sku}/photos", add_photo, methods=["POST"], name="staff_add_product_photo"
    ),
]
