"""The campaign attribution report (SPEC §9): a worked example of two attributed orders (one
with the campaign's code, one from its referral link) beside an unattributed one, referral
visits counted only within the campaign's dates, and five statements whatever the orders."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import Database
from kernel.periods import period_of
from licensing.models import RoyaltyEntry
from licensing.royalty import micros_to_minor
from orders.card_step import confirm_payment
from orders.cart import Cart, CartItem
from orders.checkout import place_order
from orders.models import OrderLine
from orders.payments import StripeGateway
from orders.promotion_models import Campaign
from orders.referral_visits import record_visit
from reports.campaigns import campaign_report
from reports.film_commerce import film_commerce_report
from tests.factory import ADDRESSES, Shop, order_shop
from tests.orders.shop import full_cart
from tests.orders.test_promo_codes import buy, promo


@pytest.fixture
def now() -> datetime:
    return now_utc()


@pytest.fixture
async def shop(db: Database, now: datetime) -> Shop:
    return await order_shop(db, now=now)


async def _pay(db: Database, order_id: int, gateway: StripeGateway, now: datetime) -> None:
    step = await confirm_payment(db, order_id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"


async def _ticket(db, shop, gateway, now, campaign_id) -> int:
    placed = await place_order(
        db, Cart().with_item(CartItem.ticket(shop.showtime_id, 1)), email="b@example.com",
        country="US", shipping=ADDRESSES["US"], now=now, gateway=gateway,
        campaign_id=campaign_id,
    )  # fmt: skip
    await _pay(db, placed.order.id, gateway, now)
    return placed.order.id


async def test_the_report_counts_visits_orders_units_money_and_royalty_of_the_campaign(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, query_counter
) -> None:
    # given a campaign with a 10% code, visited twice while it runs and once after it ended
    campaign_id = await promo(db, shop, now)
    async with db.session() as s:
        campaign = await s.get(Campaign, campaign_id)
        assert await record_visit(s, campaign, now=now)
        assert await record_visit(s, campaign, now=now)
        assert not await record_visit(s, campaign, now=now + timedelta(days=31))
    # when the full cart is bought with its code (10200 - 1020), one ticket comes from its
    # referral link (1200) and one ticket has no campaign
    order = await buy(db, full_cart(shop), gateway, now, code="harbor10")
    await _pay(db, order.id, gateway, now)
    await _ticket(db, shop, gateway, now, campaign_id)
    await _ticket(db, shop, gateway, now, None)

    with query_counter() as counter:
        async with db.read_session() as s:
            report = await campaign_report(s, campaign_id, period_of(now))
    assert counter.count == 5
    # then: 2 visits, 2 orders; tickets: the ticket, the bundle's, the referral's ticket
    assert (report.referral_visits, report.orders) == (2, 2)
    assert (report.tickets, report.bundles) == (3, 1)
    # merch: 2 shirts + the bundle's shirt and 2 posters, from the ledger
    assert report.merch_units == 5
    assert (report.ticket_orders, report.ticket_orders_with_merch) == (2, 1)
    assert report.attach_rate == Decimal("0.5000")
    [usd] = report.money
    assert (usd.currency, usd.gross_minor, usd.discounts_minor, usd.net_minor) == (
        "USD", 11400, 1020, 10380)  # fmt: skip
    # the royalty is the ledger's on the discounted nets (4500, 1343, 1612)
    async with db.read_session() as s:
        entries = list(await s.scalars(select(RoyaltyEntry)))
    assert sorted(e.net_minor for e in entries) == [1343, 1612, 4500]
    [royalty] = report.royalty
    assert royalty.royalty_minor == micros_to_minor(sum(e.royalty_micros for e in entries)) > 0

    # and the film-to-commerce report splits the film's ticket orders by campaign
    async with db.read_session() as s:
        [row] = await film_commerce_report(s, period_of(now))
    split = [(p.campaign_id, p.ticket_orders, p.tickets_sold) for p in row.by_campaign]
    assert split == [(campaign_id, 2, 3), (None, 1, 1)]
    assert row.ticket_orders == 3 and row.tickets_sold == 4
    assert [p.merch_attach_rate for p in row.by_campaign] == [Decimal("0.5000"), Decimal(0)]


async def test_an_order_of_the_campaign_does_not_add_statements(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, query_counter
) -> None:
    campaign_id = await promo(db, shop, now)

    async def count() -> int:
        with query_counter() as counter:
            async with db.read_session() as s:
                await campaign_report(s, campaign_id, period_of(now))
        return counter.count

    empty = await count()
    await _ticket(db, shop, gateway, now, campaign_id)
    order = await buy(db, full_cart(shop), gateway, now, code="harbor10")
    await _pay(db, order.id, gateway, now)
    assert await count() == empty
    async with db.read_session() as s:
        assert len(list(await s.scalars(select(OrderLine)))) == 4
