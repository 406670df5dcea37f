"""Photos on the storefront (issue 12): a product with photos shows them (srcset of its
thumbnails, its alt text) instead of the letter tile, its film's merch cards show the first
one, the film page shows the uploaded poster; the page's statements do not grow with photos."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from catalog.images import store_image
from catalog.models import Film, Product
from catalog.product_images import add_product_image, set_film_poster
from kernel.config import Settings
from kernel.db import Database
from kernel.media import media_store
from tests.factory import make_product, make_staff_user, shop_world
from tests.factory.images import image_bytes

NOW = datetime.now(UTC)


@pytest.fixture
async def world(db: Database):
    return await shop_world(db)


async def _photos(db: Database, settings: Settings, product_ids: list[int], merchant_id: int):
    store = media_store(settings.media_path)
    async with db.session() as session:
        front = await store_image(session, store, image_bytes(1200, 1200, "JPEG", (200, 0, 0)),
                                  merchant_id=merchant_id, now=NOW)  # fmt: skip
        back = await store_image(session, store, image_bytes(800, 800, "PNG", (0, 0, 200)),
                                 merchant_id=merchant_id, now=NOW)  # fmt: skip
        for product_id in product_ids:
            for image, alt in ((front, "Front of the tee"), (back, "Back of the tee")):
                await add_product_image(session, product_id, image.id, alt=alt,
                                        merchant_id=merchant_id, now=NOW)  # fmt: skip
    return front, back


async def test_the_product_page_shows_its_photos_instead_of_the_letter_tile(
    client: httpx.AsyncClient, db: Database, settings: Settings, world
) -> None:
    before = (await client.get(f"/products/{world.shirt_sku}")).text
    assert "placeholder" in before
    front, _ = await _photos(db, settings, [world.shirt_id], world.merchant_id)
    page = (await client.get(f"/products/{world.shirt_sku}")).text
    assert "poster large placeholder" not in page
    assert 'alt="Front of the tee"' in page and 'alt="Back of the tee"' in page
    srcset = f"/media/{front.thumbnails[0]['key']} 160w"
    assert srcset in page and f"/media/{front.key} 1200w" in page
    # the film page's merch card shows the first photo, the poster once one is set
    film = (await client.get(f"/films/{world.film_slug}")).text
    assert 'alt="Front of the tee"' in film
    async with db.session() as session:
        staff = await make_staff_user(session, username="poster-desk")
        poster = await store_image(session, media_store(settings.media_path),
                                   image_bytes(600, 900, "JPEG"), merchant_id=None,
                                   staff_user_id=staff.id, now=NOW)  # fmt: skip
        await set_film_poster(session, world.film_id, poster.id, now=NOW)
    film = (await client.get(f"/films/{world.film_slug}")).text
    assert f"/media/{poster.key} 600w" in film and 'alt="Poster of' in film


async def test_the_film_page_statements_do_not_grow_with_photos(
    client: httpx.AsyncClient, db: Database, settings: Settings, world, query_counter
) -> None:
    await _photos(db, settings, [world.shirt_id], world.merchant_id)
    with query_counter() as small:
        assert (await client.get(f"/films/{world.film_slug}")).status_code == 200
    async with db.session() as session:
        shirt = await session.get(Product, world.shirt_id)
        ids = []
        for i in range(6):
            product = await make_product(session, world.agreement_id, world.film_id, stock=5,
                                         sku=f"NH-PHOTO-{i}", name=f"Photo {i}",
                                         category=shirt.category, price_minor=900)  # fmt: skip
            ids.append(product.id)
    await _photos(db, settings, ids, world.merchant_id)
    with query_counter() as large:
        page = await client.get(f"/films/{world.film_slug}")
    async with db.read_session() as session:
        skus = (await session.scalars(select(Product.sku).where(Product.id.in_(ids)))).all()
    assert all(sku in page.text for sku in skus)
    assert page.text.count('alt="Front of the tee"') >= 7
    assert large.count == small.count


async def test_the_home_film_cards_show_the_uploaded_poster_with_its_thumbnails(
    client: httpx.AsyncClient, db: Database, settings: Settings, world, query_counter
) -> None:
    # Given the film with only an old poster URL: the card shows that URL
    async with db.session() as session:
        film = await session.get(Film, world.film_id)
        film.poster_url = "https://img.example/old-poster.jpg"
    with query_counter() as before:  # a fresh render: the change bumped the page version
        home = (await client.get("/")).text
    assert "https://img.example/old-poster.jpg" in home
    # When staff upload a poster
    async with db.session() as session:
        staff = await make_staff_user(session, username="poster-home")
        poster = await store_image(session, media_store(settings.media_path),
                                   image_bytes(1200, 1800, "JPEG"), merchant_id=None,
                                   staff_user_id=staff.id, now=NOW)  # fmt: skip
        await set_film_poster(session, world.film_id, poster.id, now=NOW)
    with query_counter() as after:
        home = (await client.get("/")).text
    # Then the card shows it, its thumbnails in srcset, and the old URL is gone
    assert f"/media/{poster.thumbnails[0]['key']} 160w" in home
    assert f"/media/{poster.key} 1200w" in home
    assert "https://img.example/old-poster.jpg" not in home
    assert after.count <= before.count + 1  # one statement for every film's poster
    assert before.count > 1  # both renders were fresh, not from the page cache
