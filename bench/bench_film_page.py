"""Benchmark (issue 14): the film page against a static file, at 1 and at 10 clients.

Loads the demo data into a temporary SQLite database (or the EMPTY database given with
--database-url), starts ONE uvicorn worker, and measures, in the same run and alternating in
rounds, GETs of the busiest film page and of /static/site.css with 1 and with 10 concurrent
keep-alive clients. The client sends no If-None-Match (no 304s): the film page is served
from the content-version page cache (storefront.page_cache) after one statement, or rendered
when the version moved. Prints req/s of each, and the film page's share of the static
file's throughput; the target is 25 %. The same page rendered on every request (a day it
does not show, so never cached) is measured beside it for comparison. No assertion: the
figures are printed as measured.

    .venv/bin/python bench/bench_film_page.py [--requests 600] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from bench_storefront import measure, prepare, start_server  # noqa: E402

from tiein.localstripe import free_port  # noqa: E402

TARGET = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per path, round and level")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--orders", type=int, default=50, help="demo orders to load")
    parser.add_argument("--database-url", default="", help="an EMPTY database to load into")
    args = parser.parse_args()
    args.requests = max(10, min(args.requests, 5000))  # bounded

    rates: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tiein-bench-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        slug = asyncio.run(prepare(url, args.orders))
        port = free_port()
        server = start_server(url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            paths = {
                "film page": f"/films/{slug}",
                # a day the page does not show: the same page, rendered and never cached
                "film page, rendered": f"/films/{slug}?day=2099-01-01",
                "static file": "/static/site.css",
            }
            for clients in (1, 10):
                args.concurrency = clients
                results = asyncio.run(measure(base, paths, args))
                rates[clients] = {
                    name: len(data["latencies"]) / data["seconds"]  # type: ignore[arg-type]
                    for name, data in results.items()
                }
        finally:
            server.terminate()
            server.wait(timeout=10)

    backend = url.split(":", 1)[0]
    print(f"film page vs static file: one uvicorn worker, {backend}, film /films/{slug},")
    print(f"  {args.requests * args.rounds} requests per path and level, no If-None-Match")
    print(f"{'clients':>8}{'film req/s':>12}{'static req/s':>14}{'film/static':>13}")
    for clients, rate in rates.items():
        share = rate["film page"] / rate["static file"]
        verdict = "met" if share >= TARGET else "below target"
        print(
            f"{clients:>8}{rate['film page']:>12.1f}{rate['static file']:>14.1f}"
            f"{share:>12.0%}  ({verdict}: target {TARGET:.0%})"
        )
    print("the same page rendered every time (its cache bypassed), for comparison:")
    for clients, rate in rates.items():
        share = rate["film page, rendered"] / rate["static file"]
        print(f"{clients:>8}{rate['film page, rendered']:>12.1f}{'':>14}{share:>12.0%}")


if __name__ == "__main__":
    main()
