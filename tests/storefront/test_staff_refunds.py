"""Refunds from the staff order page, through Stripe (localstripe), exactly as the service does
them: some units of a line, then everything left; stock only when asked (SPEC §6)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Ticket
from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from orders.card_step import confirm_payment
from orders.models import LineKind, Order, OrderLine, OrderStatus, Refund
from orders.payments import StripeGateway
from tests.factory import Shop, order_shop, staff_member
from tests.fixtures.stripe import in_process
from tests.orders.shop import checkout, full_cart, ledger, stock_of
from tests.prices import usd
from tests.storefront.console import confirm, csrf, sign_in


@pytest.fixture
async def staff_client(stripe_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in staff browser on an app configured for localstripe."""
    from tiein.app import create_app

    async with in_process(create_app(stripe_settings, database=db)) as c:
        await staff_member(db)
        await sign_in(c)
        yield c


async def _paid_order(db: Database, gateway: StripeGateway, now: datetime) -> tuple[Shop, Order]:
    shop = await order_shop(db, now=now)
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    async with db.read_session() as s:
        return shop, await s.get(Order, placed.order.id)


async def _lines(db: Database, order_id: int) -> dict[LineKind, OrderLine]:
    async with db.read_session() as s:
        rows = await s.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
        return {line.kind: line for line in rows}


async def test_staff_refund_one_shirt_with_restock_then_everything_left(
    staff_client: httpx.AsyncClient, db: Database, gateway: StripeGateway
) -> None:
    shop, order = await _paid_order(db, gateway, now_utc())
    lines = await _lines(db, order.id)
    shirt = lines[LineKind.PRODUCT]
    stock_before = await stock_of(db, shop.shirt_id)

    page = await staff_client.get(f"/staff/orders/{order.number}")
    assert page.status_code == 200
    assert f'name="qty_{shirt.id}"' in page.text
    assert usd(10200) in page.text  # the total, with its currency

    token = await csrf(staff_client, f"/staff/orders/{order.number}")
    form = {"csrf_token": token, "scope": "lines", "restock": "on", "reason": "torn"}
    form |= {f"qty_{line.id}": "0" for line in lines.values()}
    form[f"qty_{shirt.id}"] = "1"
    asked = await staff_client.post(f"/staff/orders/{order.number}/refund", data=form)
    # The first POST only says what will happen: the amount, the units, the stock.
    assert asked.status_code == 200
    assert f"Refund {usd(2500)} of" in asked.text and "goes back to stock" in asked.text
    assert "Reason kept with the refund: torn" in asked.text
    async with db.read_session() as s:
        assert (await s.scalars(select(Refund))).all() == []
    assert await stock_of(db, shop.shirt_id) == stock_before
    response = await confirm(staff_client, asked)
    assert response.status_code == 303
    shown = await staff_client.get(response.headers["location"])
    assert f"Refunded {usd(2500)}." in shown.text
    assert "partially refunded" in shown.text

    assert await stock_of(db, shop.shirt_id) == stock_before + 1
    async with db.read_session() as s:
        (refund,) = (await s.scalars(select(Refund).where(Refund.order_id == order.id))).all()
    assert refund.amount_minor == 2500 and refund.restock and refund.created_by == "desk-officer"
    assert refund.stripe_refund_id  # Stripe made it
    reversal = [e for e in await ledger(db) if e.units < 0]
    assert [(e.units, e.net_minor) for e in reversal] == [(-1, -2500)]

    # Asking for more than is left is refused by the rule, and nothing changes.
    token = await csrf(staff_client, f"/staff/orders/{order.number}")
    too_many = {"csrf_token": token, "scope": "lines", f"qty_{shirt.id}": "5"}
    response = await staff_client.post(f"/staff/orders/{order.number}/refund", data=too_many)
    assert response.status_code == 303  # refused before any confirmation is asked
    refused = await staff_client.get(response.headers["location"])
    assert 'data-code="INVALID_REFUND"' in refused.text and "(INVALID_REFUND)" not in refused.text

    # Everything left, without restocking: the order is refunded, its tickets void.
    token = await csrf(staff_client, f"/staff/orders/{order.number}")
    asked = await staff_client.post(
        f"/staff/orders/{order.number}/refund", data={"csrf_token": token, "scope": "all"}
    )
    assert f"Yes, refund {usd(7700)}" in asked.text
    response = await confirm(staff_client, asked)
    shown = await staff_client.get(response.headers["location"])
    assert f"Refunded {usd(7700)}." in shown.text  # 25.00 + 12.00 + 40.00
    async with db.read_session() as s:
        final = await s.get(Order, order.id)
        tickets = (await s.scalars(select(Ticket))).all()
    assert final.status == OrderStatus.REFUNDED and final.refunded_minor == final.total_minor
    assert tickets and all(t.voided_at is not None for t in tickets)
    assert await stock_of(db, shop.shirt_id) == stock_before + 1
    assert "Only paid orders can be refunded." in shown.text


async def test_a_refund_stripe_does_not_answer_is_shown_pending_confirmation(
    stripe_settings: Settings, db: Database, gateway: StripeGateway
) -> None:
    from tiein.app import create_app

    _shop, order = await _paid_order(db, gateway, now_utc())
    shirt = (await _lines(db, order.id))[LineKind.PRODUCT]
    # Stripe's address stops answering (a closed port) after the order was paid.
    silent = dataclasses.replace(stripe_settings, stripe_api_base="http://127.0.0.1:9")
    async with in_process(create_app(silent, database=db)) as client:
        await staff_member(db)
        await sign_in(client)
        token = await csrf(client, f"/staff/orders/{order.number}")
        form = {"csrf_token": token, "scope": "lines", f"qty_{shirt.id}": "1"}
        asked = await client.post(f"/staff/orders/{order.number}/refund", data=form)
        response = await confirm(client, asked)
        shown = await client.get(response.headers["location"])

    assert "pending confirmation from Stripe" in shown.text
    assert 'data-code="REFUND_PENDING"' in shown.text
    assert "Refunded $" not in shown.text
    async with db.read_session() as s:
        (refund,) = (await s.scalars(select(Refund))).all()
        refreshed = await s.get(Order, order.id)
    assert refund.stripe_refund_id is None and refreshed.refunded_minor == 2500
    assert not [e for e in await ledger(db) if e.units < 0]  # not before Stripe's word


async def test_orders_list_finds_an_order_by_number(
    staff_client: httpx.AsyncClient, db: Database, gateway: StripeGateway
) -> None:
    _, order = await _paid_order(db, gateway, now_utc())
    listing = await staff_client.get("/staff/orders")
    assert order.number in listing.text
    found = await staff_client.get(f"/staff/orders?number={order.number}")
    assert found.status_code == 303
    assert found.headers["location"].endswith(f"/staff/orders/{order.number}")
    missing = await staff_client.get("/staff/orders?number=NOPE-1")
    assert "No order NOPE-1." in missing.text
    assert (await staff_client.get("/staff/orders/NOPE-1")).status_code == 404
