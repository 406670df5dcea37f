"""The shipping address at checkout (orders.checkout with orders.addresses), both backends.

Rules protected: an order with merch stores its address, normalized, in a row of its own,
and `shipping_address_of` gives it back with its formatted text; the shipping country is the
order's; every bad part (and a bad e-mail) is refused in one answer and nothing is written
or reserved; an order of tickets only asks for no address and stores none. Phase 1 only
(`reserve_order`): Stripe is not asked."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from orders.addresses import ShippingAddress, load_shipping_address, shipping_address_of
from orders.cart import Cart, CartItem
from orders.checkout import reserve_order
from orders.codes import OrderError
from orders.models import Order
from tests.factory import Shop, shipping_address
from tests.orders.shop import count, stock_of


def shirt(shop: Shop) -> Cart:
    return Cart().with_item(CartItem.product(shop.shirt_sku, 1))


async def reserve(db: Database, cart: Cart, now: datetime, **kwargs: object) -> Order:
    async with db.session() as s:
        placed = await reserve_order(s, cart, email="fan@example.com", now=now, **kwargs)  # type: ignore[arg-type]
        return placed.order


@pytest.mark.parametrize("country", ["US", "GB"])
async def test_the_address_is_stored_in_its_row_and_shown_formatted(
    db: Database, shop: Shop, now: datetime, country: str
) -> None:
    order = await reserve(
        db,
        shirt(shop),
        now,
        country=country,
        shipping=shipping_address(country, phone="+1 555 0100"),
    )
    async with db.read_session() as s:
        loaded = await s.scalar(
            select(Order).where(Order.id == order.id).options(selectinload(Order.shipping))
        )
        row = await load_shipping_address(s, order.id)
    assert row is not None and row.order_id == order.id and row.country == country
    shown = shipping_address_of(loaded)
    expected = {
        "US": (
            "SPRINGFIELD",
            "IL",
            "62701",
            "Ada Fan\n1 Harbor Road\nSPRINGFIELD, IL 62701\nUNITED STATES",
        ),
        "GB": (
            "LONDON",
            "",
            "SW1A 2AA",
            "Ann Shopper\n10 Downing Street\nLONDON\nSW1A 2AA\nUNITED KINGDOM",
        ),
    }[country]
    assert (shown["city"], shown["area"], shown["postcode"], shown["formatted"]) == expected
    assert shown["phone"] == "+1 555 0100" and shown["country"] == country
    assert set(shown) == {
        "name",
        "line1",
        "line2",
        "city",
        "area",
        "postcode",
        "country",
        "phone",
        "formatted",
    }


async def test_the_address_must_be_in_the_orders_country(
    db: Database, shop: Shop, now: datetime
) -> None:
    with pytest.raises(DomainError) as refused:
        await reserve(
            db, shirt(shop), now, country="US", shipping={**shipping_address("GB"), "country": "GB"}
        )
    fields = {e.field: e.code for e in refused.value.errors}  # type: ignore[attr-defined]
    assert fields["country"] == OrderError.INVALID_COUNTRY
    assert await count(db, Order) == 0


async def test_every_bad_part_and_a_bad_email_are_refused_at_once_and_nothing_is_written(
    db: Database, shop: Shop, now: datetime
) -> None:
    with pytest.raises(DomainErrors) as refused:
        async with db.session() as s:
            await reserve_order(
                s, shirt(shop), email="not-an-email", country="US", now=now,
                shipping=shipping_address("US", city="", postcode="ABCDE", name="x\x00"),
            )  # fmt: skip
    assert {e.field: e.code for e in refused.value.errors} == {
        "email": OrderError.INVALID_EMAIL,
        "shipping_name": OrderError.INVALID_ADDRESS,
        "shipping_city": OrderError.SHIPPING_REQUIRED,
        "shipping_postcode": OrderError.INVALID_ADDRESS,
    }
    assert await count(db, Order) == 0
    assert await count(db, ShippingAddress) == 0
    assert await stock_of(db, shop.shirt_id) == 50


async def test_merch_without_an_address_is_refused(db: Database, shop: Shop, now: datetime) -> None:
    with pytest.raises(DomainError) as refused:
        await reserve(db, shirt(shop), now, country="US")
    assert refused.value.code == OrderError.SHIPPING_REQUIRED
    assert refused.value.field == "shipping_name"
    assert await count(db, Order) == 0


async def test_an_order_of_tickets_only_needs_no_address_and_stores_none(
    db: Database, shop: Shop, now: datetime
) -> None:
    tickets = Cart().with_item(CartItem.ticket(shop.showtime_id, 2))
    order = await reserve(db, tickets, now, country="US")
    ignored = await reserve(db, tickets, now, country="US", shipping={"name": "\x00"})
    async with db.read_session() as s:
        loaded = list(
            await s.scalars(
                select(Order)
                .where(Order.id.in_([order.id, ignored.id]))
                .options(selectinload(Order.shipping))
            )
        )
    assert [shipping_address_of(o) for o in loaded] == [None, None]
    assert await count(db, ShippingAddress) == 0


async def test_a_bundle_ships_its_merch_so_it_needs_an_address(
    db: Database, shop: Shop, now: datetime
) -> None:
    """Found merging fulfilments: a ticket-plus-shirt bundle alone asked for no address, yet
    its shirt gets a fulfilment line to ship (SPEC §8)."""
    bundle = Cart().with_item(CartItem.bundle(shop.offer_id, shop.showtime_id, 1))
    assert (
        bundle.ships_merch
        and not Cart().with_item(CartItem.ticket(shop.showtime_id, 1)).ships_merch
    )
    with pytest.raises(DomainError) as refused:
        await reserve(db, bundle, now, country="US")
    assert refused.value.code == OrderError.SHIPPING_REQUIRED
    assert await count(db, Order) == 0
    order = await reserve(db, bundle, now, country="US", shipping=shipping_address("US"))
    async with db.read_session() as s:
        stored = await load_shipping_address(s, order.id)
    assert stored is not None and stored.line1 == "1 Harbor Road"


@pytest.mark.parametrize("email", ["fän@example.com", "a<b>@example.com", '"q"@example.com'])
async def test_checkout_refuses_an_address_no_receipt_can_be_sent_to(
    db: Database, shop: Shop, now: datetime, email: str
) -> None:
    """Found by a hostile review: these were accepted, and the receipt then failed for good."""
    tickets = Cart().with_item(CartItem.ticket(shop.showtime_id, 1))
    with pytest.raises(DomainError) as refused:
        async with db.session() as s:
            await reserve_order(s, tickets, email=email, country="US", now=now)
    assert (refused.value.code, refused.value.field) == (OrderError.INVALID_EMAIL, "email")
    assert await count(db, Order) == 0


async def test_an_international_domain_is_stored_as_the_mailer_and_the_lookup_write_it(
    db: Database, shop: Shop, now: datetime
) -> None:
    tickets = Cart().with_item(CartItem.ticket(shop.showtime_id, 1))
    async with db.session() as s:
        placed = await reserve_order(s, tickets, email="Fan@Bücher.de", country="US", now=now)
    assert placed.order.email == "Fan@xn--bcher-kva.de"
