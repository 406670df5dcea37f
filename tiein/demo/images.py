"""The demo's pictures: product photos, a film poster and approval artwork, drawn with
Pillow at load time (small and deterministic: the same colours and shapes every run, from a
hash of the name) and stored through the same validation and media store as any upload."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.images import store_image
from catalog.models import Category, Film, Product
from catalog.product_images import add_product_image, set_film_poster
from kernel.media import MediaStore
from licensing.artwork import ReviewArtwork
from licensing.models import ProductReview, ReviewAction

PHOTO = (600, 600)
POSTER = (600, 900)
ART = (800, 600)


def _palette(name: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(name.encode()).digest()
    return (digest[0], digest[1], digest[2]), (digest[3] // 2, digest[4] // 2, digest[5] // 2)


def _canvas(name: str, size: tuple[int, int]) -> tuple[PILImage.Image, ImageDraw.ImageDraw]:
    light, dark = _palette(name)
    image = PILImage.new("RGB", size, dark)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(0, height, 4):  # a vertical gradient from dark to light
        t = y / height
        colour = tuple(int(d + (lo - d) * t) for d, lo in zip(dark, light, strict=True))
        draw.rectangle((0, y, width, y + 4), fill=colour)
    return image, draw


def _label(
    draw: ImageDraw.ImageDraw,
    size: tuple[int, int],
    text: str,
    top: float,
    fill: tuple[int, int, int] = (255, 255, 255),
) -> None:
    font = ImageFont.load_default(size=max(18, size[0] // 20))
    box = draw.textbbox((0, 0), text, font=font)
    x = max(8, (size[0] - (box[2] - box[0])) // 2)
    draw.text((x, int(size[1] * top)), text, fill=fill, font=font)


def _jpeg(image: PILImage.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def product_photo(name: str, category: str) -> bytes:
    """A studio shot of a product: a shape for its category on a gradient, its name below."""
    image, draw = _canvas(name, PHOTO)
    w, h = PHOTO
    white = (245, 245, 240)
    if category == Category.APPAREL:  # a tee
        draw.polygon([(180, 150), (250, 120), (350, 120), (420, 150), (470, 230), (410, 260),
                      (400, 460), (200, 460), (190, 260), (130, 230)], fill=white)  # fmt: skip
    elif category in (Category.POSTERS, Category.STATIONERY):  # a sheet
        draw.rectangle((190, 100, 410, 430), fill=white, outline=(30, 30, 30), width=4)
    elif category in (Category.TOYS, Category.COLLECTIBLES):  # a figure
        draw.ellipse((250, 100, 350, 200), fill=white)
        draw.rounded_rectangle((220, 210, 380, 440), radius=30, fill=white)
    else:  # a mug, a bag, a lamp…
        draw.rounded_rectangle((200, 170, 400, 440), radius=24, fill=white)
        draw.ellipse((380, 230, 470, 360), outline=white, width=18)
    _label(draw, (w, h), name, 0.83)
    return _jpeg(image)


def poster(title: str) -> bytes:
    """A one-sheet: a big disc over a gradient, the title at the foot."""
    image, draw = _canvas(title, POSTER)
    w, h = POSTER
    light, _ = _palette(title[::-1])
    draw.ellipse((w // 6, h // 6, w - w // 6, h // 6 + 2 * w // 3), fill=light)
    _label(draw, (w, h), title.upper(), 0.82)
    return _jpeg(image)


def concept_art(name: str, sample: bool) -> bytes:
    """A concept sketch (lines on paper) or a sample photo (the product photo, re-lit)."""
    if sample:
        return product_photo(name + " sample", Category.HOME)
    image = PILImage.new("RGB", ART, (250, 248, 240))
    draw = ImageDraw.Draw(image)
    seed = hashlib.sha256(name.encode()).digest()
    for i in range(0, 24, 2):
        x1, y1, x2, y2 = (seed[i] * 3, seed[i + 1] * 2, seed[i + 2] * 3, seed[i + 3] * 2)
        draw.line((x1, y1, x2, y2), fill=(60, 60, 90), width=3)
    _label(draw, ART, f"Concept: {name}", 0.88, fill=(40, 40, 70))
    return _jpeg(image)


async def illustrate(session: AsyncSession, store: MediaStore, *, now: datetime) -> int:
    """Photos for every demo product, the first film's poster, and artwork on every
    submission (concept art, or a sample photo); returns the number of images stored."""
    stored: set[int] = set()
    products = (await session.scalars(select(Product).order_by(Product.id))).all()
    for product in products:
        image = await store_image(
            session, store, product_photo(product.name, product.category),
            merchant_id=product.merchant_id, now=now,
        )  # fmt: skip
        stored.add(image.id)
        await add_product_image(
            session, product.id, image.id, alt=f"{product.name}, studio photo",
            merchant_id=product.merchant_id, now=now,
        )  # fmt: skip
    film = await session.scalar(select(Film).order_by(Film.release_date, Film.id).limit(1))
    if film is not None:
        # a studio image: staff uploads belong to no merchant (the demo's has no uploader)
        image = await store_image(session, store, poster(film.title), merchant_id=None, now=now)
        stored.add(image.id)
        await set_film_poster(session, film.id, image.id, now=now)
    merchants = {p.id: (p.merchant_id, p.name) for p in products}
    submissions = await session.scalars(
        select(ProductReview)
        .where(ProductReview.action == ReviewAction.SUBMIT)
        .order_by(ProductReview.id)
    )
    for review in submissions:
        merchant_id, name = merchants[review.product_id]
        sample = review.to_stage.value == "sample_submitted"
        image = await store_image(
            session, store, concept_art(name, sample), merchant_id=merchant_id, now=now
        )
        stored.add(image.id)
        session.add(ReviewArtwork(review_id=review.id, image_id=image.id, position=1))
    await session.flush()
    return len(stored)
