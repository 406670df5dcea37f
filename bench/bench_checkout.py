"""Benchmark: checkout throughput — orders placed and paid per second — on PostgreSQL against
localstripe, with 20 concurrent shoppers, and the p50/p95 latency of one checkout.

One checkout = `place_order` (re-check, reserve stock and a seat and commit; create the
PaymentIntent with no transaction open; record it), then `confirm_payment` with pm_card_visa
(Stripe confirms, the order is settled: tickets issued, ledger posted) — what the checkout
and pay pages do. Shoppers buy a T-shirt and a ticket; stock is ample, so every checkout pays.

`--stripe-latency MS` puts a delaying proxy (`tiein.latency_proxy`) in front of localstripe,
so every Stripe call takes MS more, as with a real Stripe far away. With the hot item's row
lock held through a 300 ms call, checkouts of it could not pass about 3 a second; with no
lock held across Stripe they overlap. After each scenario the books are checked: orders
`paid` against checkouts that succeeded (lost), and units taken from stock against units on
paid lines (oversold or leaked).

Needs PostgreSQL on 127.0.0.1:5432 (users postgres or root, trust auth; TIEIN_BENCH_PG_URL
overrides). A temporary database is created and dropped; localstripe runs on a free port.

Two scenarios: all shoppers buying one hot item (their reservations take its row lock, for
the length of one short transaction each), and each shopper buying its own item.

    .venv/bin/python bench/bench_checkout.py [--shoppers 20] [--seconds 10] [--stripe-latency 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.factory, which builds the data

from catalog.models import Category, Product  # noqa: E402
from kernel.clock import now_utc  # noqa: E402
from kernel.config import Settings  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from orders.card_step import confirm_payment  # noqa: E402
from orders.cart import Cart, CartItem  # noqa: E402
from orders.checkout import place_order  # noqa: E402
from orders.models import LineKind, Order, OrderLine, OrderStatus, Reservation, ReservationStatus  # noqa: E402
from orders.payments import StripeGateway  # noqa: E402
from tests.factory import (  # noqa: E402
    make_agreement,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
    shipping_address,
)
from tiein.latency_proxy import start_latency_proxy  # noqa: E402
from tiein.localstripe import (  # noqa: E402
    TEST_SECRET_KEY,
    free_port,
    start_localstripe,
    stop_localstripe,
)
from tiein.models import load_all_models  # noqa: E402

PG_CANDIDATES = [
    os.environ.get("TIEIN_BENCH_PG_URL", ""),
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/postgres",
]


async def find_postgres() -> str | None:
    for url in filter(None, PG_CANDIDATES):
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            continue
        await conn.close()
        return url
    return None


@contextmanager
def scratch_database(admin: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database for one run (its SQLAlchemy URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
            + "/"
            + name
        )
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def seed(db: Database, now: datetime, items: int) -> list[Cart]:
    """`items` T-shirts and showtimes; cart i buys shirt i and a seat of showtime i."""
    today = now.date()
    async with db.session() as s:
        film = await make_film(s, slug="bench", title="Bench Film", release_date=today,
                               runtime_minutes=100)  # fmt: skip
        cinema = await make_cinema(s, name="Bench Cinema")
        merchant = await make_merchant(s, slug="bench")
        agreement = await make_agreement(
            s, merchant_id=merchant.id, film_ids=[film.id], code="LA-BENCH", territories=["US"],
            categories=[Category.APPAREL], start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=365),
        )  # fmt: skip
        carts = []
        for i in range(items):
            shirt = await make_product(s, agreement, film.id, sku=f"BENCH-TEE-{i}",
                                       name=f"Bench tee {i}", stock=1_000_000)  # fmt: skip
            showtime = await make_showtime(s, film_id=film.id, cinema_id=cinema.id,
                                           starts_at=now + timedelta(days=2, hours=i),
                                           capacity=1_000_000)  # fmt: skip
            carts.append(
                Cart()
                .with_item(CartItem.product(shirt.sku))
                .with_item(CartItem.ticket(showtime.id))
            )
        return carts


async def one_checkout(db: Database, cart: Cart, gateway: StripeGateway) -> None:
    now = now_utc()
    placed = await place_order(
        db, cart, email="fan@example.com", country="US", shipping=shipping_address(), now=now,
        gateway=gateway,
    )  # fmt: skip
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    if step.status != "succeeded":
        raise RuntimeError(f"checkout ended {step.status}: {step.message}")


async def measure(
    db: Database, carts: list[Cart], gateway: StripeGateway, shoppers: int, seconds: float
) -> dict[str, float]:
    """Shopper i checks out cart i % len(carts) again and again for `seconds`."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def shopper(i: int) -> None:
        nonlocal failures
        cart = carts[i % len(carts)]
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await one_checkout(db, cart, gateway)
            except Exception as exc:  # a benchmark reports, it does not stop
                failures += 1
                print(f"  failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            latencies.append(time.perf_counter() - started)

    began, cpu_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(shopper(i) for i in range(shoppers)))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    latencies.sort()
    done = max(1, len(latencies))
    return {
        "orders": len(latencies),
        "failed": failures,
        "elapsed": elapsed,
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000 if latencies else 0.0,
        "cpu": cpu / done * 1000,
    }


