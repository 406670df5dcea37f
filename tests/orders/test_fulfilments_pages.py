"""The pages of fulfilment (SPEC §8): the shopper's order page shows each shipment with its
tracking and what is still to ship; the staff console lists fulfilments by status and shows
one with its address, lines and shipments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from kernel.config import Settings
from kernel.db import Database
from orders.card_step import confirm_payment
from orders.fulfilment_models import Fulfilment, FulfilmentLine
from orders.fulfilments import create_shipment
from orders.payments import StripeGateway
from tests.factory import Shop, staff_member
from tests.fixtures.stripe import in_process
from tests.orders.shop import checkout, full_cart
from tests.storefront.console import sign_in

X = "\u00d7"  # the multiplication sign the page writes between a quantity and its item


@pytest.fixture
async def app_client(stripe_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from tiein.app import create_app

    async with in_process(create_app(stripe_settings, database=db)) as c:
        yield c


async def test_the_order_page_shows_shipments_and_what_is_left_and_staff_see_the_fulfilment(
    app_client: httpx.AsyncClient, db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    async with db.session() as s:
        fulfilment = await s.scalar(select(Fulfilment))
        assert fulfilment is not None
        shirts = await s.scalar(
            select(FulfilmentLine).where(
                FulfilmentLine.fulfilment_id == fulfilment.id,
                FulfilmentLine.bundle_allocation_id.is_(None),
            )
        )
        assert shirts is not None
        await create_shipment(
            s, merchant_id=None, fulfilment_id=fulfilment.id, lines=[(shirts.id, 2)],
            carrier="Royal <Mail>", tracking_number="RM123456789GB", now=now,
        )  # fmt: skip
    order_url = f"/orders/{placed.order.number}?{urlencode({'key': placed.access_key})}"
    page = await app_client.get(order_url)
    assert page.status_code == 200
    assert "RM123456789GB" in page.text
    assert "Royal &lt;Mail&gt;" in page.text  # escaped
    assert f"2 {X} Lighthouse tee" in page.text
    assert "Still to ship" in page.text
    assert f"1 {X} Lighthouse tee (in" in page.text  # the bundle's shirt
    assert f"2 {X} Teaser poster (in" in page.text  # its two posters

    await staff_member(db)
    await sign_in(app_client)
    listing = await app_client.get("/staff/fulfilments")
    assert listing.status_code == 200
    assert 'href="/staff/fulfilments"' in listing.text  # in the staff navigation
    assert placed.order.number in listing.text
    filtered = await app_client.get("/staff/fulfilments?status=shipped")
    assert placed.order.number not in filtered.text
    partial = await app_client.get("/staff/fulfilments?status=partially_shipped")
    assert placed.order.number in partial.text
    detail = await app_client.get(f"/staff/fulfilments/{fulfilment.id}")
    assert detail.status_code == 200
    assert "1 Harbor Road" in detail.text and "Ada Fan" in detail.text
    assert "RM123456789GB" in detail.text
    for bad in ("999999", "abc", "0"):
        assert (await app_client.get(f"/staff/fulfilments/{bad}")).status_code == 404
