"""Backtest of the merch demand forecast (reports/forecast.py, SPEC §9).

Loads the demo (its documented, seeded demand model) into a fresh SQLite database, holds out
the last 4 weeks, and for every forecast day of the hold-out whose 14-day window ends by
today, and every approved product of a film with showtimes in that window, compares the
forecast's expected units and the naive forecast (units sold in the previous 14 days) with
the units actually sold in the window. Prints both mean absolute errors and their ratio;
the target is a ratio <= 0.8. Usage: python bench/backtest_forecast.py [--orders N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.models import ApprovalStage, Product, Showtime  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from reports.forecast import (  # noqa: E402
    WINDOW_DAYS,
    actual_units,
    forecast_film,
    naive_forecast,
)
from reports.forecast_loader import load_history  # noqa: E402
from tiein.demo import load_demo  # noqa: E402
from tiein.models import load_all_models  # noqa: E402

TODAY = date(2026, 11, 22)
HOLD_OUT_DAYS = 28
TARGET = 0.8


def _moment(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


async def backtest(db: Database, today: date) -> tuple[float, float, int]:
    async with db.read_session() as session:
        history = await load_history(session, _moment(today - timedelta(days=400)), _moment(today))
        products = (
            await session.execute(
                select(Product.id, Product.film_id).where(
                    Product.approval_stage == ApprovalStage.APPROVED
                )
            )
        ).all()
        screenings = (await session.execute(select(Showtime.film_id, Showtime.starts_at))).all()
    days_shown: dict[int, set[date]] = {}
    for film_id, starts in screenings:
        days_shown.setdefault(film_id, set()).add(starts.date())
    by_film: dict[int, list[int]] = {}
    for product_id, film_id in products:
        by_film.setdefault(film_id, []).append(product_id)
    errors, naive_errors = [], []
    first = today - timedelta(days=HOLD_OUT_DAYS)
    for k in range(HOLD_OUT_DAYS - WINDOW_DAYS + 1):
        origin = first + timedelta(days=k)
        window = {origin + timedelta(days=d) for d in range(WINDOW_DAYS)}
        for film_id, product_ids in by_film.items():
            if not days_shown.get(film_id, set()) & window:
                continue
            for f in forecast_film(history, film_id, {p: 0 for p in product_ids}, origin):
                actual = actual_units(history, f.product_id, origin)
                errors.append(abs(f.expected_units - actual))
                naive_errors.append(abs(naive_forecast(history, f.product_id, origin) - actual))
    mae = sum(errors) / len(errors)
    naive = sum(naive_errors) / len(naive_errors)
    return mae, naive, len(errors)


async def main(orders: int) -> None:
    load_all_models()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/backtest.db")
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        started = time.perf_counter()
        await load_demo(db, orders=orders, today=TODAY, progress=False)
        loaded = time.perf_counter() - started
        mae, naive, n = await backtest(db, TODAY)
        await db.dispose()
    ratio = mae / naive if naive else float("inf")
    print(f"demo: {orders} orders loaded in {loaded:.1f} s; hold-out: last {HOLD_OUT_DAYS} days")
    print(f"forecasts compared: {n} (product x forecast day)")
    print(f"MAE forecast: {mae:.2f} units / 14 days")
    print(f"MAE naive (previous 14 days): {naive:.2f} units / 14 days")
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"ratio forecast / naive: {ratio:.3f} ({verdict} the target <= {TARGET})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="demo orders (default 2000)")
    asyncio.run(main(parser.parse_args().orders))
