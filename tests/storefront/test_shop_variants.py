"""A product with sizes on the storefront: the page offers a select of its variants (a size
out of stock is disabled), the cart line names the size, the product's own SKU asks for a
size, and the order page shows the size bought (issue 12 "Variants")."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Product
from catalog.variants import create_variant
from kernel.db import Database
from tests.factory import shop_world
from tests.storefront.test_shop_cart import add, csrf


@pytest.fixture
async def world(db: Database):
    made = await shop_world(db, shirt_stock=0)
    async with db.session() as s:
        shirt = await s.scalar(select(Product).where(Product.sku == "NH-TEE-01"))
        assert shirt is not None
        for code, size, stock in (("NH-TEE-01-S", "S", 0), ("NH-TEE-01-M", "M", 4)):
            await create_variant(
                s, shirt.id, merchant_id=None, code=code, options=[("size", size)], stock=stock
            )
    return made


def sku_of(page: str, size: str) -> str:
    match = re.search(r'<option value="([^"]+)"[^>]*>' + size + " —", page)
    assert match, page
    return match.group(1)


async def test_the_product_page_offers_its_sizes_and_disables_one_out_of_stock(
    client: httpx.AsyncClient, world
) -> None:
    page = (await client.get("/products/NH-TEE-01")).text
    assert '<select id="f-sku" name="sku" required>' in page
    s_option = re.search(r"<option [^>]*>S —[^<]*</option>", page)
    m_option = re.search(r"<option [^>]*>M —[^<]*</option>", page)
    assert s_option and "disabled" in s_option.group(0) and "(out of stock)" in s_option.group(0)
    assert m_option and "disabled" not in m_option.group(0) and "(4 left)" in m_option.group(0)


async def test_a_shopper_adds_size_m_and_the_cart_names_it(
    client: httpx.AsyncClient, world
) -> None:
    token = await csrf(client)
    page = (await client.get("/products/NH-TEE-01")).text
    refused = await add(client, token, kind="product", sku="NH-TEE-01",
                        next="/products/NH-TEE-01")  # fmt: skip
    assert refused.status_code == 303
    assert "Please choose the size" in (await client.get("/products/NH-TEE-01")).text
    added = await add(client, token, kind="product", sku=sku_of(page, "M"), qty=2)
    assert added.status_code == 303
    cart = (await client.get("/cart")).text
    assert "Night Harbor lighthouse tee (M)" in cart
    assert "Cart (2)" in cart
    too_many = await add(client, token, kind="product", sku=sku_of(page, "M"), qty=3)
    assert too_many.status_code == 303
    assert "Cart (2)" in (await client.get("/cart")).text


async def test_the_bundle_form_asks_for_the_size_and_the_cart_names_it(
    client: httpx.AsyncClient, world
) -> None:
    token = await csrf(client)
    film = (await client.get("/films/night-harbor")).text
    select_tag = re.search(r'<select id="f-choice-(\d+)-(\d+)" name="choice_(\d+)" required>', film)
    assert select_tag, film
    offer_id, position = select_tag.group(1), select_tag.group(3)
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>(S|M)[ <]', film))
    by_size = {size: vid for vid, size in options.items()}
    assert re.search(rf'<option value="{by_size["S"]}" disabled>S \(out of stock\)', film)
    first, _ = world.showtime_ids

    # Without a size the bundle is refused in words; with M it goes in, named.
    await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=first, next="/")
    assert "Please choose the size" in (await client.get("/")).text
    added = await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=first,
                      **{f"choice_{position}": by_size["M"]})  # fmt: skip
    assert added.status_code == 303 and added.headers["location"] == "/cart"
    cart = (await client.get("/cart")).text
    assert "(Night Harbor lighthouse tee M)" in cart
    # A malformed choice is a 400, never a 500.
    bad = await add(client, token, kind="bundle", offer_id=offer_id, showtime_id=first,
                    **{f"choice_{position}": "M\x00"})  # fmt: skip
    assert bad.status_code == 400
