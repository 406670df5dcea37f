"""A campaign's attribution report in the console (SPEC §9): its table (the CSV is the same
table) and its charts: from referral visits to sales (counts), the attach rate (ticket orders
and those with merch), and per currency its money (gross, discounts, net, royalty)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from kernel.money import format_money
from reports.campaigns import CampaignReport
from storefront.charts import Bar, bar_chart, plain_number
from storefront.staff.tables import Column, Table, money_tick, percent

REPORT_COLUMNS = [
    Column("period", "Period", lambda r: r["period"]),
    Column("referral_visits", "Referral visits", lambda r: r["visits"], number=True),
    Column("orders", "Orders", lambda r: r["orders"], number=True),
    Column("tickets", "Tickets", lambda r: r["tickets"], number=True),
    Column("bundles", "Bundles", lambda r: r["bundles"], number=True),
    Column("merch_units", "Merch units", lambda r: r["merch_units"], number=True),
    Column(
        "attach_rate",
        "Attach rate",
        lambda r: r["attach_rate"],
        number=True,
        note="the campaign's ticket orders that also bought merchandise, as a share of them.",
    ),
    Column("currency", "Currency", lambda r: r["currency"] or None),
    Column("gross", "Gross", lambda r: r["gross"], money=True, note="line totals at list price."),
    Column("discounts", "Discounts", lambda r: r["discounts"], money=True),
    Column(
        "net", "Net", lambda r: r["net"], money=True, note="gross less discounts: what was paid."
    ),
    Column(
        "royalty",
        "Royalty",
        lambda r: r["royalty"],
        money=True,
        note="royalty of the ledger entries of the campaign's orders, on the discounted nets.",
    ),
]


def report_table(report: CampaignReport) -> Table:
    """One row per currency (the counts repeated on each); one row without money if none."""
    base = {
        "period": report.period,
        "visits": report.referral_visits,
        "orders": report.orders,
        "tickets": report.tickets,
        "bundles": report.bundles,
        "merch_units": report.merch_units,
        "attach_rate": percent(report.attach_rate),
    }
    return Table("campaign-report", REPORT_COLUMNS, money_rows(base, report.money, report.royalty))


def money_rows(
    base: dict[str, Any], money: Iterable[Any], royalty: Iterable[Any]
) -> list[dict[str, Any]]:
    """`base` once per currency of `money` (gross, discounts, net) or `royalty`, with those
    amounts (None where one side has none); once with no currency and no money if neither has
    any. The campaign report's rows and the film report's rows by campaign are built so."""
    by_money = {m.currency: m for m in money}
    by_royalty = {r.currency: r for r in royalty}
    rows = []
    for currency in sorted(set(by_money) | set(by_royalty)) or [""]:
        m, r = by_money.get(currency), by_royalty.get(currency)
        rows.append(
            {
                **base,
                "currency": currency,
                "gross": m.gross_minor if m else None,
                "discounts": m.discounts_minor if m else None,
                "net": m.net_minor if m else None,
                "royalty": r.royalty_minor if r else None,
            }
        )
    return rows


def report_charts(report: CampaignReport, name: str) -> list[Markup]:
    """The funnel of counts, the attach rate and one money chart per currency."""
    period = report.period
    figures = [
        ("Referral visits", report.referral_visits),
        ("Orders", report.orders),
        ("Tickets", report.tickets),
        ("Bundles", report.bundles),
        ("Merch units", report.merch_units),
    ]
    charts = [
        bar_chart(
            [Bar(label, value, str(value)) for label, value in figures],
            title=f"{name}: from visits to sales, {period}",
            description=(
                f"Referral visits, orders, tickets, bundles and merch units of {name} in "
                f"{period}; the table has every figure."
            ),
            ident="campaign-funnel",
            axis=("Count", plain_number),
        ),
        bar_chart(
            [
                Bar("Ticket orders", report.ticket_orders, str(report.ticket_orders)),
                Bar(
                    "With merch",
                    report.ticket_orders_with_merch,
                    f"{report.ticket_orders_with_merch} ({percent(report.attach_rate)})",
                ),
            ],
            title=f"{name}: attach rate {percent(report.attach_rate)}, {period}",
            description=(
                f"The ticket orders of {name} in {period} and those that also bought "
                "merchandise; the attach rate is their share."
            ),
            ident="campaign-attach",
            axis=("Orders", plain_number),
        ),
    ]
    for row in report_table(report).rows:
        currency = row["currency"]
        if not currency:
            continue
        bars = [
            Bar(label, row[key], format_money(row[key], currency))
            for label, key in (
                ("Gross", "gross"),
                ("Discounts", "discounts"),
                ("Net", "net"),
                ("Royalty", "royalty"),
            )
            if row[key] is not None
        ]
        charts.append(
            bar_chart(
                bars,
                title=f"{name}: money, {period} ({currency})",
                description=(
                    f"Gross, discounts, net and royalty generated of {name} in {period} in "
                    f"{currency}; the table has every figure."
                ),
                ident=f"campaign-money-{currency}",
                axis=("Amount", money_tick(currency)),
            )
        )
    return charts
