"""Benchmark: the film page against a static file, served by the same uvicorn worker.

Loads the demo data set into a temporary SQLite database (or the empty database given with
--database-url), starts `uvicorn tiein.app:create_app` with ONE worker on a loopback port,
and sends a bounded number of GET requests, with a few concurrent connections, to a film
page and to /static/site.css, alternating the two in rounds so that both see the same
machine. Prints requests/s, p50 and p95 latency of each, and the ratio static / film page:
how many static files the server serves in the time of one film page (rendering, about ten
SQL statements, bundle availability and the sellable rule).

    .venv/bin/python bench/bench_storefront.py [--requests 400] [--concurrency 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from uvicorn_server import start_uvicorn  # noqa: E402

from catalog.models import Film, Showtime  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from tiein.demo import load_demo  # noqa: E402
from tiein.localstripe import free_port  # noqa: E402
from tiein.models import load_all_models  # noqa: E402


async def prepare(url: str, orders: int) -> str:
    """Schema and demo data; returns the slug of the film with the most upcoming showtimes."""
    load_all_models()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await load_demo(db, orders=orders, progress=False)
    now = datetime.now(UTC)
    async with db.read_session() as s:
        slug = await s.scalar(
            select(Film.slug)
            .join(Showtime, Showtime.film_id == Film.id)
            .where(Showtime.starts_at > now, Showtime.starts_at < now + timedelta(days=14))
            .group_by(Film.slug)
            .order_by(func.count(Showtime.id).desc(), Film.slug)
            .limit(1)
        )
    await db.dispose()
    if slug is None:
        raise SystemExit("the demo data has no film with upcoming showtimes")
    return slug


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {"TIEIN_DATABASE_URL": url, "TIEIN_ALLOWED_HOSTS": "127.0.0.1",
           "STRIPE_SECRET_KEY": "", "STRIPE_API_BASE": ""}  # fmt: skip
    return start_uvicorn("tiein.app:create_app", port, env)


async def hammer(base: str, path: str, requests: int, concurrency: int) -> list[float]:
    """`requests` GETs of `path` over `concurrency` keep-alive connections; the latencies."""
    latencies: list[float] = []
    share, extra = divmod(requests, concurrency)
    per_worker = [share + (i < extra) for i in range(concurrency)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"GET {path} answered {response.status_code}")

        await asyncio.gather(*(worker(n) for n in per_worker))
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(base: str, paths: dict[str, str], args: argparse.Namespace) -> dict:
    for path in paths.values():  # warm-up: imports, template compilation, connections
        await hammer(base, path, 2 * args.concurrency, args.concurrency)
    results: dict[str, dict[str, list[float] | float]] = {
        name: {"latencies": [], "seconds": 0.0} for name in paths
    }
    for _ in range(args.rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            latencies = await hammer(base, path, args.requests, args.concurrency)
            results[name]["seconds"] += time.perf_counter() - started  # type: ignore[operator]
            results[name]["latencies"] += latencies  # type: ignore[operator]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per path and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--orders", type=int, default=100, help="demo orders to load")
    parser.add_argument("--database-url", default="", help="an EMPTY database to load into")
    args = parser.parse_args()
    args.requests = max(args.concurrency, min(args.requests, 5000))  # bounded

    with tempfile.TemporaryDirectory(prefix="tiein-bench-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        slug = asyncio.run(prepare(url, args.orders))
        port = free_port()
        server = start_server(url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            paths = {"film page": f"/films/{slug}", "static file": "/static/site.css"}
            results = asyncio.run(measure(base, paths, args))
        finally:
            server.terminate()
            server.wait(timeout=10)

    backend = url.split(":", 1)[0]
    total = args.requests * args.rounds
    print(f"storefront: one uvicorn worker, {backend}, {total} requests per path,")
    print(f"            {args.concurrency} concurrent connections, loopback, film /films/{slug}")
    print(f"{'path':<14}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}")
    rates = {}
    for name, data in results.items():
        latencies = data["latencies"]
        rates[name] = len(latencies) / data["seconds"]
        p50, p95 = statistics.median(latencies) * 1000, percentile(latencies, 0.95) * 1000
        print(f"{name:<14}{rates[name]:>10.1f}{p50:>10.1f}{p95:>10.1f}")
    ratio = rates["static file"] / rates["film page"]
    print(f"ratio static/film page: {ratio:.1f}x (film page at {100 / ratio:.0f}% of static)")


if __name__ == "__main__":
    main()
