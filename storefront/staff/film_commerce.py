"""The film-to-commerce report in the console: a table by film (with a chart of attach
rates) and a table by film and campaign (SPEC §9: the campaign report's measures of each
film), each the same rows on the page and in its CSV."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from starlette.requests import Request

from orders.promotion_models import Campaign
from reports.film_commerce import FilmCommerceRow, film_commerce_report
from storefront.charts import Bar, bar_chart
from storefront.staff.campaign_report import money_rows
from storefront.staff.tables import Column, Table, percent, percent_tick

CHART_BARS = 25  # a chart shows the largest rows; the table shows them all
NO_CAMPAIGN = "No campaign"

FILM_COMMERCE_COLUMNS = [
    Column("film", "Film", lambda r: r["film"]),
    Column("tickets_sold", "Tickets", lambda r: r["tickets_sold"], number=True),
    Column("bundles_sold", "Bundles", lambda r: r["bundles_sold"], number=True),
    Column(
        "ticket_orders",
        "Ticket orders",
        lambda r: r["ticket_orders"],
        number=True,
        note="paid orders with a ticket or a bundle of the film, wholly refunded ones left out.",
    ),
    Column(
        "ticket_orders_with_merch",
        "With merch",
        lambda r: r["with_merch"],
        number=True,
        note="those ticket orders that also bought merchandise (a product or a bundle).",
    ),
    Column(
        "merch_attach_rate",
        "Attach rate",
        lambda r: r["attach_rate"],
        number=True,
        note="ticket orders with merch as a share of all the film's ticket orders.",
    ),
    Column("merch_units", "Merch units", lambda r: r["merch_units"], number=True),
    Column("currency", "Currency", lambda r: r["currency"] or None),
    Column(
        "merch_net",
        "Merch net",
        lambda r: r["net"],
        money=True,
        note="net sales of the film's licensed merch on the storefront and in bundles.",
    ),
    Column(
        "royalty",
        "Royalty",
        lambda r: r["royalty"],
        money=True,
        note="royalty earned by the film's merch on every channel, licensee retail included.",
    ),
]


CAMPAIGN_COLUMNS = [
    Column("film", "Film", lambda r: r["film"]),
    Column("campaign", "Campaign", lambda r: r["campaign"]),
    Column(
        "orders",
        "Orders",
        lambda r: r["orders"],
        number=True,
        note="paid orders of the period with a line of the film, by the campaign each is "
        "attributed to (its promo code's, else its last referral visit's within 30 days).",
    ),
    Column("tickets", "Tickets", lambda r: r["tickets"], number=True),
    Column("bundles", "Bundles", lambda r: r["bundles"], number=True),
    Column(
        "merch_units",
        "Merch units",
        lambda r: r["merch_units"],
        number=True,
        note="units of the film's merch in those orders' ledger entries, refunds netted.",
    ),
    Column(
        "attach_rate",
        "Attach rate",
        lambda r: r["attach_rate"],
        number=True,
        note="those orders with a ticket of the film that also bought merchandise, as a share "
        "of them.",
    ),
    Column("currency", "Currency", lambda r: r["currency"] or None),
    Column(
        "gross", "Gross", lambda r: r["gross"], money=True, note="the film's lines at list price."
    ),
    Column("discounts", "Discounts", lambda r: r["discounts"], money=True),
    Column(
        "net", "Net", lambda r: r["net"], money=True, note="gross less discounts: what was paid."
    ),
    Column(
        "campaign_royalty",
        "Royalty",
        lambda r: r["royalty"],
        money=True,
        note="royalty of those ledger entries, on the discounted nets.",
    ),
]


async def film_commerce_tables(
    request: Request, period: str
) -> tuple[Table, Table, list[FilmCommerceRow]]:
    """The table by film, the table by film and campaign, and the report's rows."""
    async with request.app.state.db.read_session() as session:
        films = await film_commerce_report(session, period)
        ids = {p.campaign_id for f in films for p in f.by_campaign} - {None}
        names: dict[int, str] = {}
        if ids:
            found = await session.execute(
                select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids))
            )
            names = {campaign_id: name for campaign_id, name in found}
    return (
        Table("film-commerce", FILM_COMMERCE_COLUMNS, _film_rows(films)),
        Table("film-campaigns", CAMPAIGN_COLUMNS, _campaign_rows(films, names)),
        films,
    )


def _film_rows(films: list[FilmCommerceRow]) -> list[dict[str, Any]]:
    """One row per film and currency (a film without merch money has one row)."""
    rows = []
    for f in films:
        base = {
            "film": f.film_title,
            "tickets_sold": f.tickets_sold,
            "bundles_sold": f.bundles_sold,
            "ticket_orders": f.ticket_orders,
            "with_merch": f.ticket_orders_with_merch,
            "attach_rate": percent(f.merch_attach_rate),
            "merch_units": f.merch_units,
        }
        amounts = f.money or ()
        if not amounts:
            rows.append({**base, "currency": "", "net": None, "royalty": None})
        for m in amounts:
            rows.append(
                {**base, "currency": m.currency, "net": m.net_minor, "royalty": m.royalty_minor}
            )
    return rows


def _campaign_rows(films: list[FilmCommerceRow], names: dict[int, str]) -> list[dict[str, Any]]:
    """One row per film, campaign and currency (one without money if it has none)."""
    rows = []
    for f in films:
        for p in f.by_campaign:
            base = {
                "film": f.film_title,
                "campaign": NO_CAMPAIGN if p.campaign_id is None else names[p.campaign_id],
                "orders": p.orders,
                "tickets": p.tickets_sold,
                "bundles": p.bundles_sold,
                "merch_units": p.merch_units,
                "attach_rate": percent(p.merch_attach_rate),
            }
            rows += money_rows(base, p.money, p.royalty)
    return rows


def film_commerce_chart(films: list[FilmCommerceRow], period: str) -> Markup:
    """The attach rate of each film with ticket orders: the first CHART_BARS by title."""
    bars = [
        Bar(f.film_title, f.merch_attach_rate, percent(f.merch_attach_rate))
        for f in films
        if f.ticket_orders
    ][:CHART_BARS]
    return bar_chart(
        bars,
        title=f"Merch attach rate by film, {period}",
        description=(
            f"Share of each film's ticket orders in {period} that also bought merchandise; "
            "the table has every figure."
        ),
        ident="film-attach",
        axis=("Attach rate", percent_tick),
    )
