"""Benchmark: checkout throughput — orders placed and paid per second — on PostgreSQL against
localstripe, with 20 concurrent shoppers, and the p50/p95 latency of one checkout.

One checkout = `place_order` (re-check, reserve stock and a seat, create the order and its
PaymentIntent) in one transaction, then `confirm_payment` with pm_card_visa (Stripe confirms,
the order is fulfilled: tickets issued, ledger posted) in a second one — what the checkout
and pay pages do. Shoppers buy a T-shirt and a ticket; stock is ample, so every checkout pays.

Needs PostgreSQL on 127.0.0.1:5432 (users postgres or root, trust auth; TIEIN_BENCH_PG_URL
overrides). A temporary database is created and dropped; localstripe runs on a free port.

    .venv/bin/python bench/bench_checkout.py [--shoppers 20] [--seconds 15]
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


async def seed(db: Database, now: datetime) -> Cart:
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
        shirt = Product(
            sku="BENCH-TEE", name="Bench tee", category=Category.APPAREL, price_minor=2500,
            currency="USD", stock=1_000_000, approval_stage=ApprovalStage.APPROVED,
            merchant_id=merchant.id, agreement_id=agreement.id, film_id=film.id,
        )  # fmt: skip
        showtime = Showtime(
            film_id=film.id, cinema_id=cinema.id, starts_at=now + timedelta(days=2),
            capacity=1_000_000, price_minor=1200, currency="USD",
        )  # fmt: skip
        s.add_all([shirt, showtime])
        await s.flush()
        return Cart().with_item(CartItem.product(shirt.sku)).with_item(CartItem.ticket(showtime.id))


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


async def run(shoppers: int, seconds: float, api_base: str, pg_url: str) -> None:
    db = Database(pg_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    cart = await seed(db, now_utc())
    gateway = StripeGateway(Settings(stripe_secret_key=TEST_SECRET_KEY, stripe_api_base=api_base))
    latencies: list[float] = []
    failures = 0
    try:
        for _ in range(5):  # warm up connections and caches
            await one_checkout(db, cart, gateway)
        deadline = time.perf_counter() + seconds

        async def shopper() -> None:
            nonlocal failures
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
        await asyncio.gather(*(shopper() for _ in range(shoppers)))
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    finally:
        await gateway.close()
        await db.dispose()

    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000
    print(f"checkout on PostgreSQL against localstripe, {shoppers} concurrent shoppers:")
    print(f"  orders placed and paid: {len(latencies)} in {elapsed:.1f} s ({failures} failed)")
    print(f"  throughput: {len(latencies) / elapsed:.1f} orders/s")
    print(f"  latency per checkout: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(f"  app CPU per checkout: {cpu / max(1, len(latencies)) * 1000:.0f} ms (one process)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
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
