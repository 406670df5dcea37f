"""Benchmark: 10,000 merchant webhook deliveries through the outbox, drained by 2 workers.

A producer queues `--events` events (one subscription each, so one delivery each) in
transactions of `--batch`, while two workers run `kernel.drainer.drain` with
`messaging.webhooks.webhook_handlers` against a real HTTP receiver on a loopback port (each
worker its own drain loop in this process, running `--concurrency` deliveries at once over
kept connections, as `tiein worker --concurrency N` does; `--concurrency 1 --no-keepalive`
is how it ran before). Prints:

- deliveries/s, from the first commit to the last delivery received;
- p50 / p95 / max lag from the commit of an event's transaction to its arrival;
- CPU time per delivery (all threads, and the event loop's alone): comparable when the
  machine is busy, unlike the rates;
- duplicates by event id (must be 0: each message is claimed by one worker) and the count
  received (must be all of them).

SQLite (a temporary file) by default; PostgreSQL with TIEIN_BENCH_PG_URL (an admin DSN such
as postgresql://postgres@127.0.0.1:5432/postgres: a temporary database is made and dropped).

    .venv/bin/python bench/bench_outbox.py [--events 10000] [--batch 100] [--workers 2]
        [--concurrency 8] [--no-keepalive]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kernel.clock import now_utc  # noqa: E402
from kernel.config import Settings  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from kernel.drainer import drain  # noqa: E402
from licensing.webhooks import create_subscription, queue_event  # noqa: E402
from messaging.webhooks import WebhookClients, webhook_handlers  # noqa: E402
from tests.factory.builders import make_merchant  # noqa: E402
from tests.messaging.receiver import Receiver  # noqa: E402
from tiein.models import load_all_models  # noqa: E402

KEY = "bench-secret-key"


async def make_schema(url: str) -> Database:
    load_all_models()
    pool = int(os.environ.get("BENCH_POOL", "0"))
    db = Database(url, pool_size=pool) if pool else Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return db


async def produce(db: Database, merchant_id: int, events: int, batch: int) -> dict[str, float]:
    """Queue `events` events, `batch` per transaction; the commit time of each event id."""
    committed: dict[str, float] = {}
    for start in range(0, events, batch):
        ids = []
        async with db.session() as session:
            for n in range(start, min(start + batch, events)):
                event_id = await queue_event(
                    session, merchant_id=merchant_id, event="stock.low", data={"n": n},
                    now=now_utc(),
                )  # fmt: skip
                ids.append(event_id)
        at = time.time()
        committed.update((event_id, at) for event_id in ids if event_id)
        await asyncio.sleep(0)  # let the workers in
    return committed


async def work(
    db: Database, settings: Settings, name: str, stop: asyncio.Event, options: argparse.Namespace
) -> int:
    clients = None if options.no_keepalive else WebhookClients()
    handlers = webhook_handlers(db, settings, clients=clients)
    done = 0
    try:
        while not stop.is_set():
            outcomes = await drain(
                db, handlers, worker_id=name, batch=20, concurrency=options.concurrency, stop=stop
            )
            done += sum(outcomes.values())
            if not outcomes:
                await asyncio.sleep(0.01)
    finally:
        if clients is not None:
            await clients.aclose()
    return done


async def bench(url: str, options: argparse.Namespace) -> None:
    events, batch, workers = options.events, options.batch, options.workers
    db = await make_schema(url)
    receiver = Receiver()
    await receiver.start()
    settings = replace(Settings(database_url=url, secret_key=KEY), webhook_allow_private=True)
    async with db.session() as session:
        merchant = await make_merchant(session, slug="bench")
        await create_subscription(
            session, merchant_id=merchant.id, url=receiver.url, events=["stock.low"], key=KEY,
            now=now_utc(), allow_private=True,
        )  # fmt: skip
        merchant_id = merchant.id
    stop = asyncio.Event()
    started = time.time()
    cpu, loop_cpu = time.process_time(), time.thread_time()
    tasks = [
        asyncio.create_task(work(db, settings, f"w{i + 1}", stop, options)) for i in range(workers)
    ]
    committed = await produce(db, merchant_id, events, batch)
    seen: set[str] = set()
    read = 0
    while len(seen) < len(committed):  # counted as they come: a scan of all each time is O(n²)
        seen.update(r.headers["tiein-event-id"] for r in receiver.got[read:])
        read = len(receiver.got)
        if time.time() - started > 900:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a late duplicate would show up here
    stop.set()
    per_worker = await asyncio.gather(*tasks)
    cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
    await receiver.stop()
    await db.dispose()

    first_arrival: dict[str, float] = {}
    counts = Counter(r.headers["tiein-event-id"] for r in receiver.got)
    for r in receiver.got:
        first_arrival.setdefault(r.headers["tiein-event-id"], r.at)
    lags = sorted(first_arrival[e] - committed[e] for e in first_arrival if e in committed)
    span = max(first_arrival.values()) - min(committed.values())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    p95 = lags[int(0.95 * (len(lags) - 1))]
    print(
        f"backend: {url.split(':', 1)[0]}, workers: {workers}, events: {events}, "
        f"concurrency: {options.concurrency}, keep-alive: {not options.no_keepalive}"
    )
    print(f"  received: {len(first_arrival)} of {len(committed)}; per worker: {per_worker}")
    print(f"  deliveries/s: {len(first_arrival) / span:,.0f}  ({span:.1f} s)")
    print(
        f"  lag commit → delivery: p50 {statistics.median(lags) * 1000:,.0f} ms, "
        f"p95 {p95 * 1000:,.0f} ms, max {lags[-1] * 1000:,.0f} ms"
    )
    print(
        f"  CPU per delivery (producer and receiver included): {cpu / len(committed) * 1000:.1f}"
        f" ms, {loop_cpu / len(committed) * 1000:.1f} ms of it on the event loop's thread"
    )
    print(f"  duplicates by event id: {duplicates}")
    if duplicates or len(first_arrival) != len(committed):
        raise SystemExit("FAILED: duplicates or missing deliveries")


async def with_postgres(admin: str, run: object) -> None:
    name = f"tiein_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        await run(f"{url}/{name}")  # type: ignore[operator]
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="deliveries at once per worker")
    parser.add_argument("--no-keepalive", action="store_true", help="a connection per delivery")
    args = parser.parse_args()

    async def run(url: str) -> None:
        await bench(url, args)

    admin = os.environ.get("TIEIN_BENCH_PG_URL", "")
    if admin:
        asyncio.run(with_postgres(admin, run))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db"))


if __name__ == "__main__":
    main()
