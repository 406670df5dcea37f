"""Refunds through Stripe's Refund API: status, stock, tickets and ledger follow exactly once
(SPEC §4 refund mirror, §6)."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Ticket
from kernel.db import Database
from kernel.errors import DomainError
from licensing.ledger import post_refund
from licensing.models import Channel, EntrySource, RoyaltyEntry
from orders.card_step import confirm_payment
from orders.codes import OrderError
from orders.models import Order, OrderLine, OrderStatus, Refund
from orders.payments import StripeGateway
from orders.refunds import refund_order_lines
from orders.stripe_refunds import apply_stripe_refunds
from tests.factory import SHIRT_PRICE, TICKET_PRICE, Shop
from tests.fixtures.stripe import LocalStripe
from tests.orders.shop import checkout, count, fetch_order, full_cart, ledger, seats_taken, stock_of


async def paid_order(db: Database, shop: Shop, gateway: StripeGateway, now: datetime) -> Order:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    return await fetch_order(db, placed.order.id)


async def lines_of(db: Database, order: Order) -> dict[str, OrderLine]:
    async with db.read_session() as s:
        rows = await s.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        return {line.kind.value: line for line in rows}


async def test_refunding_one_of_two_shirts_posts_the_mirror_and_keeps_the_rest(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    order = await paid_order(db, shop, gateway, now)
    shirts = (await lines_of(db, order))["product"]
    stock_before = await stock_of(db, shop.shirt_id)

    made = await refund_order_lines(
        db, order.id, [(shirts.id, 1)], restock=False, by="staff:ana", gateway=gateway, now=now
    )
    refund = made.refund
    assert not made.pending

    order = await fetch_order(db, order.id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert order.refunded_minor == SHIRT_PRICE
    assert refund.amount_minor == SHIRT_PRICE and refund.stripe_refund_id
    assert refund.idempotency_key.startswith(f"tiein-refund-{order.number}-1-")
    assert await stock_of(db, shop.shirt_id) == stock_before  # not restocked
    reversal = [e for e in await ledger(db) if e.source == EntrySource.REFUND]
    assert [(e.channel, e.units, e.net_minor) for e in reversal] == [
        (Channel.STOREFRONT, -1, -SHIRT_PRICE)
    ]
    sale = next(e for e in await ledger(db) if e.source_ref == f"order_line:{shirts.id}")
    assert reversal[0].royalty_micros == -sale.royalty_micros // 2
    assert (await lines_of(db, order))["product"].refunded_quantity == 1
    # Stripe's charge.refunded about this very refund changes nothing more.
    echo = [{"id": refund.stripe_refund_id, "amount": SHIRT_PRICE, "status": "succeeded"}]
    async with db.session() as s:
        assert await apply_stripe_refunds(s, order.payment_intent_id or "", echo, now=now) == 0
    assert (await fetch_order(db, order.id)).refunded_minor == SHIRT_PRICE


async def test_refunding_the_whole_order_voids_tickets_restocks_and_reverses_every_entry(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    order = await paid_order(db, shop, gateway, now)
    assert await seats_taken(db, shop.showtime_id) == 2

    refund = (
        await refund_order_lines(
            db, order.id, None, restock=True, by="staff:ana", gateway=gateway, now=now
        )
    ).refund

    order = await fetch_order(db, order.id)
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_minor == order.total_minor == refund.amount_minor
    assert await stock_of(db, shop.shirt_id) == 50
    assert await stock_of(db, shop.poster_id) == 50
    assert await seats_taken(db, shop.showtime_id) == 0
    assert await count(db, Ticket, Ticket.voided_at.is_(None)) == 0
    entries = await ledger(db)
    assert sum(e.units for e in entries) == 0
    assert sum(e.net_minor for e in entries) == 0
    assert sum(e.royalty_micros for e in entries) == 0
    assert await count(db, RoyaltyEntry, RoyaltyEntry.source == EntrySource.REFUND) == 3


async def test_a_second_refund_of_the_rest_completes_the_order_and_nothing_is_refunded_twice(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    order = await paid_order(db, shop, gateway, now)
    ticket = (await lines_of(db, order))["ticket"]
    await refund_order_lines(
        db, order.id, [(ticket.id, 1)], restock=False, by="ana", gateway=gateway, now=now
    )
    with pytest.raises(DomainError) as refused:
        await refund_order_lines(
            db, order.id, [(ticket.id, 1)], restock=False, by="ana", gateway=gateway, now=now
        )
    assert refused.value.code == OrderError.INVALID_REFUND
    assert "only 0 of 1" in refused.value.message

    rest = await refund_order_lines(
        db, order.id, None, restock=False, by="ana", gateway=gateway, now=now
    )
    order = await fetch_order(db, order.id)
    assert order.status == OrderStatus.REFUNDED
    assert rest.refund.amount_minor == order.total_minor - TICKET_PRICE
    assert await count(db, Refund) == 2
    entries = await ledger(db)  # refunded in two pieces, the mirror is exact
    assert sum(e.net_minor for e in entries) == 0
    assert sum(e.royalty_micros for e in entries) == 0
    # Stripe holds exactly what tiein recorded.
    refunds = await gateway.client.v1.refunds.list_async(
        {"payment_intent": order.payment_intent_id or ""}
    )
    assert sum(r.amount for r in refunds.data) == order.total_minor


async def test_an_unpaid_order_cannot_be_refunded(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    with pytest.raises(DomainError) as refused:
        await refund_order_lines(
            db, placed.order.id, None, restock=True, by="ana", gateway=gateway, now=now
        )
    assert refused.value.code == OrderError.NOT_REFUNDABLE
    assert await count(db, Refund) == 0


async def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    order = await paid_order(db, shop, gateway, now)
    outside = await gateway.create_refund(
        payment_intent=order.payment_intent_id or "", amount=1000, idempotency_key="dash-1"
    )
    event_refunds = [{"id": outside.id, "amount": 1000, "status": "succeeded", "metadata": {}}]

    for _ in range(2):  # charge.refunded delivered twice
        async with db.session() as s:
            await apply_stripe_refunds(s, order.payment_intent_id or "", event_refunds, now=now)

    order = await fetch_order(db, order.id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert order.refunded_minor == 1000
    assert await count(db, Refund) == 1


async def test_a_charge_without_its_refund_list_is_reconciled_by_its_refunded_amount(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    # Recent Stripe API versions send charge.refunded without `refunds` unless expanded.
    order = await paid_order(db, shop, gateway, now)
    shirts = (await lines_of(db, order))["product"]
    await refund_order_lines(
        db, order.id, [(shirts.id, 1)], restock=False, by="ana", gateway=gateway, now=now
    )
    intent = order.payment_intent_id or ""
    async with db.session() as s:  # the event about our own refund: nothing to add
        assert (
            await apply_stripe_refunds(
                s, intent, [], amount_refunded=SHIRT_PRICE, charge_id="ch_1", now=now
            )
            == 0
        )
    for _ in range(2):  # then 700 more refunded in the dashboard, the event sent twice
        async with db.session() as s:
            await apply_stripe_refunds(
                s, intent, [], amount_refunded=SHIRT_PRICE + 700, charge_id="ch_1", now=now
            )
    order = await fetch_order(db, order.id)
    assert order.refunded_minor == SHIRT_PRICE + 700
    assert await count(db, Refund) == 2


async def test_a_refund_refused_by_the_ledger_pays_nothing_back(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, localstripe: LocalStripe
) -> None:
    """Money moves last: when a rule refuses the refund after the order rows are written (here
    the ledger: both shirts' royalty was already reversed), Stripe is never asked to pay."""
    order = await paid_order(db, shop, gateway, now)
    shirts = (await lines_of(db, order))["product"]
    async with db.session() as s:
        await post_refund(
            s, original_source_ref=f"order_line:{shirts.id}", refund_source_ref="manual:1",
            units=2, net_minor=2 * SHIRT_PRICE, occurred_at=now, now=now,
        )  # fmt: skip

    with pytest.raises(DomainError):
        await refund_order_lines(
            db, order.id, [(shirts.id, 1)], restock=True, by="staff", gateway=gateway, now=now
        )

    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(
            f"{localstripe.url}/v1/refunds",
            headers={"Authorization": f"Bearer {localstripe.secret_key}"},
        )
    refunds = response.json()["data"]
    assert [r for r in refunds if r.get("payment_intent") == order.payment_intent_id] == []
    after = await fetch_order(db, order.id)
    assert (after.status, after.refunded_minor) == (OrderStatus.PAID, 0)
    assert await count(db, Refund) == 0
