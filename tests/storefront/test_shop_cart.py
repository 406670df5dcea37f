"""The cart: what goes in is checked (licensing, stock, seats, limits) and refusals are said in
words; nothing changes on a refusal; every POST needs the CSRF token."""

from __future__ import annotations

import httpx
import pytest

from kernel.db import Database
from tests.factory import shop_world
from tests.prices import usd


@pytest.fixture
async def world(db: Database):
    return await shop_world(db, shirt_stock=3)


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/")
    html = page.text
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


async def add(client: httpx.AsyncClient, token: str, **fields: object) -> httpx.Response:
    data = {"csrf_token": token, "qty": "1", **{k: str(v) for k, v in fields.items()}}
    return await client.post("/cart/add", data=data)


async def test_adding_a_product_puts_it_in_the_cart_with_its_price(client, world):
    token = await csrf(client)
    added = await add(client, token, kind="product", sku="NH-TEE-01", qty=2)
    assert added.status_code == 303 and added.headers["location"] == "/cart"
    cart = await client.get("/cart")
    assert "Night Harbor lighthouse tee" in cart.text
    assert usd(5000) in cart.text  # 2 x 25.00, with the currency
    assert "Cart (2)" in cart.text
    assert 'href="/checkout"' in cart.text


async def test_adding_tickets_and_a_bundle_for_a_chosen_showtime(client, world):
    token = await csrf(client)
    first, _ = world.showtime_ids
    await add(client, token, kind="ticket", showtime_id=first)
    film = (await client.get("/films/night-harbor")).text
    offer_id = film.split('name="offer_id" value="', 1)[1].split('"', 1)[0]
    await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=first, qty=2)
    cart = (await client.get("/cart")).text
    # Named from the lines' fields: the film, the cinema, the local time with its zone named.
    assert "Ticket: Night Harbor · Grand Lumiere" in cart
    assert "Premiere pack: Night Harbor · Grand Lumiere" in cart
    assert cart.count("<time datetime=") == 2  # each showtime, its zone named
    assert usd(1200) in cart and usd(6400) in cart and usd(7600) in cart


async def test_a_product_not_licensed_in_the_shoppers_country_is_refused_in_words(client, world):
    token = await csrf(client)
    await client.post("/country", data={"csrf_token": token, "country": "JP", "next": "/"})
    refused = await add(client, token, kind="product", sku="NH-TEE-01", next="/products/NH-TEE-01")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/products/NH-TEE-01"
    page = await client.get("/products/NH-TEE-01")
    assert "not licensed for sale in Japan" in page.text
    cart = await client.get("/cart")
    assert "Your cart is empty" in cart.text


async def test_more_than_the_stock_is_refused_and_the_cart_is_unchanged(client, world):
    token = await csrf(client)
    await add(client, token, kind="product", sku="NH-TEE-01", qty=2)
    await add(client, token, kind="product", sku="NH-TEE-01", qty=2)  # 4 > stock 3
    cart = (await client.get("/cart")).text
    assert "only 3 left of Night Harbor lighthouse tee" in cart
    assert 'value="2"' in cart  # still the 2 that fit


async def test_an_unapproved_product_cannot_be_added(client, world):
    token = await csrf(client)
    await add(client, token, kind="product", sku="NH-MUG-01", next="/cart")
    cart = (await client.get("/cart")).text
    assert "the design has not been approved yet" in cart
    assert "Your cart is empty" in cart


async def test_a_cart_line_no_longer_licensed_blocks_checkout_and_says_why(client, world):
    token = await csrf(client)
    await add(client, token, kind="product", sku="NH-TEE-01")
    await client.post("/country", data={"csrf_token": token, "country": "JP", "next": "/cart"})
    cart = (await client.get("/cart")).text
    assert "not licensed for sale in Japan" in cart
    assert 'href="/checkout"' not in cart


async def test_updating_and_removing_lines(client, world):
    token = await csrf(client)
    await add(client, token, kind="product", sku="NH-TEE-01")
    await add(client, token, kind="product", sku="NH-POSTER-01")
    await client.post("/cart/update", data={"csrf_token": token, "index": "0", "qty": "3"})
    cart = (await client.get("/cart")).text
    assert usd(7500) in cart
    refused = await client.post(
        "/cart/update", data={"csrf_token": token, "index": "0", "qty": "9"}
    )
    assert refused.status_code == 303
    cart = (await client.get("/cart")).text
    assert "only 3 left" in cart and usd(7500) in cart
    await client.post("/cart/remove", data={"csrf_token": token, "index": "0"})
    cart = (await client.get("/cart")).text
    assert "lighthouse tee" not in cart and "teaser poster" in cart
    await client.post("/cart/update", data={"csrf_token": token, "index": "0", "qty": "0"})
    assert "Your cart is empty" in (await client.get("/cart")).text


@pytest.mark.parametrize(
    "path", ["/cart/add", "/cart/update", "/cart/remove", "/country", "/checkout"]
)
async def test_a_form_post_without_the_csrf_token_is_forbidden(client, world, path):
    token = await csrf(client)
    await add(client, token, kind="product", sku="NH-TEE-01")
    data = {"kind": "product", "sku": "NH-TEE-01", "qty": "1", "index": "0", "country": "JP"}
    missing = await client.post(path, data=data)
    assert missing.status_code == 403
    wrong = await client.post(path, data={**data, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    cart = (await client.get("/cart")).text
    assert "Cart (1)" in cart  # nothing changed


async def test_bundle_refusals_name_the_limit_and_the_seats_left(client, world):
    token = await csrf(client)
    film = (await client.get("/films/night-harbor")).text
    offer_id = film.split('name="offer_id" value="', 1)[1].split('"', 1)[0]
    _, small_showtime = world.showtime_ids  # capacity 2
    await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=small_showtime, qty=3)
    assert "only 2 left of Premiere pack" in (await client.get("/cart")).text
    first, _ = world.showtime_ids
    await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=first, qty=5)
    cart = (await client.get("/cart")).text
    assert "Premiere pack: at most 4 per order" in cart
    assert "Your cart is empty" in cart
