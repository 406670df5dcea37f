"""Demand forecast (SPEC §9): the method's steps on hand-made histories, and the loader on
the demo's (a constant number of statements, merchants see their own rows)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from catalog.models import Film
from kernel.db import Database
from reports.forecast import (
    SalesHistory,
    actual_units,
    forecast_film,
    future_tickets,
    naive_forecast,
    shares,
)
from reports.forecast_loader import load_forecast
from tests.conftest import count_queries
from tiein.demo import load_demo

ORIGIN = date(2026, 11, 22)
FILM, OTHER = 1, 2


def _history(daily_tickets: int, *, units: dict[int, int], days: int = 28) -> SalesHistory:
    history = SalesHistory(film_of={p: FILM for p in units})
    for k in range(1, days + 1):
        day = ORIGIN - timedelta(days=k)
        history.tickets[(FILM, day)] = daily_tickets
        for product, n in units.items():
            history.units[(product, day)] = n
    return history


def test_a_steady_film_is_forecast_at_its_pace_and_attach_rate() -> None:
    # given 10 tickets a day and 2 + 1 merch units a day, for four weeks
    history = _history(10, units={11: 2, 12: 1})
    # when forecasting the next 14 days
    rows = {f.product_id: f for f in forecast_film(history, FILM, {11: 100, 12: 5}, ORIGIN)}
    # then: 140 tickets x 0.3 units a ticket, split about 2:1, and the small stock flagged
    assert future_tickets(history, FILM, ORIGIN) == 140
    assert 25 < rows[11].expected_units < 30 and 12 < rows[12].expected_units < 16
    assert rows[12].stock_out and not rows[11].stock_out
    assert naive_forecast(history, 11, ORIGIN) == 28


def test_a_decaying_film_is_forecast_below_the_naive_yardstick() -> None:
    history = SalesHistory(film_of={11: FILM})
    for k in range(1, 29):  # 20 tickets a day 3-4 weeks ago, 10 a day in the last two
        history.tickets[(FILM, ORIGIN - timedelta(days=k))] = 10 if k <= 14 else 20
        history.units[(11, ORIGIN - timedelta(days=k))] = 3
    assert future_tickets(history, FILM, ORIGIN) < 140


def test_a_film_about_to_open_is_forecast_from_its_presales() -> None:
    history = SalesHistory()
    history.bookings[(FILM, ORIGIN - timedelta(days=1), ORIGIN + timedelta(days=2))] = 40
    history.tickets[(FILM, ORIGIN - timedelta(days=1))] = 40
    history.bookings[(FILM, ORIGIN - timedelta(days=1), ORIGIN + timedelta(days=20))] = 99
    assert future_tickets(history, FILM, ORIGIN) == 200  # 5 x 40; the later booking is out


def test_a_product_never_sold_keeps_a_small_share_and_actuals_count_the_window() -> None:
    history = _history(10, units={11: 2})
    share = shares(history, [11, 12], ORIGIN)
    assert 0 < share[12] < 0.02 < share[11] < 1
    history.units[(11, ORIGIN + timedelta(days=13))] = 5
    history.units[(11, ORIGIN + timedelta(days=14))] = 7  # outside the window
    assert actual_units(history, 11, ORIGIN) == 5


async def test_the_loader_reads_the_demo_in_five_statements_and_filters_merchants(
    db: Database,
) -> None:
    today = date(2026, 11, 22)
    await load_demo(db, orders=120, today=today, progress=False)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    async with db.read_session() as s:
        films = {f.slug: f.id for f in (await s.scalars(select(Film))).all()}
    async with db.read_session() as s:
        with count_queries(db) as counter:
            forecast = await load_forecast(s, films["starfall-rising"], now=now)
        assert counter.count == 5
    assert forecast is not None and forecast.showtimes > 0 and len(forecast.rows) >= 6
    assert all(r.forecast.expected_units >= 0 for r in forecast.rows)
    merchant = forecast.rows[0].merchant_id
    async with db.read_session() as s:
        mine = await load_forecast(s, films["starfall-rising"], now=now, merchant_ids=[merchant])
        upcoming = await load_forecast(s, films["kaiju-summer"], now=now)
        missing = await load_forecast(s, 10**9, now=now)
    assert mine is not None and {r.merchant_id for r in mine.rows} == {merchant}
    same = {r.product_id: r.forecast.expected_units for r in forecast.rows}
    assert all(same[r.product_id] == r.forecast.expected_units for r in mine.rows)
    assert upcoming is not None and upcoming.showtimes == 0 and upcoming.rows == []
    assert missing is None
