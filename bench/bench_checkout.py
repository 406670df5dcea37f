"""Benchmark: checkout throughput — orders placed and paid per second — on PostgreSQL against
localstripe, with 20 concurrent shoppers, and the p50/p95 latency of one checkout.

One checkout = `place_order` (re-check, reserve stock and a seat, create the order and its
PaymentIntent) in one transaction, then `confirm_payment` with pm_card_visa (Stripe confirms,
the order is fulfilled: tickets issued, ledger posted) in a second one — what the checkout
and pay pages do. Shoppers buy a T-shirt and a ticket; stock is ample, so every checkout pays.

Needs PostgreSQL on 127.0.0.1:5432 (users postgres or root, trust auth; TIEIN_BENCH_PG_URL
overrides). A temporary database is created and dropped; localstripe runs on a free port.

Two scenarios: all shoppers buying one hot item (their checkouts queue on its row locks,
held from the stock update through the PaymentIntent call to the commit), and each shopper
buying its own item.

    .venv/bin/python bench/bench_checkout.py [--shoppers 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta

import asyncpg

from catalog.models import (
    ApprovalStage,
    Category,
    Cinema,
    Film,
    Product,
    Showtime,
)
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementStatus,
    AgreementTerritory,
    Channel,
    Merchant,
)
from orders.cart import Cart, CartItem
from orders.checkout import confirm_payment, place_order
from orders.localstripe import (
    TEST_SECRET_KEY,
    free_port,
    start_localstripe,
    stop_localstripe,
)
from orders.models import Order
from orders.payments import StripeGateway
from tiein.config import Settings
from tiein.db import Base, Database, now_utc
from tiein.models import load_all_models

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


async def seed(db: Database, now: datetime, items: int) -> list[Cart]:
    """`items` T-shirts and showtimes; cart i buys shirt i and a seat of showtime i."""
    today = now.date()
    async with db.session() as s:
        film = Film(slug="bench", title="Bench Film", release_date=today, runtime_minutes=100)
        cinema = Cinema(name="Bench Cinema", city="Springfield", country="US")
        merchant = Merchant(slug="bench", name="Bench", country="US", contact_email="b@x.io")
        s.add_all([film, cinema, merchant])
        await s.flush()
        agreement = Agreement(
            code="LA-BENCH", merchant_id=merchant.id, status=AgreementStatus.ACTIVE,
            start_date=today - timedelta(days=10), end_date=today + timedelta(days=365),
            currency="USD", rate_bps=1000,
        )  # fmt: skip
        s.add(agreement)
        await s.flush()
        s.add(AgreementFilm(agreement_id=agreement.id, film_id=film.id))
        s.add(AgreementTerritory(agreement_id=agreement.id, country="US"))
        s.add_all(AgreementChannel(agreement_id=agreement.id, channel=c) for c in Channel)
        s.add(AgreementCategory(agreement_id=agreement.id, category=Category.APPAREL))
        carts = []
        for i in range(items):
            shirt = Product(
                sku=f"BENCH-TEE-{i}", name=f"Bench tee {i}", category=Category.APPAREL,
                price_minor=2500, currency="USD", stock=1_000_000,
                approval_stage=ApprovalStage.APPROVED, merchant_id=merchant.id,
                agreement_id=agreement.id, film_id=film.id,
            )  # fmt: skip
            showtime = Showtime(
                film_id=film.id, cinema_id=cinema.id, starts_at=now + timedelta(days=2, hours=i),
                capacity=1_000_000, price_minor=1200, currency="USD",
            )  # fmt: skip
            s.add_all([shirt, showtime])
            await s.flush()
            carts.append(
                Cart()
                .with_item(CartItem.product(shirt.sku))
                .with_item(CartItem.ticket(showtime.id))
            )
        return carts


async def one_checkout(db: Database, cart: Cart, gateway: StripeGateway) -> None:
    now = now_utc()
    async with db.session() as s:
        placed = await place_order(
            s, cart, email="fan@example.com", country="US", shipping_name="Ada",
            shipping_address="1 Road", now=now, gateway=gateway,
        )  # fmt: skip
    async with db.session() as s:
        order = await s.get(Order, placed.order.id)
        assert order is not None
        step = await confirm_payment(s, order, "pm_card_visa", gateway=gateway, now=now)
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


async def run(shoppers: int, seconds: float, api_base: str, pg_url: str) -> None:
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
        print(f"checkout on PostgreSQL against localstripe, {shoppers} concurrent shoppers")
        print("  (one checkout = place_order + card confirmation + fulfilment)")
        for label, chosen in scenarios.items():
            r = await measure(db, chosen, gateway, shoppers, seconds)
            print(f"- {label}:")
            print(
                f"    {r['orders']:.0f} orders placed and paid in {r['elapsed']:.1f} s "
                f"({r['failed']:.0f} failed): {r['rate']:.1f} orders/s"
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
    args = parser.parse_args()
    load_all_models()

    admin = asyncio.run(find_postgres())
    if admin is None:
        print("checkout benchmark skipped: no PostgreSQL on 127.0.0.1:5432")
        return 0
    name = f"tiein_bench_{uuid.uuid4().hex[:10]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    port = free_port()
    process = start_localstripe(port)
    try:
        pg_url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        asyncio.run(
            run(args.shoppers, args.seconds, f"http://127.0.0.1:{port}", f"{pg_url}/{name}")
        )
    finally:
        stop_localstripe(process)
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
