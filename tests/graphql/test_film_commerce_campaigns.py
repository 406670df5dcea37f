"""filmCommerceReport.byCampaign (staff, SPEC §9): each campaign row carries the campaign
report's measures of the film: orders, tickets, bundles, merch units, attach rate, gross,
discounts, net and royalty."""

from __future__ import annotations

from graphql_relay import from_global_id

from kernel.db import Database
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from orders.models import LineKind, Order, OrderLine
from tests.factory.builders import make_order_line
from tests.graphql.conftest import NOW
from tests.graphql.test_promotions import CAMPAIGN, _campaign

FILMS = """query($p: String!) { filmCommerceReport(period: $p) { film { slug } ticketOrders
  byCampaign { campaign { name } orders ticketsSold bundlesSold merchUnits ticketOrders
    ticketOrdersWithMerch merchAttachRate
    money { currency gross { amount } discounts { amount } net { amount } refunded { amount } }
    royalty { amount currency } } } }"""


async def test_a_campaign_row_carries_orders_units_money_and_royalty(
    gql, world, db: Database
) -> None:
    # given the world's paid order (two tees, 2500 each) attributed to a campaign, with a
    # ticket added (1400), 250 off acme's tee and acme's tee posted to the ledger at its net
    made = await gql.data(CAMPAIGN, _campaign(world), world.staff_token)
    campaign_id = int(from_global_id(made["createCampaign"]["campaign"]["id"])[1])
    async with db.session() as s:
        order = await s.get(Order, world.order_id)
        order.campaign_id = campaign_id
        order.discount_minor = 250
        order.total_minor = 5000 + 1400 - 250
        acme = await s.get(OrderLine, world.line_ids["acme"])
        acme.discount_minor = 250
        await make_order_line(s, order.id, kind=LineKind.TICKET, showtime_id=world.showtime_id,
                              unit_price_minor=1400)  # fmt: skip
        await post_sales(
            s,
            [SaleLine(f"order_line:{acme.id}", world.a.approved_id, 1, 2250, Channel.STOREFRONT,
                      "US", NOW)],
            now=NOW,
        )  # fmt: skip

    rows = (await gql.data(FILMS, {"p": world.period}, world.staff_token))["filmCommerceReport"]
    [row] = [r for r in rows if r["film"]["slug"] == "moon-harbor"]
    [part] = row["byCampaign"]
    # then one order, one ticket, the ledger's tee, attach rate 1, and the lines' money
    assert part == {
        "campaign": {"name": "Summer"},
        "orders": 1,
        "ticketsSold": 1,
        "bundlesSold": 0,
        "merchUnits": 1,
        "ticketOrders": 1,
        "ticketOrdersWithMerch": 1,
        "merchAttachRate": "1.0000",
        "money": [
            {
                "currency": "USD",
                "gross": {"amount": "64.00"},
                "discounts": {"amount": "2.50"},
                "net": {"amount": "61.50"},
                "refunded": {"amount": "0.00"},
            }
        ],
        # 10% of the tee's discounted net 2250
        "royalty": [{"amount": "2.25", "currency": "USD"}],
    }
    assert row["ticketOrders"] == 1
