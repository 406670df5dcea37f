"""The shipping address on the checkout form, the order page and the staff order page.

Rules protected: the form asks for the parts of the chosen country in its words (a US state
and ZIP code, a Japanese prefecture and no city, a British post town and no area), without
JavaScript: a shopper who changes the country gets that country's fields before anything is
placed; every bad part is shown next to its field at once, what was typed is kept, and
nothing changes; the order page and the staff order page show the address as the country's
post writes it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kernel.db import Database
from orders.addresses import ShippingAddress
from orders.models import Order
from tests.factory import shipping_form, shop_world, staff_member
from tests.storefront.console import sign_in
from tests.storefront.test_shop_checkout import CONTACT, check_out, fill_cart


@pytest.fixture
async def world(db: Database):
    return await shop_world(db, shirt_stock=3)


def field_ids(html: str) -> list[str]:
    return re.findall(r'id="f-(shipping_\w+)"', html)


async def orders_and_addresses(db: Database) -> tuple[int, int]:
    async with db.read_session() as s:
        orders = await s.scalar(select(func.count()).select_from(Order))
        addresses = await s.scalar(select(func.count()).select_from(ShippingAddress))
    return orders, addresses


async def test_the_form_asks_for_the_parts_of_the_shoppers_country(shop, world) -> None:
    token = await fill_cart(shop, world)
    us = (await shop.get("/checkout")).text
    assert field_ids(us) == [
        "shipping_name", "shipping_line1", "shipping_line2", "shipping_city", "shipping_area",
        "shipping_postcode", "shipping_phone",
    ]  # fmt: skip
    assert '<label for="f-shipping_area">State</label>' in us
    assert '<label for="f-shipping_postcode">ZIP code</label>' in us
    assert '<option value="CA">California</option>' in us
    assert 'autocomplete="shipping postal-code"' in us and "For example 95014" in us
    assert '<input type="hidden" name="address_country" value="US">' in us

    await shop.post("/country", data={"csrf_token": token, "country": "JP", "next": "/"})
    jp = (await shop.get("/checkout")).text
    assert "shipping_city" not in field_ids(jp)  # the address lines carry the city
    assert '<label for="f-shipping_area">Prefecture</label>' in jp
    assert '<option value="東京都">Tokyo (東京都)</option>' in jp
    assert '<label for="f-shipping_postcode">Postal code</label>' in jp

    await shop.post("/country", data={"csrf_token": token, "country": "GB", "next": "/"})
    gb = (await shop.get("/checkout")).text
    assert "shipping_area" not in field_ids(gb)
    assert '<label for="f-shipping_city">Post town</label>' in gb


async def test_every_bad_part_is_shown_next_to_its_field_and_nothing_changes(
    shop, world, db: Database
) -> None:
    token = await fill_cart(shop, world)
    bad = {**CONTACT, "email": "nope", "shipping_city": "", "shipping_postcode": "ABCDE"}
    refused = await shop.post("/checkout", data={"csrf_token": token, **bad})
    assert refused.status_code == 400
    html = refused.text
    assert '<p class="error" id="e-email">' in html
    assert '<p class="error" id="e-shipping_city">Please give the city.</p>' in html
    assert (
        '<p class="error" id="e-shipping_postcode">This is not a ZIP code of the United States'
        " (for example 95014).</p>"
    ) in html
    assert 'aria-describedby="e-shipping_postcode h-shipping_postcode"' in html
    assert 'value="ABCDE"' in html and 'value="Ann Shopper"' in html  # what was typed is kept
    assert '<option value="IL" selected>' in html
    assert "e-shipping_line1" not in html  # only the bad parts are marked
    assert await orders_and_addresses(db) == (0, 0)


async def test_changing_the_country_shows_its_fields_before_anything_is_placed(
    shop, world, db: Database
) -> None:
    token = await fill_cart(shop, world)
    moved = {**CONTACT, "country": "GB", "address_country": "US"}
    again = await shop.post("/checkout", data={"csrf_token": token, **moved})
    assert again.status_code == 200
    assert "now asks for an address in United Kingdom" in again.text
    assert '<label for="f-shipping_city">Post town</label>' in again.text
    assert "shipping_area" not in field_ids(again.text)
    assert await orders_and_addresses(db) == (0, 0)
    # Filled in for Britain, it is placed there.
    british = {**CONTACT, **shipping_form("GB"), "country": "GB", "address_country": "GB"}
    placed = await shop.post("/checkout", data={"csrf_token": token, **british})
    assert placed.status_code == 303, placed.text
    async with db.read_session() as s:
        row = await s.scalar(select(ShippingAddress))
    assert (row.city, row.postcode, row.country) == ("LONDON", "SW1A 2AA", "GB")


async def test_a_nul_or_a_huge_part_is_refused_and_nothing_changes(
    shop, world, db: Database
) -> None:
    token = await fill_cart(shop, world)
    nul = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "shipping_line2": "a\x00b"}
    )
    assert nul.status_code == 400
    huge = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "shipping_line1": "é" * 300}
    )
    assert huge.status_code == 400
    assert (
        '<p class="error" id="e-shipping_line1">Please keep this to 200 characters.</p>'
        in huge.text
    )
    assert await orders_and_addresses(db) == (0, 0)


async def test_the_order_page_and_the_staff_order_page_show_the_formatted_address(
    shop, world, db: Database
) -> None:
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    shown = (
        "<address>Ann Shopper<br>1 Harbor Road<br>SPRINGFIELD, IL 62701<br>UNITED STATES</address>"
    )
    page = await shop.get(f"/orders/{number}", params={"key": key})
    assert shown in page.text
    await staff_member(db)
    await sign_in(shop)
    staff = await shop.get(f"/staff/orders/{number}")
    assert staff.status_code == 200 and shown in staff.text


async def test_a_bundle_ships_its_merch_so_the_form_asks_for_an_address(shop, world) -> None:
    """SPEC §8: a bundle's merch parts get fulfilment lines with units to ship (it used to be
    "picked up at the cinema", and its shirt then had nowhere to go)."""
    token = await fill_cart(shop, world)
    await shop.post("/cart/remove", data={"csrf_token": token, "index": "1"})  # the poster
    form = (await shop.get("/checkout")).text
    assert "shipping_line1" in field_ids(form) and "address_country" in form
