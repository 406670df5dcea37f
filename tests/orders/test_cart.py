"""The cart: plain data in the session, checked with refusals in words when items are added
and whenever it is shown (SPEC §3 sellable, §5 bundles, §6 one currency)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from catalog.models import ApprovalStage, Product, Showtime
from kernel.db import Database
from kernel.errors import DomainError
from orders.cart import MAX_ITEMS, MAX_QUANTITY, Cart, CartItem, add_to_cart
from orders.cart_summary import cart_summary
from orders.codes import OrderError
from orders.models import LineKind
from tests.factory import BUNDLE_PRICE, SHIRT_PRICE, TICKET_PRICE, Shop
from tests.orders.shop import full_cart


def test_a_cart_survives_the_session_cookie_and_junk_is_dropped() -> None:
    cart = full_cart_items()
    data = cart.to_session()
    assert Cart.from_session(data) == cart
    junk = [
        *data,
        {"kind": "product", "sku": "X", "qty": "2"},
        {"kind": "bundle", "showtime": 1, "qty": 1},
        {"kind": "ticket", "showtime": True, "qty": 1},
        {"kind": "product", "sku": "X", "qty": MAX_QUANTITY + 1},
        "nonsense",
    ]
    assert Cart.from_session(junk) == cart
    assert Cart.from_session("not a list") == Cart()


def full_cart_items() -> Cart:
    return (
        Cart()
        .with_item(CartItem.product("TEE-1", 2))
        .with_item(CartItem.ticket(7, 1))
        .with_item(CartItem.bundle(3, 7, 1))
    )


def test_adding_the_same_item_raises_its_quantity() -> None:
    cart = Cart().with_item(CartItem.product("TEE-1")).with_item(CartItem.product("TEE-1", 2))
    assert [(i.kind, i.qty) for i in cart.items] == [(LineKind.PRODUCT, 3)]
    assert cart.with_quantity(0, 0) == Cart()
    assert cart.with_quantity(0, 5).count == 5


async def test_adding_items_prices_them_and_the_summary_totals_the_cart(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.read_session() as s:
        cart = Cart()
        for item in full_cart(shop).items:
            cart = await add_to_cart(s, cart, item, country="US", now=now)
        summary = await cart_summary(s, cart, country="US", now=now)
    assert summary.ok
    assert summary.currency == "USD"
    assert summary.total_minor == 2 * SHIRT_PRICE + TICKET_PRICE + BUNDLE_PRICE
    assert [line.total_minor for line in summary.lines] == [
        2 * SHIRT_PRICE,
        TICKET_PRICE,
        BUNDLE_PRICE,
    ]
    assert summary.lines[1].description.startswith("Ticket: Night Harbor at Grand Lumiere")


async def test_merch_not_licensed_in_the_country_is_refused_in_words(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.read_session() as s:
        with pytest.raises(DomainError) as refused:
            await add_to_cart(s, Cart(), CartItem.product(shop.shirt_sku), country="JP", now=now)
    assert refused.value.code == "NOT_LICENSED_IN_TERRITORY"
    assert refused.value.message == "Lighthouse tee: not licensed for sale in Japan."


async def test_more_than_the_stock_is_refused_counting_what_is_already_in_the_cart(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.session() as s:
        await s.execute(update(Product).where(Product.id == shop.shirt_id).values(stock=12))
    item = CartItem.product(shop.shirt_sku, 8)
    async with db.read_session() as s:
        cart = await add_to_cart(s, Cart(), item, country="US", now=now)
        with pytest.raises(DomainError) as refused:
            await add_to_cart(s, cart, CartItem.product(shop.shirt_sku, 5), country="US", now=now)
        with pytest.raises(DomainError) as too_many:
            await add_to_cart(s, cart, CartItem.product(shop.shirt_sku, 13), country="US", now=now)
    assert refused.value.code == OrderError.OUT_OF_STOCK
    assert refused.value.message == "Sorry, only 12 left of Lighthouse tee."
    assert too_many.value.code == OrderError.INVALID_QUANTITY


async def test_a_sold_out_product_says_how_many_are_left(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.session() as s:
        await s.execute(update(Product).where(Product.id == shop.shirt_id).values(stock=3))
    async with db.read_session() as s:
        with pytest.raises(DomainError) as refused:
            await add_to_cart(s, Cart(), CartItem.product(shop.shirt_sku, 5), country="US", now=now)
    assert refused.value.code == OrderError.OUT_OF_STOCK
    assert refused.value.message == "Sorry, only 3 left of Lighthouse tee."


async def test_bundles_respect_the_per_order_limit_across_lines(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.read_session() as s:
        cart = await add_to_cart(
            s, Cart(), CartItem.bundle(shop.offer_id, shop.showtime_id, 4), country="US", now=now
        )
        with pytest.raises(DomainError) as refused:
            await add_to_cart(
                s, cart, CartItem.bundle(shop.offer_id, shop.showtime_id, 1), country="US", now=now
            )
    assert refused.value.code == OrderError.LIMIT_EXCEEDED
    assert "at most 4 per order" in refused.value.message


async def test_tickets_for_a_started_showtime_are_refused(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.read_session() as s:
        with pytest.raises(DomainError) as refused:
            await add_to_cart(
                s,
                Cart(),
                CartItem.ticket(shop.showtime_id),
                country="US",
                now=now + timedelta(days=3),
            )
    assert refused.value.code == OrderError.SHOWTIME_STARTED


async def test_one_currency_per_order(db: Database, shop: Shop, now: datetime) -> None:
    async with db.session() as s:
        await s.execute(
            update(Showtime).where(Showtime.id == shop.showtime_id).values(currency="EUR")
        )
    async with db.read_session() as s:
        cart = await add_to_cart(s, Cart(), CartItem.product(shop.shirt_sku), country="US", now=now)
        with pytest.raises(DomainError) as refused:
            await add_to_cart(s, cart, CartItem.ticket(shop.showtime_id), country="US", now=now)
    assert refused.value.code == OrderError.CURRENCY_MISMATCH
    assert "EUR and USD" in refused.value.message


async def test_the_summary_explains_a_line_that_can_no_longer_be_bought(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.read_session() as s:
        cart = await add_to_cart(s, Cart(), CartItem.product(shop.shirt_sku), country="US", now=now)
    # The licensor withdraws the design's approval after the shopper added it.
    async with db.session() as s:
        await s.execute(
            update(Product)
            .where(Product.id == shop.shirt_id)
            .values(approval_stage=ApprovalStage.CHANGES_REQUESTED)
        )
    cart = cart.with_item(CartItem.product("NO-SUCH-SKU"))
    async with db.read_session() as s:
        summary = await cart_summary(s, cart, country="US", now=now)
    assert not summary.ok
    assert summary.lines[0].error_code == "NOT_APPROVED"
    assert "not been approved" in (summary.lines[0].error or "")
    assert summary.lines[1].error_code == OrderError.UNKNOWN_PRODUCT
    assert len(summary.errors) == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
items = st.fixed_dictionaries(
    {"kind": st.sampled_from(["product", "ticket", "bundle", "x"]), "qty": st.integers(-2, 25)},
    optional={
        "sku": st.text(max_size=6),
        "showtime": st.integers(1, 3),
        "offer": st.integers(1, 3),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(items | json_values, max_size=30) | json_values)
def test_any_session_data_gives_a_valid_cart_that_round_trips(data: object) -> None:
    # The cookie is signed, but an old or hand-made cart must never break a page.
    cart = Cart.from_session(data)
    assert len(cart) <= MAX_ITEMS
    assert all(1 <= item.qty <= MAX_QUANTITY for item in cart.items)
    assert len({item.key for item in cart.items}) == len(cart.items)
    assert Cart.from_session(cart.to_session()).to_session() == cart.to_session()
