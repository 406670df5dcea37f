"""Promo codes at checkout (SPEC §9): the discount per line, the ledger on the discounted
nets, refunds that pay back what was paid, uses taken on placement and given back on
cancellation, every refusal with its reason, and staff input checked."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from licensing.models import EntrySource
from orders.card_step import confirm_payment
from orders.cart import Cart, CartItem
from orders.checkout import place_order, release_order
from orders.models import BundleAllocation, Order, OrderLine, OrderStatus
from orders.payments import StripeGateway
from orders.promo_uses import release_use, retake_use
from orders.promotion_models import PromoCode, PromoCodeUse
from orders.promotions import PromoError, create_campaign, create_promo_code
from orders.refunds import refund_order_lines
from tests.factory import ADDRESSES, Shop
from tests.orders.shop import count, fetch_order, full_cart, ledger


async def promo(db: Database, shop: Shop, now: datetime, **given: Any) -> int:
    """A referral campaign for the shop's film and one code on it (10% off anything unless
    `given` says otherwise); the campaign's id."""
    async with db.session() as s:
        campaign = await create_campaign(
            s, name="Premiere week", channel="referral", film_ids=[shop.film_id],
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            referral_code="harbor",
        )  # fmt: skip
        fields: dict[str, Any] = {
            "code": "HARBOR10", "kind": "percent", "percent_bps": 1000,
            "valid_from": now - timedelta(days=1), "valid_to": now + timedelta(days=30),
        }  # fmt: skip
        fields.update(given)
        await create_promo_code(s, campaign_id=campaign.id, **fields)
        return campaign.id


async def buy(
    db: Database, cart: Cart, gateway: StripeGateway, now: datetime, *, code: str | None,
    email: str = "fan@example.com",
) -> Order:  # fmt: skip
    placed = await place_order(
        db, cart, email=email, country="US", shipping=ADDRESSES["US"], now=now,
        gateway=gateway, promo_code=code,
    )  # fmt: skip
    return placed.order


