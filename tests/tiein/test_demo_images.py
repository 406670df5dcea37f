"""The demo's pictures (issue 12): every product has a photo, a film has a poster, and the
"Concept art attached." submissions carry real artwork; the same images on every load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from catalog.image_models import Image, ProductImage
from catalog.models import Film, Product
from kernel.db import Database
from kernel.media import LocalMediaStore
from licensing.artwork import ReviewArtwork
from licensing.models import ProductReview
from tiein.demo import load_demo
from tiein.demo.images import concept_art, poster, product_photo

TODAY = date(2026, 5, 12)


def test_the_pictures_are_deterministic() -> None:
    assert product_photo("Mug", "home") == product_photo("Mug", "home")
    assert product_photo("Mug", "home") != product_photo("Tee", "apparel")
    assert poster("Starfall") == poster("Starfall")
    assert concept_art("Mug", sample=False) == concept_art("Mug", sample=False)


async def test_the_demo_has_photos_a_poster_and_concept_art(db: Database, tmp_path: Path) -> None:
    media = tmp_path / "media"
    summary = await load_demo(db, orders=5, today=TODAY, progress=False, media_dir=str(media))
    assert "pictures" in summary
    async with db.read_session() as s:
        products = await s.scalar(select(func.count(Product.id)))
        pictured = await s.scalar(select(func.count(func.distinct(ProductImage.product_id))))
        assert pictured == products > 0
        assert await s.scalar(select(func.count(Film.id)).where(Film.poster_image_id.is_not(None)))
        concept = await s.scalars(
            select(ReviewArtwork.image_id)
            .join(ProductReview, ProductReview.id == ReviewArtwork.review_id)
            .where(ProductReview.comment == "Concept art attached.")
        )
        concept_ids = list(concept)
        assert concept_ids
        keys = (await s.scalars(select(Image.key).where(Image.id.in_(concept_ids)))).all()
    store = LocalMediaStore(media)
    assert all(store.get(key) for key in keys)
