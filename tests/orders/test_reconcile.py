"""The safety nets: reconcile a lost webhook, expire unpaid orders (SPEC §6, DESIGN §6)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from catalog.models import Product, Ticket
from kernel.db import Database
from licensing.models import RoyaltyEntry
from orders.cart import Cart, CartItem
from orders.models import OrderStatus, Payment, Reservation, ReservationStatus
from orders.payments import StripeGateway
from orders.reconcile import expire_orders, reconcile_payments, stranded_payments
from orders.settlement import cancel_unpaid_order, lock_order, settle_order
from tests.factory import SHIRT_PRICE, Shop, order_shop
from tests.fixtures.stripe import LocalStripe
from tests.orders.shop import checkout, count, fetch_order, full_cart, seats_taken, stock_of
from tiein.cli import main


async def test_a_payment_whose_webhook_was_lost_is_fulfilled_by_reconcile_once(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    # The shopper paid, then the app crashed: no webhook, no settlement.
    paid = await checkout(db, full_cart(shop), gateway, now=now)
    await gateway.confirm_intent(paid.order.payment_intent_id or "", "pm_card_visa")
    unpaid = await checkout(db, full_cart(shop), gateway, now=now)

    first = await reconcile_payments(db, gateway, now=now)
    second = await reconcile_payments(db, gateway, now=now)

    assert (first.checked, first.paid, first.unchanged) == (2, 1, 1)
    assert (second.checked, second.paid) == (1, 0)  # the paid order is no longer pending
    assert (await fetch_order(db, paid.order.id)).status == OrderStatus.PAID
    assert (await fetch_order(db, unpaid.order.id)).status == OrderStatus.PENDING_PAYMENT
    assert await count(db, Ticket) == 2
    assert await count(db, RoyaltyEntry) == 3


async def test_reconcile_racing_the_webhook_still_settles_once(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await checkout(db, full_cart(shop), gateway, now=now)
    await gateway.confirm_intent(paid.order.payment_intent_id or "", "pm_card_visa")

    reports = await asyncio.gather(*(reconcile_payments(db, gateway, now=now) for _ in range(3)))

    assert sum(r.paid for r in reports) == 1
    assert await count(db, Ticket) == 2
    assert await count(db, RoyaltyEntry) == 3


async def test_expire_releases_the_items_of_unpaid_orders_and_cancels_their_intents(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    late = await checkout(db, full_cart(shop), gateway, now=now)
    fresh = await checkout(db, full_cart(shop), gateway, now=now + timedelta(minutes=10))
    assert await stock_of(db, shop.shirt_id) == 50 - 6

    report = await expire_orders(db, gateway, now=now + timedelta(minutes=16))
    again = await expire_orders(db, gateway, now=now + timedelta(minutes=16))

    assert (report.checked, report.expired) == (1, 1)
    assert again.checked == 0
    assert (await fetch_order(db, late.order.id)).status == OrderStatus.EXPIRED
    assert (await fetch_order(db, fresh.order.id)).status == OrderStatus.PENDING_PAYMENT
    assert await stock_of(db, shop.shirt_id) == 50 - 3
    assert await stock_of(db, shop.poster_id) == 50 - 2
    assert await seats_taken(db, shop.showtime_id) == 2
    assert await count(db, Reservation, Reservation.status == ReservationStatus.RELEASED) == 3
    intent = await gateway.retrieve_intent(late.order.payment_intent_id or "")
    assert intent.status == "canceled"


async def test_expire_never_expires_an_order_whose_payment_went_through(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    # Paid at the last second, webhook not yet in: expire finds the success and settles.
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    await gateway.confirm_intent(placed.order.payment_intent_id or "", "pm_card_visa")

    report = await expire_orders(db, gateway, now=now + timedelta(minutes=16))

    assert (report.expired, report.paid) == (0, 1)
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID
    assert await stock_of(db, shop.shirt_id) == 47


@pytest.mark.slow
async def test_the_reconcile_and_expire_verbs_run_from_the_command_line(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    localstripe: LocalStripe,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    now: datetime,
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    await gateway.confirm_intent(placed.order.payment_intent_id or "", "pm_card_visa")
    monkeypatch.setenv("TIEIN_DATABASE_URL", database_url)
    monkeypatch.setenv("STRIPE_SECRET_KEY", localstripe.secret_key)
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)

    # The verbs run their own event loop: give them a thread.
    assert await asyncio.to_thread(main, ["payments", "reconcile"]) == 0
    assert await asyncio.to_thread(main, ["orders", "expire"]) == 0

    out = capsys.readouterr().out
    assert "payments reconciled: checked 1, paid 1" in out
    assert "orders expired: checked 0" in out
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PAID


@pytest.mark.parametrize("stock_left", [3, 2])
async def test_a_payment_for_an_expired_order_takes_its_items_again_or_stays_expired(
    db: Database, gateway: StripeGateway, now: datetime, stock_left: int
) -> None:
    shop = await order_shop(db, now=now)
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    async with db.session() as s:
        order = await lock_order(s, order_id=placed.order.id)
        assert order is not None
        await cancel_unpaid_order(s, order, OrderStatus.EXPIRED, now=now)
        await s.execute(update(Product).where(Product.id == shop.shirt_id).values(stock=stock_left))

    async with db.session() as s:
        settled = await settle_order(s, placed.order.id, now=now)

    order = await fetch_order(db, placed.order.id)
    if stock_left >= 3:  # the order needs 3 shirts: it is sold, nothing oversold
        assert settled and order.status == OrderStatus.PAID
        assert await stock_of(db, shop.shirt_id) == stock_left - 3
        assert await count(db, Ticket) == 2
    else:
        assert not settled and order.status == OrderStatus.EXPIRED
        assert await stock_of(db, shop.shirt_id) == stock_left
        assert await count(db, Ticket) == 0


async def test_expire_without_stripe_leaves_orders_that_may_still_be_paid(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    """An intent that cannot be cancelled first might still succeed: the order stays pending
    (and holds its items) rather than being expired with a payment on its way."""
    placed = await checkout(db, full_cart(shop), gateway, now=now)

    report = await expire_orders(db, None, now=now + timedelta(minutes=16))

    assert (report.checked, report.expired) == (1, 0)
    assert report.errors == [f"{placed.order.number}: Stripe is not configured; left pending"]
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.PENDING_PAYMENT
    assert await stock_of(db, shop.shirt_id) == 50 - 3


async def test_a_payment_after_expiry_whose_items_were_resold_stays_on_record(
    db: Database, gateway: StripeGateway, now: datetime
) -> None:
    """Nothing paid is lost: when the items of an expired order were sold to someone else,
    its late payment is not settled, and the payment row says it must be refunded."""
    shop = await order_shop(db, now=now, shirt_stock=2)
    two_shirts = Cart().with_item(CartItem.product(shop.shirt_sku, 2))
    late = await checkout(db, two_shirts, gateway, now=now)
    await expire_orders(db, gateway, now=now + timedelta(minutes=16))
    await checkout(db, two_shirts, gateway, now=now + timedelta(minutes=17))

    async with db.session() as session:
        assert await settle_order(session, late.order.id, now=now + timedelta(minutes=18)) is False

    assert (await fetch_order(db, late.order.id)).status == OrderStatus.EXPIRED
    async with db.read_session() as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == late.order.id))
    assert payment is not None and payment.status == "succeeded"
    assert "Refund this payment" in payment.last_error
    assert await stock_of(db, shop.shirt_id) == 0
    async with db.read_session() as session:
        [stranded] = await stranded_payments(session)
    assert (stranded.order_number, stranded.amount_minor) == (late.order.number, 2 * SHIRT_PRICE)
