"""The staff's demand forecast page: a film select, a table whose figures are explained
under it (reflowing on a phone), products expected to run out first; staff only; a bad
film choice is a clear 4xx."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from catalog.models import Product
from kernel.clock import now_utc
from kernel.db import Database
from reports.forecast_loader import load_forecasts
from tests.factory import staff_member
from tests.storefront.console import sign_in
from tiein.demo import load_demo


async def test_staff_read_the_forecast_of_a_showing_film(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given the demo (today's), with the product expected to sell most over the next 14 days
    # (which one, of which film, depends on the day the demo is made for) out of stock
    await load_demo(db, orders=120, progress=False)
    async with db.session() as session:
        rows = [
            (row, forecast)
            for forecast in await load_forecasts(session, now=now_utc())
            for row in forecast.rows
        ]
        best, film = max(rows, key=lambda pair: pair[0].forecast.expected_units)
        assert best.forecast.expected_units > 0
        await session.execute(update(Product).where(Product.id == best.product_id).values(stock=0))
    # when nobody is signed in, then the page sends them to sign in
    signed_out = await client.get("/staff/forecast")
    assert (signed_out.status_code, signed_out.headers["location"]) == (
        303,
        "/staff/login?next=%2Fstaff%2Fforecast",
    )
    await staff_member(db)
    await sign_in(client)
    # when staff choose the film
    page = await client.get(f"/staff/forecast?film={film.film_id}")
    # then its products are listed, the empty one first and flagged, figures explained
    assert page.status_code == 200
    assert 'id="f-film"' in page.text and f"{film.title} (" in page.text
    assert 'class="report-table reflow"' in page.text and 'data-label="Expected units"' in page.text
    assert "Units expected to sell over the next 14 days" in page.text
    first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert best.name in first_row and "Yes, restock" in first_row
    # bad choices are refused in words
    for bad in ("abc", "\x00", "9" * 30, "99999"):
        response = await client.get("/staff/forecast", params={"film": bad})
        assert 400 <= response.status_code < 500, bad