async def books(db: Database) -> dict[str, int]:
    """Paid orders; the hot T-shirt's stock, units on its paid lines, units reserved."""
    hot = Product.sku == "BENCH-TEE-0"
    async with db.read_session() as s:
        paid = await s.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.PAID))
        stock = await s.scalar(select(Product.stock).where(hot))
        sold = await s.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(hot, OrderLine.kind == LineKind.PRODUCT, Order.status == OrderStatus.PAID)
        )
        held = await s.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0))
            .join(Product, Product.id == Reservation.product_id)
            .where(hot, Reservation.status == ReservationStatus.ACTIVE)
        )
    return {"paid": paid or 0, "stock": stock or 0, "sold": sold or 0, "held": held or 0}


async def most_in_flight(proxy_url: str) -> int:
    """The most PaymentIntent creations the latency proxy held at once."""
    async with httpx.AsyncClient(timeout=10) as http:
        calls = (await http.get(f"{proxy_url}/_proxy/calls")).json()
    edges = []
    for c in calls:
        if c["path"] == "/v1/payment_intents" and c["method"] == "POST":
            edges += [(c["arrived"], 1), (c["answered"], -1)]
    most = current = 0
    for _, step in sorted(edges):
        current += step
        most = max(most, current)
    return most


async def run(
    shoppers: int, seconds: float, api_base: str, pg_url: str, latency: int, proxy_url: str
) -> None:
    db = Database(pg_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    carts = await seed(db, now_utc(), shoppers)
    gateway = StripeGateway(Settings(stripe_secret_key=TEST_SECRET_KEY, stripe_api_base=api_base))
    try:
        for cart in carts[:5]:  # warm up connections and caches
            await one_checkout(db, cart, gateway)
        scenarios = {
            "one hot item (every shopper buys the same T-shirt and premiere seat)": carts[:1],
            "a catalogue (each shopper buys its own T-shirt and showtime)": carts,
        }
        where = f"behind a {latency} ms proxy" if latency else "directly"
        print(
            f"checkout on PostgreSQL against localstripe ({where}), {shoppers} concurrent shoppers"
        )
        print("  (one checkout = place_order + card confirmation + settlement)")
        for label, chosen in scenarios.items():
            before = await books(db)
            if proxy_url:
                async with httpx.AsyncClient(timeout=10) as http:
                    await http.delete(f"{proxy_url}/_proxy/calls")
            r = await measure(db, chosen, gateway, shoppers, seconds)
            after = await books(db)
            lost = r["orders"] - (after["paid"] - before["paid"])
            # Units taken from the hot T-shirt's stock that no paid line or live reservation
            # accounts for: > 0 leaked, < 0 sold without being taken (oversold).
            taken = before["stock"] - after["stock"]
            unaccounted = taken - (after["sold"] - before["sold"]) - after["held"]
            print(f"- {label}:")
            print(
                f"    {r['orders']:.0f} orders placed and paid in {r['elapsed']:.1f} s "
                f"({r['failed']:.0f} failed): {r['rate']:.1f} orders/s"
            )
            print(
                f"    books: {lost:.0f} lost (succeeded, not paid); hot T-shirt units taken "
                f"{taken}, unaccounted {unaccounted} (< 0 oversold, > 0 leaked), "
                f"{after['held']} still reserved"
            )
            if proxy_url:
                print(
                    f"    at most {await most_in_flight(proxy_url)} PaymentIntent calls in flight "
                    f"at once (1 would mean checkouts queue behind each other's Stripe call)"
                )
            print(f"    latency p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms")
            print(f"    app CPU per checkout {r['cpu']:.0f} ms (one process)")
    finally:
        await gateway.close()
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario")
    parser.add_argument(
        "--stripe-latency", type=int, default=0, metavar="MS",
        help="delay every Stripe call by MS milliseconds (a proxy in front of localstripe)",
    )  # fmt: skip
    args = parser.parse_args()
    load_all_models()

    admin = asyncio.run(find_postgres())
    if admin is None:
        print("checkout benchmark skipped: no PostgreSQL on 127.0.0.1:5432")
        return 0
    port = free_port()
    process = start_localstripe(port)
    api_base = f"http://127.0.0.1:{port}"
    proxy = None
    try:
        if args.stripe_latency:
            proxy_port = free_port()
            proxy = start_latency_proxy(api_base, args.stripe_latency / 1000, proxy_port)
            api_base = f"http://127.0.0.1:{proxy_port}"
        with scratch_database(admin, "tiein_bench") as url:
            asyncio.run(
                run(
                    args.shoppers,
                    args.seconds,
                    api_base,
                    url,
                    args.stripe_latency,
                    api_base if proxy else "",
                )
            )
    finally:
        if proxy is not None:
            stop_localstripe(proxy)
        stop_localstripe(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
