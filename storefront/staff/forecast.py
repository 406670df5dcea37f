"""The staff's demand forecast page (SPEC §9): choose a film showing in the next 14 days,
read each licensed product's expected units against its stock, products expected to run
out flagged. The method is reports/forecast.py's, said in words under the table."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.parsing import InvalidInput, parse_id
from reports.forecast import HISTORY_DAYS, WINDOW_DAYS
from reports.forecast_loader import ForecastRow, load_forecasts
from storefront.staff.auth import require_staff
from storefront.staff.common import page
from storefront.staff.tables import Column, Table
from storefront.web import now, query_param

COLUMNS = [
    Column("sku", "SKU", lambda r: r.sku),
    Column("product", "Product", lambda r: r.name),
    Column(
        "expected_units", "Expected units", lambda r: f"{r.forecast.expected_units:.1f}",
        number=True,
        note=f"Units expected to sell over the next {WINDOW_DAYS} days: the film's expected "
        "tickets (its pace over the last 14 days carried forward by its growth, and at least "
        "5 times the tickets already sold for these days) times its merch units per ticket "
        "times this product's share of the film's merch.",
    ),
    Column(
        "available", "Available", lambda r: r.stock, number=True,
        note="Stock on hand minus units held by live reservations (checkout holds them).",
    ),
    Column("reserved", "Reserved", lambda r: r.reserved, number=True,
           note="Units held by shoppers' live reservations."),
    Column(
        "attach", "Merch per ticket", lambda r: f"{r.forecast.attach_rate:.2f}", number=True,
        note=f"The film's merch units per ticket over the last {HISTORY_DAYS} days, drawn "
        "toward the average of every film when the film has sold few tickets.",
    ),
    Column(
        "share", "Share", lambda r: f"{r.forecast.share:.0%}", number=True,
        note="This product's share of the film's merch units over the same days.",
    ),
    Column(
        "stock_out", "Runs out?", lambda r: "Yes, restock" if r.forecast.stock_out else "No",
        note="Yes when the expected units exceed what is available; its licensee is sent "
        "stock.low once a day.",
    ),
]  # fmt: skip


def _film_choice(request: Request) -> int | None:
    text = query_param(request, "film", 20)
    if not text:
        return None
    try:
        return parse_id(text, field="film")
    except InvalidInput:
        raise HTTPException(400, "Choose a film from the list.") from None


@require_staff
async def forecast_page(request: Request) -> Response:
    chosen = _film_choice(request)
    at = now(request)
    async with request.app.state.db.read_session() as session:
        films = await load_forecasts(session, now=at)
    if chosen is None and films:
        chosen = films[0].film_id
    film = next((f for f in films if f.film_id == chosen), None)
    if chosen is not None and film is None and films:
        return page(
            request, "staff/forecast.html", 404, films=films, film=None, table=None,
            error="That film has no showtime in the next 14 days, or does not exist.",
        )  # fmt: skip
    rows: list[ForecastRow] = film.rows if film else []
    rows = sorted(rows, key=lambda r: (not r.forecast.stock_out, -r.forecast.expected_units))
    return page(
        request, "staff/forecast.html", films=films, film=film,
        table=Table("forecast", COLUMNS, rows) if film else None, error=None,
        window_days=WINDOW_DAYS,
    )  # fmt: skip


routes = [Route("/staff/forecast", forecast_page, methods=["GET"], name="staff_forecast")]
