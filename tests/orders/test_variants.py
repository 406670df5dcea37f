"""A product with variants is bought by variant: cart, checkout, reservation, payment,
fulfilment, refund and expiry move the chosen variant's stock only, and 50 shoppers racing
for the last 10 units of size M buy exactly 10 (SPEC §5-§8, issue 12 "Variants")."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from catalog.bundles import create_bundle_offer
from catalog.models import Showtime, Variant
from catalog.products import adjust_stock
from catalog.variants import create_variant
from kernel.db import Database
from kernel.errors import DomainError
from orders.availability import offer_availability
from orders.card_step import confirm_payment
from orders.cart import Cart, CartItem
from orders.codes import OrderError
from orders.fulfilment_models import FulfilmentLine
from orders.models import (
    BundleAllocation,
    Order,
    OrderLine,
    OrderStatus,
    Reservation,
    ReservationStatus,
)
from orders.payments import StripeGateway
from orders.reconcile import expire_orders
from orders.refunds import refund_order_lines
from storefront.shop.queries import order_page
from tests.factory import SHIRT_PRICE, Shop, order_shop
from tests.orders.shop import checkout, count, ledger, stock_of


async def add_sizes(db: Database, shop: Shop, **stock: int) -> dict[str, str]:
    """Give the shop's T-shirt sizes (its own stock of 50 goes to 0 first); the SKU of each."""
    async with db.session() as s:
        await adjust_stock(s, shop.shirt_id, -50, merchant_id=None)
        skus = {}
        for size, units in stock.items():
            price = SHIRT_PRICE + 200 if size == "XL" else None
            variant = await create_variant(
                s, shop.shirt_id, merchant_id=None, code=f"TEE-{size}",
                options=[("size", size)], stock=units, price_minor=price,
            )  # fmt: skip
            skus[size] = variant.sku
    return skus


async def variant_stock(db: Database) -> dict[str, int]:
    async with db.read_session() as s:
        rows = await s.execute(select(Variant.sku, Variant.stock))
        return {sku.rsplit("-", 1)[1]: stock for sku, stock in rows.all()}


