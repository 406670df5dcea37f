"""Benchmark: `tiein serve --workers 1` against `--workers 2`.

Loads the demo data set into a temporary SQLite database (or uses the database given with
--database-url, which must already hold data), then for each worker count starts
`tiein serve --workers N --no-localstripe --no-jobs` on a loopback port and drives it with
10 keep-alive clients from a SEPARATE process (wrk when installed, otherwise an httpx
client in a child Python process), for a fixed time each:

- a static file, /static/site.css;
- the public GraphQL query `products(first: 100) { nodes { sku name price { amount
  currency } inStock } }`.

Worker counts alternate over --rounds rounds and the best round of each is kept. Prints
requests/s, p50 and p99 latency for each, and the ratios 2 workers / 1 worker. Targets:
2 workers >= 1.6x one worker, and the static file's p50 under 5 ms. On a machine with two
cores the load generator competes with the workers for CPU, so the ratio is a floor.

    .venv/bin/python bench/bench_workers.py [--seconds 5] [--clients 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from uvicorn_server import start_serve  # noqa: E402

from kernel.db import Base, Database  # noqa: E402
from tiein.demo import load_demo  # noqa: E402
from tiein.localstripe import free_port  # noqa: E402
from tiein.models import load_all_models  # noqa: E402

STATIC = "/static/site.css"
GRAPHQL = "/graphql"
QUERY = "{ products(first: 100) { nodes { sku name price { amount currency } inStock } } }"
WRK_POST = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""


async def prepare(url: str, orders: int) -> None:
    load_all_models()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await load_demo(db, orders=orders, progress=False)
    await db.dispose()


def _ms(text: str) -> float:
    """wrk's latency ("812.00us", "4.18ms", "1.02s", "1.05m") in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise SystemExit(f"cannot read wrk's latency {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, body: str | None, clients: int, seconds: float) -> dict[str, float]:
    """wrk with one thread (a second would take a core from the server)."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None:
            script.write(WRK_POST.format(body=json.dumps(body)))
            command[1:1] = ["-s", script.name]
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"requests failed:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1)),  # type: ignore[union-attr]
    }


async def _httpx_load(url: str, body: str | None, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if body is None:
                    response = await client.get(url)
                else:
                    response = await client.post(
                        url, content=body, headers={"content-type": "application/json"}
                    )
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def run_httpx(url: str, body: str | None, clients: int, seconds: float) -> dict[str, float]:
    """The fallback load generator, in a child process so it has a core of its own."""
    args = [sys.executable, __file__, "--load", url, "--clients", str(clients)]
    args += ["--seconds", str(seconds)] + (["--body", body] if body is not None else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(workers: int, env: dict[str, str], args: argparse.Namespace) -> dict[str, dict]:
    port = free_port()
    process = start_serve(port, env, "--workers", str(workers), "--no-localstripe", "--no-jobs")
    load = run_wrk if shutil.which("wrk") else run_httpx
    body = json.dumps({"query": QUERY})
    base = f"http://127.0.0.1:{port}"
    try:
        check = httpx.post(f"{base}{GRAPHQL}", json={"query": QUERY}, timeout=30).json()
        count = len(check["data"]["products"]["nodes"])
        load(f"{base}{STATIC}", None, args.clients, 1)  # warm-up: imports, caches, pools
        load(f"{base}{GRAPHQL}", body, args.clients, 1)
        figures = {
            "static": load(f"{base}{STATIC}", None, args.clients, args.seconds),
            "graphql": {**load(f"{base}{GRAPHQL}", body, args.clients, args.seconds), "n": count},
        }
        after = httpx.post(f"{base}{GRAPHQL}", json={"query": QUERY}, timeout=30).json()
        if "errors" in after:  # the load was answered with refusals: the figures mean nothing
            raise SystemExit(f"GraphQL refused the query under load: {after['errors']}")
        return figures
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent connections (10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of 1 and 2 (2)")
    parser.add_argument("--orders", type=int, default=100, help="demo orders to load (100)")
    parser.add_argument("--database-url", help="a database already holding data")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the httpx load child
    parser.add_argument("--body", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        figures = asyncio.run(_httpx_load(args.load, args.body, args.clients, args.seconds))
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        if not args.database_url:
            asyncio.run(prepare(url, args.orders))
        env = {
            "TIEIN_DATABASE_URL": url,
            "TIEIN_ALLOWED_HOSTS": "127.0.0.1",
            "STRIPE_SECRET_KEY": "",
            "STRIPE_API_BASE": "",
            # Ten clients on one address sending one query back to back would soon be
            # THROTTLED (fast refusals, not served queries): this measures serving.
            "TIEIN_GRAPHQL_BUDGET": "0",
        }
        best: dict[int, dict[str, dict]] = {}
        for _ in range(args.rounds):
            for workers in (1, 2):
                result = measure(workers, env, args)
                for target, figures in result.items():
                    kept = best.setdefault(workers, {}).get(target)
                    if kept is None or figures["rps"] > kept["rps"]:
                        best[workers][target] = figures

    generator = "wrk -t1" if shutil.which("wrk") else "httpx (child process)"
    print(f"{args.clients} clients, {args.seconds:g} s each, best of {args.rounds}, {generator}")
    products = best[1]["graphql"]["n"]
    names = {"static": STATIC, "graphql": f"GraphQL products(first: 100) -> {products}"}
    print(f"{'target':<42} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for target, name in names.items():
        for workers in (1, 2):
            f = best[workers][target]
            print(f"{name:<42} {workers:>7} {f['rps']:>9.0f} {f['p50']:>8.2f} {f['p99']:>8.2f}")
    for target, name in names.items():
        ratio = best[2][target]["rps"] / best[1][target]["rps"]
        verdict = "meets" if ratio >= 1.6 else "misses"
        print(f"2 workers / 1 worker, {name}: {ratio:.2f}x ({verdict} the 1.6x target)")
    p50 = best[2]["static"]["p50"]
    verdict = "meets" if p50 < 5 else "misses"
    print(f"static file p50 with 2 workers: {p50:.2f} ms ({verdict} the 5 ms target)")


if __name__ == "__main__":
    main()
