"""Benchmark: bundle availability for a film page — 50 offers x 20 showtimes.

Seeds a temporary SQLite database, then computes the availability of every (offer, showtime)
pair the way a film page does, and prints the SQL statements issued and the time taken, next
to the same figures for 1 offer x 1 showtime: the statement count must not grow.

    .venv/bin/python bench/bench_availability.py [--offers 50] [--showtimes 20] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.factory, which builds the data

from catalog.bundles import bundle_offers_for_film  # noqa: E402
from catalog.models import Category  # noqa: E402
from catalog.showtimes import showtimes_for_film  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from orders.availability import bundle_availability  # noqa: E402
from tests.factory import (  # noqa: E402
    make_agreement,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
)
from tiein.models import load_all_models  # noqa: E402

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PRODUCTS = 30


async def seed(db: Database, offers: int, showtimes: int) -> int:
    async with db.session() as s:
        film = await make_film(s, slug="bench-film", title="Bench", release_date=date(2026, 6, 1),
                               runtime_minutes=100)  # fmt: skip
        merchant = await make_merchant(s, slug="bench")
        agreement = await make_agreement(s, merchant_id=merchant.id, film_ids=[film.id],
                                         code="LA-BENCH", territories=["US", "GB"],
                                         categories=[Category.APPAREL])  # fmt: skip
        products = []
        for i in range(PRODUCTS):
            product = await make_product(s, agreement, film.id, sku=f"B-{i:03d}", name=f"Item {i}",
                                         price_minor=1000 + 100 * i, stock=10 + i)  # fmt: skip
            products.append(product)
        cinemas = []
        for country in ("US", "GB", "FR"):
            cinemas.append(await make_cinema(s, name=f"Screen {country}", city="Town",
                                             country=country))  # fmt: skip
        for i in range(showtimes):
            await make_showtime(
                s, film_id=film.id, cinema_id=cinemas[i % 3].id,
                starts_at=NOW + timedelta(days=1 + i // 4, hours=i % 4 * 3), capacity=200,
                price_minor=1500,
            )  # fmt: skip
        for i in range(offers):
            picks = [products[(i + k * 7) % PRODUCTS] for k in range(1 + i % 3)]
            await make_bundle(
                s, film_id=film.id, code=f"OFFER-{i:03d}", name=f"Offer {i}",
                price_minor=sum(p.price_minor for p in picks), valid_from=NOW,
                valid_to=NOW + timedelta(days=7 + i % 10),
                components=[(p.id, 1 + k % 2) for k, p in enumerate(picks)],
            )  # fmt: skip
        return film.id


async def measure(db: Database, film_id: int, offers: int, showtimes: int, rounds: int) -> None:
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper() not in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}:
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    async with db.read_session() as s:
        all_offers = await bundle_offers_for_film(s, film_id, now=NOW)
        all_showtimes = await showtimes_for_film(s, film_id, now=NOW, days=30)
        rows = []
        for label, o, st in (
            ("1 offer x 1 showtime", all_offers[:1], all_showtimes[:1]),
            (f"{offers} offers x {showtimes} showtimes", all_offers, all_showtimes),
        ):
            statements.clear()
            found = await bundle_availability(s, o, st, now=NOW)
            issued = len(statements)
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                await bundle_availability(s, o, st, now=NOW)
                timings.append(time.perf_counter() - started)
            zero = sum(1 for a in found.values() if a.available == 0)
            rows.append((label, len(found), zero, issued, statistics.median(timings) * 1000))
    event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    print(f"bundle availability on SQLite, median of {rounds} rounds")
    print(f"{'case':<28}{'pairs':>7}{'zero':>7}{'statements':>12}{'median ms':>11}")
    for label, pairs, zero, issued, ms in rows:
        print(f"{label:<28}{pairs:>7}{zero:>7}{issued:>12}{ms:>11.2f}")
    small, large = rows
    print(f"statement ratio large/small: {large[3] / small[3]:.2f} (1.00 = does not grow)")
    print(f"time per pair: {large[4] * 1000 / max(large[1], 1):.1f} µs")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=50)
    parser.add_argument("--showtimes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    load_all_models()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        film_id = await seed(db, args.offers, args.showtimes)
        await measure(db, film_id, args.offers, args.showtimes, args.rounds)
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
