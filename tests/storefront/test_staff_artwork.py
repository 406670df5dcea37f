"""Artwork in the console (issue 12): the approvals queue shows each submission's artwork
beside its history, with names (not `merchant:1`) and the comment thread, and compares a
resubmission with the previous one side by side; staff upload a film's poster."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from catalog.image_models import Image, ProductImage
from catalog.images import store_image
from catalog.models import Film
from kernel.config import Settings
from kernel.db import Database
from kernel.media import media_store
from licensing.approvals import review_product
from licensing.artwork import submit_product_with_artwork
from licensing.models import Merchant, StaffUser
from tests.factory import staff_member, staff_world
from tests.factory.images import image_bytes, png_claiming
from tests.storefront.console import csrf, sign_in

LATER = datetime(2025, 8, 3, 9, tzinfo=UTC)
RESUBMITTED = datetime(2025, 8, 4, 9, tzinfo=UTC)


def _stored_files(settings: Settings) -> list[Path]:
    return [p for p in Path(settings.media_path).rglob("*") if p.is_file()]


async def _resubmitted_with_artwork(db: Database, settings: Settings) -> tuple[int, list[Image]]:
    """staff_world's tee: its first concept (no art) sent back by "Desk Officer", then
    resubmitted with two images; its id and the images."""
    world = await staff_world(db, sales=False)
    staff_id = await staff_member(db)
    store = media_store(settings.media_path)
    tee = world.product_ids[0]
    async with db.session() as session:
        (await session.get(StaffUser, staff_id)).display_name = "Desk Officer"
        await review_product(session, tee, decision="request_changes", reviewer="desk-officer",
                             comment="Make the train bluer.", now=LATER)  # fmt: skip
        images = [
            await store_image(
                session,
                store,
                image_bytes(600, 400, "PNG", color),
                merchant_id=world.merchant_id,
                now=LATER,
            )
            for color in ((20, 20, 200), (20, 200, 20))
        ]
        await submit_product_with_artwork(
            session, tee, merchant_id=world.merchant_id, comment="Bluer now.",
            artwork_ids=[i.id for i in images], now=RESUBMITTED,
        )  # fmt: skip
    return tee, images


async def test_the_queue_shows_the_artwork_beside_the_history_by_name(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, images = await _resubmitted_with_artwork(db, settings)
    await sign_in(client)
    page = (await client.get("/staff/approvals")).text
    # the resubmission's artwork, as thumbnails with every size in srcset
    for image in images:
        assert f'href="/media/{image.key}"' in page
        assert image.thumbnails[0]["key"] in page
    assert "srcset=" in page
    # who, by name (escaped), never the raw actor
    assert "Acme &lt;Merch&gt; &amp; Co" in page
    assert "Desk Officer" in page
    assert not re.search(r"merchant:\d", page)
    # the comment thread
    assert "Make the train bluer." in page and "Bluer now." in page
    # every image on the page is served
    sources = set(re.findall(r'src="(/media/[^"]+)"', page))
    assert len(sources) >= 2, sources
    for src in sources:
        assert (await client.get(src)).status_code == 200


async def test_a_resubmission_is_compared_with_the_previous_one_side_by_side(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    tee, images = await _resubmitted_with_artwork(db, settings)
    await sign_in(client)
    queue = (await client.get("/staff/approvals")).text
    link = f"/staff/approvals/{tee}/compare"
    assert f'href="{link}"' in queue
    page = (await client.get(link)).text
    previous, current = page.index("Previous submission"), page.index("This submission")
    assert previous < current
    # the previous one had no art; this one has both images; the reviewer's words between
    assert "No artwork was attached" in page[previous:current]
    assert all(image.key in page[current:] for image in images)
    assert "Make the train bluer." in page
    assert (await client.get("/staff/approvals/999999/compare")).status_code == 404


async def test_staff_upload_a_film_poster_and_a_bad_file_stores_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await staff_world(db, sales=False)
    await staff_member(db)
    path = "/staff/films/night-train/poster"
    # without a session: refused
    assert (await client.post(path, files={"poster": ("p.png", image_bytes())})).status_code == 403
    await sign_in(client)
    token = await csrf(client, path)
    # a bomb: a message in words, nothing stored
    refused = await client.post(
        path, data={"csrf_token": token}, files={"poster": ("p.png", png_claiming(9000, 9000))}
    )
    assert refused.status_code == 303
    edit_page = refused.headers["location"]  # back to the film's edit page, its poster part
    assert edit_page.startswith("/staff/films/") and edit_page.endswith("#poster")
    shown = (await client.get(edit_page)).text
    assert "megapixels" in shown and "TOO_MANY_PIXELS" not in shown.split("data-code")[0]
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Image.id))) == 0
    assert _stored_files(settings) == []
    # without the CSRF token: refused
    forged = await client.post(path, files={"poster": ("p.jpg", image_bytes(fmt="JPEG"))})
    assert forged.status_code == 403
    # a real poster
    done = await client.post(
        path, data={"csrf_token": token},
        files={"poster": ("p.jpg", image_bytes(900, 1350, "JPEG"))},
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == edit_page
    async with db.read_session() as session:
        film = await session.scalar(select(Film).where(Film.slug == "night-train"))
        poster = await session.get(Image, film.poster_image_id)
    assert (poster.width, poster.merchant_id) == (900, None)
    edit = (await client.get(edit_page)).text
    assert "The poster of" in edit and 'id="poster"' in edit  # the message, the section
    assert poster.thumbnails[0]["key"] in edit and "Replace the poster" in edit
    assert edit.count('id="poster"') == 1
    assert poster.thumbnails[0]["key"] in (await client.get(path)).text  # the page alone


async def test_staff_add_a_product_photo_in_the_console_and_a_bad_file_stores_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    """Product photos from the console too (issue 12): a studio shoot for the licensee's
    product, with its alt text, shown in order; a bomb or NUL alt text stores nothing."""
    world = await staff_world(db, sales=False)
    await staff_member(db)
    path = "/staff/products/ACME-TEE-1/photos"
    assert (await client.post(path, files={"photo": ("p.png", image_bytes())})).status_code == 403
    await sign_in(client)
    async with db.read_session() as session:
        slug = (await session.get(Merchant, world.merchant_id)).slug
    merchant_page = (await client.get(f"/staff/merchants/{slug}")).text
    assert f'href="{path}"' in merchant_page
    token = await csrf(client, path)
    refused = await client.post(
        path, data={"csrf_token": token}, files={"photo": ("p.png", png_claiming(9000, 9000))}
    )
    assert refused.status_code == 303 and refused.headers["location"] == path
    assert "megapixels" in (await client.get(path)).text
    nul = await client.post(
        path, data={"csrf_token": token, "alt": "a\x00b"}, files={"photo": ("p.png", image_bytes())}
    )
    assert nul.status_code == 400
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Image.id))) == 0
    assert _stored_files(settings) == []
    done = await client.post(
        path, data={"csrf_token": token, "alt": "Tee on a hanger"},
        files={"photo": ("p.jpg", image_bytes(800, 800, "JPEG"))},
    )  # fmt: skip
    assert done.status_code == 303
    shown = (await client.get(path)).text
    assert "A photo was added to Night Train tee." in shown and "Tee on a hanger" in shown
    async with db.read_session() as session:  # a studio image, on the licensee's product
        photo = await session.scalar(select(ProductImage))
        image = await session.get(Image, photo.image_id)
    assert (photo.product_id, photo.alt, image.merchant_id) == (
        world.product_ids[0],
        "Tee on a hanger",
        None,
    )
    assert (await client.get("/staff/products/NOPE/photos")).status_code == 404
