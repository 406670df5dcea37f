"""Checkout, the card step and the order page, against a real localstripe.

Rules protected: checkout re-checks every line and changes nothing on a refusal (errors next
to their field); the pay page says payments are test payments; the card step confirms on the
server and a declined card leaves the order payable; the order page needs its unguessable
key (a wrong key is a 404) and shows tickets as QR codes, bundle contents and merch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from catalog.models import Product, Ticket
from kernel.db import Database
from orders.models import Order, OrderLine, OrderStatus, Refund
from tests.factory import shipping_form, shop_world
from tests.prices import usd


@pytest.fixture
async def world(db: Database):
    return await shop_world(db, shirt_stock=3)


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def fill_cart(client: httpx.AsyncClient, world) -> str:
    token = token_of((await client.get("/")).text)
    film = (await client.get("/films/night-harbor")).text
    offer_id = re.search(r'name="offer_id" value="(\d+)"', film).group(1)
    base = {"csrf_token": token, "qty": "1"}
    await client.post(
        "/cart/add",
        data={**base, "kind": "bundle", "offer_id": offer_id, "showtime_id": world.showtime_ids[0]},
    )
    await client.post("/cart/add", data={**base, "kind": "product", "sku": "NH-POSTER-01"})
    return token


CONTACT = {
    "email": "ann@example.test",
    "country": "US",
    **shipping_form("US", name="Ann Shopper"),
}


async def check_out(client: httpx.AsyncClient, token: str) -> tuple[str, str]:
    placed = await client.post("/checkout", data={"csrf_token": token, **CONTACT})
    assert placed.status_code == 303, placed.text
    location = placed.headers["location"]
    number = location.split("/pay/", 1)[1].split("?", 1)[0]
    key = parse_qs(urlsplit(location).query)["key"][0]
    return number, key


async def card_token(localstripe, number: str) -> str:
    """A card token made the way Stripe.js createToken makes it."""
    async with httpx.AsyncClient() as c:
        made = await c.post(
            f"{localstripe.url}/v1/tokens",
            data={
                "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034",
                "card[cvc]": "123", "key": localstripe.publishable_key,
            },
        )  # fmt: skip
    made.raise_for_status()
    return made.json()["id"]


async def test_checkout_shows_the_cart_and_asks_for_shipping_for_merch_and_bundles(shop, world):
    token = await fill_cart(shop, world)
    page = await shop.get("/checkout")
    assert page.status_code == 200
    assert usd(3200) in page.text and usd(1500) in page.text and usd(4700) in page.text
    assert 'name="shipping_line1"' in page.text
    await shop.post("/cart/remove", data={"csrf_token": token, "index": "1"})
    page = await shop.get("/checkout")
    # A bundle's merch ships too (SPEC §8: its parts get fulfilment lines to ship).
    assert 'name="shipping_line1"' in page.text


async def test_checkout_errors_sit_next_to_their_field_and_nothing_changes(
    shop, world, db: Database
):
    token = await fill_cart(shop, world)
    bad = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "email": "not-an-email"}
    )
    assert bad.status_code == 400
    assert 'id="e-email"' in bad.text and "valid email" in bad.text
    assert 'value="Ann Shopper"' in bad.text  # what was typed is kept
    no_address = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "shipping_line1": ""}
    )
    assert no_address.status_code == 400
    assert 'id="e-shipping_line1"' in no_address.text
    async with db.read_session() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 0
        assert await s.scalar(select(Product.stock).where(Product.sku == "NH-TEE-01")) == 3
    assert "Cart (2)" in (await shop.get("/cart")).text


async def test_checkout_refuses_merch_not_licensed_in_the_shipping_country(shop, world):
    token = await fill_cart(shop, world)
    japan = {**CONTACT, **shipping_form("JP"), "country": "JP"}
    refused = await shop.post("/checkout", data={"csrf_token": token, **japan})
    assert refused.status_code == 400
    assert "not licensed for sale in Japan" in refused.text


async def test_paying_with_a_test_card_shows_tickets_and_merch_on_the_order_page(
    shop, world, localstripe, db: Database
):
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    assert "Your cart is empty" in (await shop.get("/cart")).text
    pay = await shop.get(f"/pay/{number}", params={"key": key})
    assert pay.status_code == 200
    assert "Test payments: no real card is charged" in pay.text
    assert f'src="{localstripe.js_url}"' in pay.text and "/static/pay.js" in pay.text
    assert usd(4700) in pay.text

    card = await card_token(localstripe, "4242424242424242")
    no_csrf = await shop.post(f"/pay/{number}/confirm", json={"token": card, "key": key})
    assert no_csrf.status_code == 403
    paid = await shop.post(
        f"/pay/{number}/confirm",
        json={"token": card, "key": key},
        headers={"X-CSRF-Token": token},
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"
    assert paid.json()["next"] == f"/orders/{number}?key={key}"

    status = await shop.get(f"/orders/{number}/status", params={"key": key})
    assert status.json() == {"status": "paid"}
    page = await shop.get(f"/orders/{number}", params={"key": key})
    assert page.status_code == 200
    html = page.text
    assert "Paid" in html
    assert html.count('class="ticket-qr"') == 1  # one e-ticket, as an inline QR SVG
    async with db.read_session() as s:
        code = await s.scalar(select(Ticket.code))
    assert code in html
    assert "1 \u00d7 Night Harbor lighthouse tee" in html  # the bundle's contents
    assert "Night Harbor teaser poster" in html and "NH-POSTER-01" in html
    assert "Ann Shopper" in html
    # A paid order's pay link leads to the order page.
    again = await shop.get(f"/pay/{number}", params={"key": key})
    assert again.status_code == 303 and again.headers["location"].startswith("/orders/")
    # The ticket code is genuine, and checking it reveals nothing about the shopper.
    verdict = await shop.get(f"/verify/{code}")
    assert "Genuine ticket" in verdict.text
    assert "ann@example.test" not in verdict.text and number not in verdict.text


async def test_a_declined_card_says_so_and_the_order_stays_payable(shop, world, localstripe):
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    card = await card_token(localstripe, "4000000000000341")
    declined = await shop.post(
        f"/pay/{number}/confirm", json={"token": card, "key": key, "csrf_token": token}
    )
    assert declined.status_code == 200
    answer = declined.json()
    assert answer["status"] == "requires_payment_method"
    assert "declined" in answer["message"].lower()
    assert (await shop.get(f"/orders/{number}/status", params={"key": key})).json() == {
        "status": "pending_payment"
    }
    pay = await shop.get(f"/pay/{number}", params={"key": key})
    assert pay.status_code == 200 and 'id="pay-form"' in pay.text
    good = await card_token(localstripe, "4242424242424242")
    paid = await shop.post(
        f"/pay/{number}/confirm", json={"token": good, "key": key, "csrf_token": token}
    )
    assert paid.json()["status"] == "succeeded"


async def test_the_order_link_needs_its_key(shop, world, db: Database):
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    for params in ({}, {"key": "wrong"}, {"key": key[:-1] + ("A" if key[-1] != "A" else "B")}):
        assert (await shop.get(f"/orders/{number}", params=params)).status_code == 404
        assert (await shop.get(f"/pay/{number}", params=params)).status_code == 404
        assert (await shop.get(f"/orders/{number}/status", params=params)).status_code == 404
    assert (await shop.get("/orders/TI-NOSUCHORDER00", params={"key": key})).status_code == 404
    page = await shop.get(f"/orders/{number}", params={"key": key})
    assert page.status_code == 200 and "Awaiting payment" in page.text
    assert page.headers["cache-control"] == "no-store"
    async with db.read_session() as s:
        stored = await s.scalar(select(Order.access_key_hash))
    assert key not in stored  # only a hash of the key is kept


async def test_without_payment_keys_checkout_refuses_and_reserves_nothing(
    client, world, db: Database
):
    token = await fill_cart(client, world)
    refused = await client.post("/checkout", data={"csrf_token": token, **CONTACT})
    assert refused.status_code == 400
    # the domain error's own English words: not refusals.py's translated PAYMENT_UNAVAILABLE
    assert "Payments are not configured." in refused.text
    async with db.read_session() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 0
        assert await s.scalar(select(Product.stock).where(Product.sku == "NH-TEE-01")) == 3


async def pay(shop: httpx.AsyncClient, localstripe, token: str, number: str, key: str) -> dict:
    card = await card_token(localstripe, "4242424242424242")
    paid = await shop.post(
        f"/pay/{number}/confirm", json={"token": card, "key": key}, headers={"X-CSRF-Token": token}
    )
    return paid.json()


async def test_an_order_past_its_payment_time_cannot_be_paid(shop, world, localstripe, db):
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    async with db.session() as s:
        order = await s.scalar(select(Order).where(Order.number == number))
        order.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    page = await shop.get(f"/pay/{number}", params={"key": key})
    assert "The time to pay for this order has run out" in page.text
    assert 'id="pay-form"' not in page.text
    answer = await pay(shop, localstripe, token, number, key)
    assert answer["status"] == "error" and "run out" in answer["message"]
    order_page = await shop.get(f"/orders/{number}", params={"key": key})
    assert "Pay now" not in order_page.text


async def test_the_order_page_shows_refunds_and_void_tickets(shop, world, localstripe, db):
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    assert (await pay(shop, localstripe, token, number, key))["status"] == "succeeded"
    async with db.session() as s:
        order = await s.scalar(select(Order).where(Order.number == number))
        line = await s.scalar(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.kind == "bundle")
        )
        line.refunded_quantity = 1
        order.status = OrderStatus.PARTIALLY_REFUNDED
        order.refunded_minor = 3200
        ticket = await s.scalar(select(Ticket).where(Ticket.order_line_id == line.id))
        ticket.voided_at = datetime.now(UTC)
        s.add(
            Refund(
                order_id=order.id,
                idempotency_key=f"refund-{number}",
                amount_minor=3200,
                reason="Could not come <b>after all</b>",
                created_by="staff",
            )
        )
    page = (await shop.get(f"/orders/{number}", params={"key": key})).text
    assert "Partly refunded" in page
    assert "Refunds" in page and usd(3200) in page
    assert "Could not come &lt;b&gt;after all&lt;/b&gt;" in page
    assert "this ticket is void" in page
    assert 'class="ticket-qr"' not in page  # a void ticket shows no code to scan
    assert "1 refunded" in page
