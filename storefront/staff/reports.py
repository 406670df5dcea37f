"""Staff reports: royalties by group, film-to-commerce and MG pace, as tables (declared as
columns in `storefront.staff.tables`) with SVG charts, each with a CSV download. Every figure
that is not self-evident (attach rate, projection, shortfall) says what it is under its table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.money import format_money
from kernel.parsing import clean_text
from kernel.periods import check_period, period_of
from reports.royalty import GROUPS, mg_pace, royalty_report
from storefront.charts import Bar, bar_chart
from storefront.staff.auth import require_staff
from storefront.staff.common import error_message, known_periods, page, period_choices
from storefront.staff.film_commerce import CHART_BARS, film_commerce_chart, film_commerce_tables
from storefront.staff.tables import (
    Column,
    Table,
    csv_response,
    money_tick,
    percent,
    percent_tick,
)
from storefront.web import now, path_for, query_param

# --- royalties by group -------------------------------------------------------------------

GROUP_COLUMNS = {
    "film": Column("film", "Film", lambda r: r.film_title),
    "merchant": Column("merchant", "Licensee", lambda r: r.merchant_name),
    "territory": Column("territory", "Territory", lambda r: r.territory),
    "channel": Column(
        "channel", "Channel", lambda r: r.channel.value if r.channel is not None else None
    ),
}
ROYALTY_FIGURES = [
    Column("currency", "Currency", lambda r: r.currency),
    Column("entries", "Entries", lambda r: r.entries, number=True),
    Column("units", "Units", lambda r: r.units, number=True),
    Column("net_sales", "Net sales", lambda r: r.net_minor, money=True),
    Column("royalty", "Royalty", lambda r: r.royalty_minor, money=True),
]


def _group_by(request: Request) -> list[str]:
    """group_by=film&group_by=territory or group_by=film,territory; film by default."""
    values = [
        clean_text(v, field="group_by", max_len=100)
        for v in request.query_params.getlist("group_by")[: len(GROUPS) * 2]
    ]
    names = [p for v in values for p in v.split(",")]
    names = [n.strip().lower() for n in names if n.strip()]
    return names or ["film"]


async def royalties_table(request: Request, period: str, groups: list[str]) -> Table:
    async with request.app.state.db.read_session() as session:
        rows = await royalty_report(session, period, groups)
    columns = [GROUP_COLUMNS[g] for g in GROUPS if g in groups] + ROYALTY_FIGURES
    return Table("royalties", columns, rows)


def royalties_charts(table: Table, period: str, groups: list[str]) -> list[Markup]:
    """One bar chart of royalty per group for each currency (amounts never mix)."""
    charts = []
    by = ", ".join(g for g in GROUPS if g in groups)
    group_columns = [GROUP_COLUMNS[g] for g in GROUPS if g in groups]
    for currency in sorted({r.currency for r in table.rows}):
        rows = [r for r in table.rows if r.currency == currency]
        largest = sorted(rows, key=lambda r: -abs(r.royalty_micros))[:CHART_BARS]
        bars = [
            Bar(
                " · ".join(c.html(r) for c in group_columns),
                r.royalty_minor,
                format_money(r.royalty_minor, currency),
            )
            for r in largest
        ]
        shown = f"the {len(bars)} largest of {len(rows)} groups" if len(rows) > len(bars) else ""
        charts.append(
            bar_chart(
                bars,
                title=f"Royalty earned by {by}, {period} ({currency})",
                description=(
                    f"Royalty earned in {period} in {currency} per {by}"
                    f"{', ' + shown if shown else ''}; the table has every figure."
                ),
                ident=f"royalties-{currency}",
                axis=("Royalty earned", money_tick(currency)),
            )
        )
    return charts


# --- MG pace ------------------------------------------------------------------------------


def _share(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


MG_PACE_COLUMNS = [
    Column("agreement", "Agreement", lambda r: r.agreement_code),
    Column("currency", "Currency", lambda r: r.currency, on_page=False),
    Column("start_date", "Start", lambda r: r.start_date.isoformat(), on_page=False),
    Column("end_date", "End", lambda r: r.end_date.isoformat(), on_page=False),
    Column("term", "Term", lambda r: f"{r.start_date} to {r.end_date}", in_csv=False),
    Column(
        "minimum_guarantee", "Minimum guarantee", lambda r: r.minimum_guarantee_minor, money=True
    ),
    Column("advance", "Advance", lambda r: r.advance_minor, money=True),
    Column(
        "earned_to_date",
        "Earned to date",
        lambda r: r.earned_to_date_minor,
        money=True,
        note="royalty earned so far up to the period holding the end date, the sum of each "
        "period's statement figure (later sell-off periods do not count toward the MG).",
    ),
    Column(
        "earned_share_of_mg",
        "Share of MG",
        lambda r: percent(_share(r.earned_to_date_minor, r.minimum_guarantee_minor)),
        number=True,
        note="earned to date as a share of the minimum guarantee (MG).",
    ),
    Column("days_elapsed", "Days elapsed", lambda r: r.days_elapsed, number=True, on_page=False),
    Column("term_days", "Term days", lambda r: r.term_days, number=True, on_page=False),
    Column(
        "days",
        "Days",
        lambda r: f"{r.days_elapsed} of {r.term_days}",
        in_csv=False,
        note="days of the term elapsed, of all its days.",
    ),
    Column(
        "projected_earned",
        "Projected",
        lambda r: r.projected_earned_minor,
        money=True,
        note="earned to date carried on at the same daily rate to the end of the term "
        "(earned times term days, divided by the days elapsed).",
    ),
    Column(
        "shortfall_now",
        "Shortfall now",
        lambda r: r.shortfall_now_minor,
        money=True,
        note="the MG less the larger of the advance and the royalty earned, never below "
        "zero: what the final statement shows once the term has ended, what it would show "
        "if the term ended today before that.",
    ),
    Column(
        "projected_shortfall",
        "Projected shortfall",
        lambda r: r.projected_shortfall_minor,
        money=True,
        note="the same at the end of the term, on the projection.",
    ),
    Column(
        "on_pace",
        "On pace",
        lambda r: r.pace,
        note="yes when no shortfall is projected; an expired or terminated agreement is "
        "listed while it still owes its shortfall.",
    ),
]


async def mg_pace_table(request: Request) -> Table:
    async with request.app.state.db.read_session() as session:
        rows = await mg_pace(session, today=now(request).date())
    return Table("mg-pace", MG_PACE_COLUMNS, rows)


def mg_pace_chart(table: Table) -> Markup:
    bars = [
        Bar(
            r.agreement_code,
            _share(r.projected_earned_minor, r.minimum_guarantee_minor),
            f"{percent(_share(r.projected_earned_minor, r.minimum_guarantee_minor))} projected",
        )
        for r in table.rows[:CHART_BARS]
    ]
    return bar_chart(
        bars,
        title="Projected royalty as a share of the minimum guarantee",
        description=(
            "For each active agreement with a minimum guarantee: the royalty projected at the "
            "current run-rate to the end of the term, as a share of the guarantee (100 % is on "
            "pace); the table has every figure."
        ),
        ident="mg-pace",
        marker=("100 % of the minimum guarantee", 1),
        axis=("Projected royalty ÷ minimum guarantee", percent_tick),
    )


# --- views --------------------------------------------------------------------------------


def _period(request: Request) -> str:
    return check_period(query_param(request, "period", 16) or period_of(now(request)))


@require_staff
async def reports_page(request: Request) -> Response:
    groups = _group_by(request)
    current = period_of(now(request))
    period = query_param(request, "period", 16) or current
    async with request.app.state.db.read_session() as session:
        known = await known_periods(session)
    context: dict[str, Any] = {
        "period": period,
        "groups": groups,
        "all_groups": GROUPS,
        "periods": period_choices(known, current),
    }
    try:
        period = check_period(period)
        context["periods"] = period_choices(known, current, chosen=period)
        royalties = await royalties_table(request, period, groups)
    except DomainError as error:
        return page(
            request,
            "staff/reports.html",
            400,
            error=error_message(error),
            error_code=error.code,
            **context,
        )
    films, campaigns, film_rows = await film_commerce_tables(request, period)
    pace = await mg_pace_table(request)
    query = "&".join(f"group_by={g}" for g in GROUPS if g in groups)
    return page(
        request,
        "staff/reports.html",
        error=None,
        **{**context, "period": period},
        royalties=royalties,
        royalties_charts=royalties_charts(royalties, period, groups),
        royalties_csv=f"{path_for(request, 'staff_royalties_csv')}?period={period}&{query}",
        films=films,
        films_chart=film_commerce_chart(film_rows, period),
        films_csv=f"{path_for(request, 'staff_film_commerce_csv')}?period={period}",
        film_campaigns=campaigns,
        film_campaigns_csv=(
            f"{path_for(request, 'staff_film_commerce_campaigns_csv')}?period={period}"
        ),
        pace=pace,
        pace_chart=mg_pace_chart(pace),
    )


@require_staff
async def royalties_csv(request: Request) -> Response:
    groups = _group_by(request)
    try:
        period = _period(request)
        table = await royalties_table(request, period, groups)
    except DomainError as error:
        return Response(error_message(error), status_code=400, media_type="text/plain")
    return csv_response(table, f"royalties-{period}-{'-'.join(groups)}.csv")


@require_staff
async def film_commerce_csv(request: Request) -> Response:
    try:
        period = _period(request)
    except DomainError as error:
        return Response(error_message(error), status_code=400, media_type="text/plain")
    table, _, _ = await film_commerce_tables(request, period)
    return csv_response(table, f"film-commerce-{period}.csv")


@require_staff
async def film_commerce_campaigns_csv(request: Request) -> Response:
    try:
        period = _period(request)
    except DomainError as error:
        return Response(error_message(error), status_code=400, media_type="text/plain")
    _, table, _ = await film_commerce_tables(request, period)
    return csv_response(table, f"film-commerce-by-campaign-{period}.csv")


@require_staff
async def mg_pace_csv(request: Request) -> Response:
    table = await mg_pace_table(request)
    return csv_response(table, f"mg-pace-{now(request).date().isoformat()}.csv")


routes = [
    Route("/staff/reports", reports_page, methods=["GET"], name="staff_reports"),
    Route(
        "/staff/reports/royalties.csv", royalties_csv, methods=["GET"], name="staff_royalties_csv"
    ),
    Route(
        "/staff/reports/film-commerce.csv",
        film_commerce_csv,
        methods=["GET"],
        name="staff_film_commerce_csv",
    ),
    Route(
        "/staff/reports/film-commerce-by-campaign.csv",
        film_commerce_campaigns_csv,
        methods=["GET"],
        name="staff_film_commerce_campaigns_csv",
    ),
    Route("/staff/reports/mg-pace.csv", mg_pace_csv, methods=["GET"], name="staff_mg_pace_csv"),
]
