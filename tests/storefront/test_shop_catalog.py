"""The shopper's catalog pages: what is shown, what is for sale here, and what never leaks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Showtime
from kernel.db import Database
from orders.cart_items import MAX_QUANTITY
from tests.factory import make_film, make_product, make_showtime, shop_world
from tests.prices import usd


@pytest.fixture
async def world(db: Database):
    return await shop_world(db)


async def test_home_lists_now_showing_coming_soon_and_bundles(
    client: httpx.AsyncClient, db: Database, world
):
    async with db.session() as s:
        await make_film(s, slug="old-light", title="Old Light", runtime_minutes=90,
                        release_date=datetime.now(UTC).date() - timedelta(days=400))  # fmt: skip
    page = await client.get("/")
    assert page.status_code == 200
    html = page.text
    now_part, coming_part = html.split('id="coming-soon"', 1)
    assert 'href="/films/night-harbor"' in now_part
    assert "Old Light" not in now_part  # released, but no showtimes: not "now showing"
    assert 'href="/films/old-light"' in coming_part.split('id="more-films"', 1)[1]
    assert "Star Fall" in coming_part and "Star Fall" not in now_part
    assert "Premiere pack" in coming_part  # the featured bundles come after
    assert usd(3200) in html  # prices always carry their currency


async def test_film_page_shows_showtimes_bundle_availability_and_sellable_merch(
    client: httpx.AsyncClient, world
):
    page = await client.get("/films/night-harbor")
    assert page.status_code == 200
    html = page.text
    assert "Night Harbor" in html and "The sea has other plans." in html
    assert "Grand Lumiere, Springfield" in html
    # One day at a time: the two showtimes are on two days of the date strip.
    days = re.findall(r'href="\?day=(\d{4}-\d\d-\d\d)#showtimes"', html)
    assert len(days) == 2
    assert html.count('name="kind" value="ticket"') == 1
    other = (await client.get(f"/films/night-harbor?day={days[1]}")).text
    assert other.count('name="kind" value="ticket"') == 1
    # Bundle availability per showtime: min(seats, stock // qty) -> 20 then 2 (capacity 2).
    assert "20 left" in html + other and "2 left" in html + other
    assert "Night Harbor lighthouse tee" in html and "Night Harbor teaser poster" in html
    # A product whose design is not approved is never offered.
    assert "NH-MUG-01" not in html and "prototype" not in html


async def test_film_page_hides_merch_not_licensed_in_the_shoppers_country(
    client: httpx.AsyncClient, world
):
    page = await client.get("/")
    token = _csrf(page.text)
    moved = await client.post(
        "/country", data={"csrf_token": token, "country": "JP", "next": "/films/night-harbor"}
    )
    assert moved.status_code == 303
    page = await client.get("/films/night-harbor")
    assert "Night Harbor teaser poster" not in page.text
    assert "No licensed merchandise for this film is on sale in Japan" in page.text


async def test_unknown_film_and_product_are_friendly_404s(client: httpx.AsyncClient, world):
    for path in ("/films/no-such-film", "/products/NO-SUCH", "/products/NH-MUG-01"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "We could not find that page" in page.text


async def test_product_page_shows_the_official_licensed_product_panel(
    client: httpx.AsyncClient, world
):
    page = await client.get("/products/NH-TEE-01")
    assert page.status_code == 200
    html = page.text
    assert "Official licensed product" in html
    assert "Acme Merch Co" in html and "LA-2026-0042" in html
    assert usd(2500) in html
    assert 'action="/cart/add"' in html


async def test_product_page_explains_a_territory_refusal_in_words(client: httpx.AsyncClient, world):
    page = await client.get("/")
    await client.post(
        "/country", data={"csrf_token": _csrf(page.text), "country": "JP", "next": "/"}
    )
    page = await client.get("/products/NH-TEE-01")
    assert "not licensed for sale in Japan" in page.text
    assert 'action="/cart/add"' not in page.text


async def test_a_script_in_a_product_name_renders_inert(
    client: httpx.AsyncClient, db: Database, world
):
    async with db.session() as s:
        await make_product(s, world.agreement_id, world.film_id, sku="NH-XSS-01",
                           name="<script>alert(1)</script>", description="<b>bold</b>",
                           category="posters", price_minor=999, stock=3)  # fmt: skip
    for path in ("/films/night-harbor", "/products/NH-XSS-01", "/verify/NH-XSS-01"):
        html = (await client.get(path)).text
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<b>bold</b>" not in html


async def test_verify_names_a_genuine_product_and_refuses_unknown_codes(
    client: httpx.AsyncClient, world
):
    form = await client.get("/verify")
    assert form.status_code == 200 and 'name="code"' in form.text
    redirected = await client.get("/verify", params={"code": "NH-TEE-01"})
    assert redirected.status_code == 303
    assert redirected.headers["location"].endswith("/verify/NH-TEE-01")
    genuine = await client.get("/verify/NH-TEE-01")
    assert "Genuine licensed product" in genuine.text
    assert "Acme Merch Co" in genuine.text and "LA-2026-0042" in genuine.text
    draft = await client.get("/verify/NH-MUG-01")
    assert "not approved for sale" in draft.text
    unknown = await client.get("/verify/FAKE-123")
    assert unknown.status_code == 404
    assert "not an official tiein product or ticket" in unknown.text


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


async def test_home_groups_films_by_the_one_status_rule(
    client: httpx.AsyncClient, db: Database, world
):
    """catalog.film_status decides: a released film is "now showing" while any showtime is
    to come, however far away, and "out of cinemas" once its last showtime has started."""
    now = datetime.now(UTC)
    released = now.date() - timedelta(days=30)
    async with db.session() as s:
        later = await make_film(s, slug="far-off", title="Far Off", release_date=released)
        done = await make_film(s, slug="all-done", title="All Done", release_date=released)
        cinema_id = await s.scalar(select(Showtime.cinema_id).limit(1))
        for film, at in ((later, now + timedelta(days=40)), (done, now - timedelta(hours=1))):
            await make_showtime(s, film_id=film.id, cinema_id=cinema_id, starts_at=at)
    html = (await client.get("/")).text
    now_part, rest = html.split('id="coming-soon"', 1)
    assert 'href="/films/far-off"' in now_part
    assert 'href="/films/all-done"' not in now_part
    assert 'href="/films/all-done"' in rest.split('id="more-films"', 1)[1]


async def test_the_product_page_offers_no_more_units_than_the_cart_takes(
    client: httpx.AsyncClient, db: Database
) -> None:
    await shop_world(db, shirt_stock=MAX_QUANTITY * 3)
    page = (await client.get("/products/NH-TEE-01")).text
    field = re.search(r'<input id="f-qty"[^>]*>', page)
    assert field is not None and f'max="{MAX_QUANTITY}"' in field.group(0)