async def test_a_shopper_buys_size_m_and_only_m_moves_through_payment_and_refund(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    skus = await add_sizes(db, shop, S=3, M=10, L=5, XL=2)
    assert await stock_of(db, shop.shirt_id) == 20  # the product's total is its variants'

    # Given the product's own SKU, the shopper is asked to choose a size.
    with pytest.raises(DomainError) as refused:
        await checkout(db, Cart().with_item(CartItem.product(shop.shirt_sku, 1)), gateway, now=now)
    assert refused.value.code == OrderError.VARIANT_REQUIRED
    assert "size" in refused.value.message

    # When they buy two of size M and one XL (which has a price of its own),
    cart = Cart().with_item(CartItem.product(skus["M"], 2)).with_item(CartItem.product(skus["XL"]))
    placed = await checkout(db, cart, gateway, now=now)
    assert placed.order.total_minor == 2 * SHIRT_PRICE + SHIRT_PRICE + 200
    # then M and XL are reserved, S and L untouched, and the total follows.
    assert await variant_stock(db) == {"S": 3, "M": 8, "L": 5, "XL": 1}
    assert await stock_of(db, shop.shirt_id) == 17
    async with db.read_session() as s:
        held = list(await s.scalars(select(Reservation).order_by(Reservation.id)))
        lines = list(await s.scalars(select(OrderLine).order_by(OrderLine.id)))
    assert sorted(r.quantity for r in held if r.variant_id) == [1, 2]
    assert all(r.product_id == shop.shirt_id for r in held)
    assert [line.description for line in lines] == [
        "Lighthouse tee (M)",
        "Lighthouse tee (XL)",
    ]

    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    # The merchant ships the variant's SKU; royalties stay per product.
    async with db.read_session() as s:
        shipped = list(await s.scalars(select(FulfilmentLine).order_by(FulfilmentLine.id)))
    assert [(f.sku, f.quantity) for f in shipped] == [(skus["M"], 2), (skus["XL"], 1)]
    assert {e.product_id for e in await ledger(db)} == {shop.shirt_id}
    # The order page names the variant bought (its SKU is shown instead of the product's).
    async with db.read_session() as s:
        page = await order_page(s, placed.order.id)
    assert sorted(v.sku for v in page.variants.values()) == [skus["M"], skus["XL"]]

    # A refund with restock puts the unit back into M, not into the product at large.
    m_line = lines[0]
    await refund_order_lines(
        db, placed.order.id, [(m_line.id, 1)], restock=True, by="staff:ana", gateway=gateway,
        now=now,
    )  # fmt: skip
    assert await variant_stock(db) == {"S": 3, "M": 9, "L": 5, "XL": 1}
    assert await stock_of(db, shop.shirt_id) == 18


async def test_an_expired_order_gives_its_variant_units_back(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    skus = await add_sizes(db, shop, M=4, L=5)
    placed = await checkout(db, Cart().with_item(CartItem.product(skus["M"], 3)), gateway, now=now)
    assert await variant_stock(db) == {"M": 1, "L": 5}

    await expire_orders(db, gateway, now=now + timedelta(minutes=16))

    assert await variant_stock(db) == {"M": 4, "L": 5}
    assert await stock_of(db, shop.shirt_id) == 9
    assert await count(db, Order, Order.status == OrderStatus.EXPIRED) == 1
    statuses = {ReservationStatus.RELEASED}
    assert await count(db, Reservation, Reservation.status.in_(statuses)) == 1
    assert placed.order.id


async def test_a_size_out_of_stock_is_refused_while_another_is_sold(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    skus = await add_sizes(db, shop, S=0, M=1)
    with pytest.raises(DomainError) as refused:
        await checkout(db, Cart().with_item(CartItem.product(skus["S"], 1)), gateway, now=now)
    assert refused.value.code == OrderError.OUT_OF_STOCK
    assert "(S)" in refused.value.message
    await checkout(db, Cart().with_item(CartItem.product(skus["M"], 1)), gateway, now=now)
    assert await variant_stock(db) == {"S": 0, "M": 0}


@pytest.mark.slow
async def test_fifty_shoppers_for_ten_units_of_size_m_buy_ten_and_l_is_untouched(
    db: Database, gateway: StripeGateway, now: datetime
) -> None:
    shop = await order_shop(db, now=now)
    skus = await add_sizes(db, shop, M=10, L=7)
    cart = Cart().with_item(CartItem.product(skus["M"], 1))

    async def shopper(i: int) -> str:
        try:
            placed = await checkout(db, cart, gateway, now=now)
        except DomainError as exc:
            return exc.code
        step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
        return step.status

    outcomes = await asyncio.gather(*(shopper(i) for i in range(50)))

    assert outcomes.count("succeeded") == 10
    assert outcomes.count(OrderError.OUT_OF_STOCK) == 40
    assert await count(db, Order, Order.status == OrderStatus.PAID) == 10
    assert await variant_stock(db) == {"M": 0, "L": 7}
    assert await stock_of(db, shop.shirt_id) == 7
    assert len(await ledger(db)) == 10


async def test_a_bundle_lets_the_shopper_choose_the_size_and_weighs_by_the_base_price(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    """The shop's bundle is a ticket, the tee and two posters; the tee now has sizes."""
    skus = await add_sizes(db, shop, S=0, M=3, XL=2)
    async with db.read_session() as s:
        ids = dict((await s.execute(select(Variant.sku, Variant.id))).all())
    by_size = {sku.rsplit("-", 1)[1]: vid for sku, vid in ids.items()}
    position = 1  # the tee is the offer's first component

    def bundle(choice: int | None) -> Cart:
        choices = {position: choice} if choice is not None else {}
        return Cart().with_item(CartItem.bundle(shop.offer_id, shop.showtime_id, 1, choices))

    # No size chosen, or a variant of nothing in the bundle: the shopper is asked to choose.
    for choice in (None, 99999):
        with pytest.raises(DomainError) as refused:
            await checkout(db, bundle(choice), gateway, now=now)
        assert refused.value.code == OrderError.VARIANT_REQUIRED
    # A size out of stock is refused by its own stock // qty.
    with pytest.raises(DomainError) as none_left:
        await checkout(db, bundle(by_size["S"]), gateway, now=now)
    assert none_left.value.code == OrderError.OUT_OF_STOCK

    # XL has a dearer price of its own; the bundle still weighs the tee by its base price.
    placed = await checkout(db, bundle(by_size["XL"]), gateway, now=now)
    async with db.read_session() as s:
        parts = list(await s.scalars(select(BundleAllocation).order_by(BundleAllocation.position)))
        line = await s.scalar(select(OrderLine).where(OrderLine.order_id == placed.order.id))
    assert [(p.product_id, p.variant_id, p.qty, p.amount_minor) for p in parts] == [
        (None, None, 1, 716),
        (shop.shirt_id, by_size["XL"], 1, 1493),
        (shop.poster_id, None, 2, 1791),
    ]
    assert line is not None and line.description.endswith("(Lighthouse tee XL)")
    assert await variant_stock(db) == {"S": 0, "M": 3, "XL": 1}
    assert await stock_of(db, shop.poster_id) == 48

    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    async with db.read_session() as s:
        shipped = list(await s.scalars(select(FulfilmentLine).order_by(FulfilmentLine.id)))
    assert [(f.sku, f.variant_id) for f in shipped] == [
        (skus["XL"], by_size["XL"]),
        ("POSTER-1", None),
    ]


async def test_a_bundle_with_a_fixed_size_needs_no_choice_and_counts_that_size_only(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await add_sizes(db, shop, M=1, L=9)
    async with db.session() as s:
        m = await s.scalar(select(Variant.id).where(Variant.sku.like("%-TEE-M")))
        offer = await create_bundle_offer(
            s, film_id=shop.film_id, code="FIXED-M", name="Ticket + tee M",
            price_minor=SHIRT_PRICE, currency="USD", valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30), per_order_limit=4,
            components=[(shop.shirt_id, 1)], fixed_variants={shop.shirt_id: m},
        )  # fmt: skip
        with pytest.raises(DomainError) as not_its_variant:
            await create_bundle_offer(
                s, film_id=shop.film_id, code="FIXED-X", name="Bad", price_minor=SHIRT_PRICE,
                currency="USD", valid_from=now - timedelta(days=1),
                valid_to=now + timedelta(days=30), per_order_limit=4,
                components=[(shop.poster_id, 1)], fixed_variants={shop.poster_id: m},
            )  # fmt: skip
        showtime = await s.get(Showtime, shop.showtime_id)
        assert showtime is not None
        # Availability counts M (1 left), not the tee's 10 units in all.
        verdict = await offer_availability(s, offer, showtime, now=now)
    assert not_its_variant.value.code == "NOT_FOUND"
    assert verdict.available == 1

    cart = Cart().with_item(CartItem.bundle(offer.id, shop.showtime_id, 1))
    await checkout(db, cart, gateway, now=now)
    assert await variant_stock(db) == {"M": 0, "L": 9}
    with pytest.raises(DomainError) as gone:
        await checkout(db, cart, gateway, now=now)
    assert gone.value.code in {OrderError.OUT_OF_STOCK, OrderError.BUNDLE_NOT_AVAILABLE}