async def test_ten_percent_off_the_full_cart_is_split_per_line_and_posted_on_the_nets(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    # given a 10% code, when the full cart (5000 + 1200 + 4000) is bought with it
    campaign_id = await promo(db, shop, now)
    order = await buy(db, full_cart(shop), gateway, now, code="harbor10")
    step = await confirm_payment(db, order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    # then D = 1020 is split 500 / 120 / 400 and the order pays 9180
    order = await fetch_order(db, order.id)
    assert (order.discount_minor, order.total_minor) == (1020, 9180)
    assert order.campaign_id == campaign_id and order.promo_code_id is not None
    async with db.read_session() as s:
        lines = list(await s.scalars(select(OrderLine).order_by(OrderLine.id)))
        parts = list(await s.scalars(select(BundleAllocation).order_by(BundleAllocation.position)))
    assert [line.discount_minor for line in lines] == [500, 120, 400]
    # the bundle's net 3600 over ticket 1200, shirt 2500, posters 2 x 1500
    assert [p.net_minor for p in parts] == [645, 1343, 1612]
    # and the royalty entries use the nets: shirts 4500, bundle shirt 1343, posters 1612
    assert sorted(e.net_minor for e in await ledger(db)) == [1343, 1612, 4500]


async def test_refunding_everything_pays_back_exactly_the_discounted_total(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now)
    order = await buy(db, full_cart(shop), gateway, now, code="HARBOR10")
    await confirm_payment(db, order.id, "pm_card_visa", gateway=gateway, now=now)
    async with db.read_session() as s:
        shirts = await s.scalar(select(OrderLine).where(OrderLine.kind == "product"))
    assert shirts is not None
    # when one of two shirts is refunded: half the line's net 4500, never the list price
    made = await refund_order_lines(
        db, order.id, [(shirts.id, 1)], restock=False, by="staff", gateway=gateway, now=now
    )
    assert made.refund.amount_minor == 2250
    # and then everything else
    await refund_order_lines(
        db, order.id, None, restock=False, by="staff", gateway=gateway, now=now
    )
    order = await fetch_order(db, order.id)
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_minor == order.total_minor == 9180
    entries = await ledger(db)
    assert sum(e.net_minor for e in entries) == 0
    assert sorted(-e.net_minor for e in entries if e.source == EntrySource.REFUND) == [
        1343, 1612, 2250, 2250,
    ]  # fmt: skip


async def test_a_cancelled_order_gives_its_use_back(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now, use_limit=1)
    order = await buy(db, full_cart(shop), gateway, now, code="HARBOR10")
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 1
    async with db.session() as s:
        assert await release_order(s, order.id, now=now)
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 0
        use = await s.scalar(select(PromoCodeUse))
        assert use is not None and use.released_at is not None
    # so the one use is there for the next shopper
    again = await buy(db, full_cart(shop), gateway, now, code="HARBOR10", email="b@example.com")
    assert again.discount_minor == 1020


async def test_a_released_use_is_taken_again_only_while_the_limit_allows(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now, use_limit=1)
    late = await buy(db, full_cart(shop), gateway, now, code="HARBOR10")
    async with db.session() as s:
        assert await release_order(s, late.id, now=now)
        await retake_use(s, late.id)  # paid after all: the free use is its again
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 1
        assert await s.scalar(select(PromoCodeUse.released_at)) is None
    async with db.session() as s:
        assert await release_use(s, late.id, now=now)
    await buy(db, full_cart(shop), gateway, now, code="HARBOR10", email="b@example.com")
    async with db.session() as s:
        await retake_use(s, late.id)  # the one use went to another shopper meanwhile
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 1
        released = await s.scalar(select(PromoCodeUse).where(PromoCodeUse.order_id == late.id))
        assert released is not None and released.released_at is not None


SHIRT = "shirt"


@pytest.mark.parametrize(
    ("given", "cart", "code"),
    [
        ({}, SHIRT, PromoError.UNKNOWN_PROMO_CODE),
        ({"when": "past"}, SHIRT, PromoError.PROMO_CODE_EXPIRED),
        ({"when": "future"}, SHIRT, PromoError.PROMO_CODE_NOT_YET_VALID),
        ({"kind": "fixed", "percent_bps": None, "amount_minor": 500, "currency": "EUR"}, SHIRT,
         PromoError.PROMO_CURRENCY_MISMATCH),
        ({"scope": "tickets"}, SHIRT, PromoError.NOTHING_ELIGIBLE),
        ({"min_subtotal_minor": 3000, "currency": "USD"}, SHIRT, PromoError.BELOW_MINIMUM),
        ({"kind": "fixed", "percent_bps": None, "amount_minor": 2480, "currency": "USD"}, SHIRT,
         PromoError.TOTAL_BELOW_PAYMENT_MINIMUM),
    ],
)  # fmt: skip
async def test_a_code_that_does_not_apply_is_refused_with_its_reason_and_nothing_is_stored(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, given: dict, cart: str,
    code: PromoError,
) -> None:  # fmt: skip
    given = dict(given)
    when = given.pop("when", None)
    if when == "past":
        given.update(valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=1))
    if when == "future":
        given.update(valid_from=now + timedelta(days=1), valid_to=now + timedelta(days=9))
    await promo(db, shop, now, **given)
    typed = "NOPE-NOPE" if code == PromoError.UNKNOWN_PROMO_CODE else "harbor10"
    with pytest.raises(DomainError) as refused:
        await buy(db, Cart().with_item(CartItem.product(shop.shirt_sku)), gateway, now, code=typed)
    assert refused.value.code == code
    assert refused.value.field == "promoCode" and refused.value.message
    assert await count(db, Order) == 0


async def test_a_code_may_be_used_once_per_email_when_its_limit_says_so(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now, per_email_limit=1)
    cart = Cart().with_item(CartItem.product(shop.shirt_sku))
    await buy(db, cart, gateway, now, code="HARBOR10")
    with pytest.raises(DomainError) as refused:
        await buy(db, cart, gateway, now, code="harbor10")
    assert refused.value.code == PromoError.PROMO_CODE_EMAIL_LIMIT
    other = await buy(db, cart, gateway, now, code="harbor10", email="b@example.com")
    assert other.discount_minor == 250


async def test_a_code_taking_the_whole_total_settles_the_order_without_payment(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now, percent_bps=10000)
    order = await buy(db, Cart().with_item(CartItem.product(shop.shirt_sku)), gateway, now,
                      code="HARBOR10")  # fmt: skip
    assert order.total_minor == 0 and order.status == OrderStatus.PAID
    assert [e.net_minor for e in await ledger(db)] == [0]


@pytest.mark.slow
async def test_fifty_shoppers_racing_for_a_code_with_ten_uses_get_exactly_ten(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    await promo(db, shop, now, use_limit=10)
    cart = Cart().with_item(CartItem.product(shop.shirt_sku))

    async def shopper(i: int) -> str:
        try:
            await buy(db, cart, gateway, now, code="HARBOR10", email=f"fan{i}@example.com")
        except DomainError as exc:
            return exc.code
        return "placed"

    outcomes = await asyncio.gather(*(shopper(i) for i in range(50)))
    assert outcomes.count("placed") == 10
    assert outcomes.count(PromoError.PROMO_CODE_USED_UP) == 40
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 10
    assert await count(db, PromoCodeUse) == 10
    assert await count(db, Order) == 10


async def test_staff_input_is_checked_and_every_bad_field_named(
    db: Database, shop: Shop, now: datetime
) -> None:
    async with db.session() as s:
        with pytest.raises(DomainErrors) as refused:
            await create_campaign(
                s, name="", channel="carrier-pigeon", film_ids=[shop.film_id, 999999],
                starts_at=now, ends_at=now - timedelta(days=1), referral_code="x\x00",
            )  # fmt: skip
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("name", "INVALID_INPUT"), ("channel", "INVALID"), ("endsAt", "DATES_REVERSED"),
        ("filmIds", "UNKNOWN_FILM"), ("referralCode", "INVALID_CODE"),
    }  # fmt: skip
    campaign_id = await promo(db, shop, now)
    async with db.session() as s:
        with pytest.raises(DomainErrors) as refused:
            await create_promo_code(
                s, campaign_id=campaign_id, code="harbor10", kind="percent", percent_bps=10001,
                valid_from=now, valid_to=now - timedelta(hours=1), use_limit=0,
            )  # fmt: skip
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("code", "DUPLICATE_CODE"), ("validTo", "DATES_REVERSED"),
        ("percentBps", "INVALID_PERCENT"), ("useLimit", "INVALID"),
    }  # fmt: skip
    async with db.session() as s:
        with pytest.raises(DomainError) as refused:
            await create_promo_code(
                s, campaign_id=campaign_id, code="FIXED", kind="fixed", amount_minor=500,
                currency="XXX", valid_from=now, valid_to=now + timedelta(days=1),
            )  # fmt: skip
    assert (refused.value.field, refused.value.code) == ("currency", "UNKNOWN_CURRENCY")
    assert await count(db, PromoCode) == 1
