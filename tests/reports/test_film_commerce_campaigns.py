"""The film-to-commerce report's by-campaign rows (SPEC §9): each carries the campaign
report's measures restricted to the film (orders, tickets, bundles, merch units, attach rate,
gross, discounts, net, royalty), computed by the same aggregation, in a number of statements
that does not grow with campaigns."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from kernel.clock import now_utc
from kernel.db import Database
from kernel.periods import period_of
from licensing.royalty import micros_to_minor
from orders.cart import Cart, CartItem
from orders.payments import StripeGateway
from orders.promotions import create_campaign, create_promo_code
from reports.campaigns import campaign_report
from reports.film_commerce import film_commerce_report
from tests.factory import Shop, order_shop
from tests.factory.shops import BUNDLE_PRICE, POSTER_PRICE, SHIRT_PRICE, TICKET_PRICE
from tests.orders.shop import full_cart
from tests.orders.test_promo_codes import buy, promo
from tests.reports.test_campaign_report import _pay, _ticket

RATE_BPS = 1000  # the shop's agreement: 10%


@pytest.fixture
def now() -> datetime:
    return now_utc()


@pytest.fixture
async def shop(db: Database, now: datetime) -> Shop:
    return await order_shop(db, now=now)


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """SPEC §5, written out again here: floors, then the remaining units to the largest
    remainders, ties to the earlier."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


async def test_each_campaign_row_carries_the_campaign_report_measures_of_the_film(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    # given a 10% code on a campaign for the film: the full cart bought with the code, a
    # ticket from its referral link, a shirt bought with the code, and a ticket of no campaign
    campaign_id = await promo(db, shop, now)
    order = await buy(db, full_cart(shop), gateway, now, code="harbor10")
    await _pay(db, order.id, gateway, now)
    await _ticket(db, shop, gateway, now, campaign_id)
    shirt = await buy(
        db, Cart().with_item(CartItem.product(shop.shirt_sku, 1)), gateway, now,
        code="harbor10", email="other@example.com",
    )  # fmt: skip
    await _pay(db, shirt.id, gateway, now)
    await _ticket(db, shop, gateway, now, None)

    async with db.read_session() as s:
        [row] = await film_commerce_report(s, period_of(now))
        report = await campaign_report(s, campaign_id, period_of(now))
    ours, none = row.by_campaign
    assert (ours.campaign_id, none.campaign_id) == (campaign_id, None)

    # then the campaign's row: 3 orders; tickets: the ticket, the bundle's, the referral's
    assert (ours.orders, ours.tickets_sold, ours.bundles_sold) == (3, 3, 1)
    # merch: 2 + 1 shirts, the bundle's shirt and 2 posters
    assert ours.merch_units == 6
    assert (ours.ticket_orders, ours.ticket_orders_with_merch) == (2, 1)
    assert ours.merch_attach_rate == Decimal("0.5000")
    gross = 2 * SHIRT_PRICE + TICKET_PRICE + BUNDLE_PRICE + TICKET_PRICE + SHIRT_PRICE
    assert gross == 13900
    discounts = 1020 + 250  # 10% of the full cart, 10% of a shirt
    [usd] = ours.money
    assert (usd.currency, usd.gross_minor, usd.discounts_minor, usd.net_minor) == (
        "USD", gross, discounts, gross - discounts)  # fmt: skip
    assert usd.refunded_minor == 0
    # royalty on the discounted nets: shirts 4500 and 2250; the bundle's 3600 split over
    # ticket, shirt and two posters (SPEC §5), merch parts only
    _, shirt_part, posters_part = _largest_remainder(
        BUNDLE_PRICE - 400, [TICKET_PRICE, SHIRT_PRICE, 2 * POSTER_PRICE]
    )
    assert (shirt_part, posters_part) == (1343, 1612)
    merch_net = 4500 + 2250 + shirt_part + posters_part
    [royalty] = ours.royalty
    assert royalty.currency == "USD"
    assert royalty.royalty_micros == merch_net * RATE_BPS * 100  # micros of a minor unit
    assert royalty.royalty_minor == micros_to_minor(merch_net * RATE_BPS * 100) == 971

    # and the order of no campaign: one ticket, nothing else
    assert (none.orders, none.tickets_sold, none.bundles_sold, none.merch_units) == (1, 1, 0, 0)
    assert [(m.gross_minor, m.discounts_minor) for m in none.money] == [(TICKET_PRICE, 0)]
    assert none.royalty == () and none.merch_attach_rate == Decimal(0)
    # the ticket figures add up to the film's
    assert (row.ticket_orders, row.tickets_sold, row.bundles_sold) == (3, 4, 1)

    # a campaign of one film: its row is its report, but for the visits
    assert (report.orders, report.tickets, report.bundles, report.merch_units) == (
        ours.orders, ours.tickets_sold, ours.bundles_sold, ours.merch_units)  # fmt: skip
    assert (report.attach_rate, report.money, report.royalty) == (
        ours.merch_attach_rate, ours.money, ours.royalty)  # fmt: skip


async def test_the_statements_do_not_grow_with_campaigns(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, query_counter
) -> None:
    async def count() -> int:
        with query_counter() as counter:
            async with db.read_session() as s:
                rows = await film_commerce_report(s, period_of(now))
        assert rows  # the film has sold
        return counter.count

    await _ticket(db, shop, gateway, now, None)
    one = await count()
    for n in range(3):
        async with db.session() as s:
            campaign = await create_campaign(
                s, name=f"Wave {n}", channel="social", film_ids=[shop.film_id],
                starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                referral_code=f"wave{n}",
            )  # fmt: skip
            await create_promo_code(
                s, campaign_id=campaign.id, code=f"WAVE{n}", kind="percent", percent_bps=500,
                valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
            )  # fmt: skip
        await _ticket(db, shop, gateway, now, campaign.id)
        placed = await buy(db, full_cart(shop), gateway, now, code=f"wave{n}",
                           email=f"w{n}@example.com")  # fmt: skip
        await _pay(db, placed.id, gateway, now)
    assert await count() == one == 5
    async with db.read_session() as s:
        [row] = await film_commerce_report(s, period_of(now))
    assert len(row.by_campaign) == 4
    assert [p.orders for p in row.by_campaign] == [2, 2, 2, 1]
