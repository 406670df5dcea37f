"""The shopper's country: chosen from every ISO country (named by pycountry), and a code that
names no country ("ZZ") is refused both in the country selector and at checkout."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from kernel.db import Database
from orders.models import Order
from tests.factory import shop_world


@pytest.fixture
async def world(db: Database):
    return await shop_world(db)


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def selected_country(html: str) -> str:
    return re.search(r'<option value="([A-Z]{2})" selected>', html).group(1)


async def test_the_selector_offers_every_country_by_its_name(client: httpx.AsyncClient, world):
    html = (await client.get("/")).text
    assert len(re.findall(r'<option value="[A-Z]{2}"', html)) == 249
    assert '<option value="KR">South Korea</option>' in html
    assert '<option value="TW">Taiwan</option>' in html
    assert selected_country(html) == "US"


async def test_choosing_a_country_says_its_name(client: httpx.AsyncClient, world):
    token = token_of((await client.get("/")).text)
    await client.post("/country", data={"csrf_token": token, "country": "gb", "next": "/"})
    html = (await client.get("/")).text
    assert "Showing what is on sale in the United Kingdom." in html
    assert selected_country(html) == "GB"


@pytest.mark.parametrize("country", ["ZZ", "XX", "UK"])
async def test_a_code_that_names_no_country_is_refused(client: httpx.AsyncClient, world, country):
    token = token_of((await client.get("/")).text)
    await client.post("/country", data={"csrf_token": token, "country": country, "next": "/"})
    html = (await client.get("/")).text
    assert "Choose a country from the list." in html
    assert selected_country(html) == "US"  # unchanged


async def test_checkout_refuses_an_unknown_country_next_to_its_field(
    client: httpx.AsyncClient, world, db: Database
):
    token = token_of((await client.get("/")).text)
    await client.post(
        "/cart/add", data={"csrf_token": token, "qty": "1", "kind": "product", "sku": "NH-TEE-01"}
    )
    refused = await client.post(
        "/checkout",
        data={"csrf_token": token, "email": "ann@example.test", "country": "ZZ",
              "shipping_name": "Ann", "shipping_address": "1 Harbour Road"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert 'id="e-country"' in refused.text
    assert "Please choose a country from the list." in refused.text
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
