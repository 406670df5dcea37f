"""The favicon and the social preview tags (issue 14): every page names an SVG favicon, served
from the static files with a long cache; film and product pages carry Open Graph tags whose
URLs start with TIEIN_PUBLIC_URL (never the request's Host), with the poster or the first
product photo as their image, and a hostile title stays inert text inside the attributes."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import update

from catalog.images import store_image
from catalog.models import Film
from catalog.product_images import add_product_image, set_film_poster
from kernel.config import Settings
from kernel.db import Database
from kernel.media import media_store
from storefront.static_files import STATIC_DIR
from tests.factory import make_staff_user, shop_world
from tests.factory.images import image_bytes

NOW = datetime.now(UTC)
PUBLIC = "https://shop.tiein.example"
HOSTILE = 'The "Night" <script>alert(1)</script> & Co'


class Head(HTMLParser):
    """The page's <meta property|name> values and <link rel=icon>, as a crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.icons: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[str(found.get("property") or found.get("name"))] = found.get("content") or ""
        if tag == "link" and found.get("rel") == "icon":
            self.icons.append(found)
        if tag == "script":
            self.scripts += 1


def head_of(html: str) -> Head:
    parser = Head()
    parser.feed(html)
    return parser


@pytest.fixture
async def public_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from tiein.app import create_app

    app = create_app(dataclasses.replace(settings, public_url=PUBLIC), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as c:
        yield c


async def test_every_page_names_the_favicon_by_its_version_which_is_cached_long(
    public_client: httpx.AsyncClient, db: Database
) -> None:
    world = await shop_world(db)
    body = (STATIC_DIR / "favicon.svg").read_bytes()
    versioned = f"/static/favicon.svg?v={hashlib.sha256(body).hexdigest()[:12]}"
    for path in ("/", f"/films/{world.film_slug}", "/cart", "/verify", "/staff/login"):
        icons = head_of((await public_client.get(path)).text).icons
        assert [i["href"] for i in icons] == [versioned], path
        assert icons[0]["type"] == "image/svg+xml"
    # The current version may be kept a year: a changed icon gets another URL.
    icon = await public_client.get(versioned)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content == body
    assert icon.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = await public_client.get(versioned, headers={"if-none-match": icon.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == icon.headers["cache-control"]
    # Without the version, or with an old one, it is revalidated like any static file.
    for url in ("/static/favicon.svg", "/static/favicon.svg?v=000000000000"):
        plain = await public_client.get(url)
        assert plain.status_code == 200 and plain.content == body, url
        assert "cache-control" not in plain.headers, url
        assert plain.headers["etag"] == icon.headers["etag"], url


async def test_a_film_page_previews_with_its_title_synopsis_and_poster(
    public_client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    world = await shop_world(db)
    # Given no uploaded poster: the tags are there, with no image.
    meta = head_of((await public_client.get(f"/films/{world.film_slug}")).text).meta
    assert meta["og:title"] == "Night Harbor"
    assert meta["og:type"] == "video.movie"
    assert meta["og:url"] == f"{PUBLIC}/films/{world.film_slug}"  # not the Host header
    assert meta["og:description"] == "A lighthouse keeper finds a map."
    assert "og:image" not in meta and meta["twitter:card"] == "summary"
    # When the studio uploads a poster, it is the preview's image, at an absolute URL.
    async with db.session() as session:
        staff = await make_staff_user(session, username="poster-desk")
        poster = await store_image(session, media_store(settings.media_path),
                                   image_bytes(600, 900, "JPEG"), merchant_id=None,
                                   staff_user_id=staff.id, now=NOW)  # fmt: skip
        await set_film_poster(session, world.film_id, poster.id, now=NOW)
    meta = head_of((await public_client.get(f"/films/{world.film_slug}")).text).meta
    assert meta["og:image"] == f"{PUBLIC}/media/{poster.key}"
    assert meta["og:image:alt"] == "Poster of Night Harbor"
    assert meta["twitter:card"] == "summary_large_image"


async def test_a_product_page_previews_with_its_first_photo(
    public_client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    world = await shop_world(db)
    meta = head_of((await public_client.get(f"/products/{world.shirt_sku}")).text).meta
    assert meta["og:title"] == "Night Harbor lighthouse tee"
    assert meta["og:type"] == "product"
    assert meta["og:url"] == f"{PUBLIC}/products/{world.shirt_sku}"
    assert meta["og:description"] == "Official licensed merchandise · Night Harbor"
    japanese = await public_client.get(
        f"/products/{world.shirt_sku}", headers={"Accept-Language": "ja"}
    )
    assert head_of(japanese.text).meta["og:description"] == "公式ライセンス商品 · Night Harbor"
    async with db.session() as session:
        front = await store_image(session, media_store(settings.media_path),
                                  image_bytes(1200, 1200, "JPEG"), merchant_id=world.merchant_id,
                                  now=NOW)  # fmt: skip
        await add_product_image(session, world.shirt_id, front.id, alt="Front of the tee",
                                merchant_id=world.merchant_id, now=NOW)  # fmt: skip
    meta = head_of((await public_client.get(f"/products/{world.shirt_sku}")).text).meta
    assert meta["og:image"].startswith(f"{PUBLIC}/media/")
    assert meta["og:image:alt"] == "Front of the tee"


async def test_a_hostile_title_stays_text_in_the_preview_tags(
    public_client: httpx.AsyncClient, db: Database
) -> None:
    world = await shop_world(db)
    async with db.session() as session:
        await session.execute(
            update(Film).where(Film.id == world.film_id).values(title=HOSTILE, synopsis=HOSTILE)
        )
    html = (await public_client.get(f"/films/{world.film_slug}")).text
    assert "<script>alert(1)</script>" not in html
    page = head_of(html)
    assert page.meta["og:title"] == HOSTILE  # escaped in the attribute, intact when read
    assert page.meta["og:description"] == HOSTILE
    assert page.scripts == 0
