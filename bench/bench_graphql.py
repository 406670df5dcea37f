"""Benchmark: GraphQL queries against their floors, served by the same uvicorn worker.

Seeds a temporary SQLite database (50 films, each with 20 licensed products of 5 merchants,
showtimes and bundle offers; or the EMPTY database given with --database-url), starts
uvicorn with ONE worker on a loopback port serving tiein plus two extra routes that fetch
the same data with plain SQL and serialize it with orjson (no GraphQL, no ORM objects):

- catalog, as staff (token lookup included) and as the public, against /floor:
    films(first: 50) { … products(first: 20) { price merchant agreement stock }
                       showtimes(first: 10) bundleOffers(first: 10) … }
  target ≤ 4x the floor;
- products, anonymous, against /floor/products (the same JSON, checked), at 1 and at 10
  concurrent clients:
    products(first: 100) { nodes { id sku name price film { id slug title }
                                   merchant { id name } } }
  target ≤ 3x its floor.

Prints requests/s, p50/p95 latency, the ratio to the floor of the same run and the SQL
statements of one query. The machine's other work makes absolute figures noisy; the ratios
are measured side by side, in rounds that alternate the variants.

    .venv/bin/python bench/bench_graphql.py [--requests 200] [--concurrency 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from graphql_relay import to_global_id

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402
from uvicorn_server import start_uvicorn  # noqa: E402

from catalog.models import Product  # noqa: E402
from graphql_schema.visibility import visible_products  # noqa: E402
from kernel.db import Base, Database  # noqa: E402
from kernel.money import format_amount  # noqa: E402
from licensing.accounts import PUBLIC  # noqa: E402
from tests.factory import (  # noqa: E402
    make_agreement,
    make_api_token,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
    make_staff_user,
)
from tiein.localstripe import free_port  # noqa: E402
from tiein.models import load_all_models  # noqa: E402

FILMS, MERCHANTS, PRODUCTS_PER_FILM = 50, 5, 20

QUERY = """query Catalog { films(first: 50) { nodes { id slug title releaseDate
  products(first: 20) { nodes { id sku name price { amount currency } stock
    merchant { id name } agreement { id code } } }
  showtimes(first: 10) { nodes { id startsAt price { amount currency } } }
  bundleOffers(first: 10) { nodes { id code name price { amount currency } } } } } }"""

PRODUCTS = """query Products { products(first: 100) { nodes { id sku name
  price { amount currency } film { id slug title } merchant { id name } } } }"""


async def seed(url: str) -> str:
    """The data set; returns a staff token."""
    load_all_models()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    now = datetime.now(UTC)
    async with db.session() as s:
        staff = await make_staff_user(s, username="bench", display_name="Bench")
        cinema = await make_cinema(s, name="Rex", city="Austin")
        films = []
        for i in range(FILMS):
            film = await make_film(s, slug=f"film-{i:02d}", title=f"Film {i}", runtime_minutes=100,
                                   release_date=date(2025, 1, 1) + timedelta(days=i))  # fmt: skip
            films.append(film)
        agreements = []
        for m in range(MERCHANTS):
            merchant = await make_merchant(s, slug=f"m-{m}", name=f"Merchant {m}",
                                           contact_email=f"m{m}@example.com")  # fmt: skip
            agreement = await make_agreement(
                s, merchant_id=merchant.id, film_ids=[f.id for f in films], code=f"LA-B-{m}",
                categories=["apparel"], channels=["storefront"], territories=["US"],
                start_date=date(2024, 1, 1), end_date=date(2099, 1, 1),
            )  # fmt: skip
            agreements.append(agreement)
        for film in films:
            products = []
            for p in range(PRODUCTS_PER_FILM):
                product = await make_product(s, agreements[p % MERCHANTS], film.id,
                                             sku=f"{film.slug}-{p}", name=f"Tee {p}",
                                             price_minor=1999 + p, stock=50)  # fmt: skip
                products.append(product)
            for k in range(3):
                await make_showtime(s, film_id=film.id, cinema_id=cinema.id, price_minor=1400,
                                    starts_at=now + timedelta(days=1 + k))  # fmt: skip
            for k in range(2):
                await make_bundle(s, code=f"{film.slug}-b{k}", film_id=film.id,
                                  name="Ticket + tee", price_minor=3000,
                                  valid_from=now - timedelta(days=1),
                                  valid_to=now + timedelta(days=30),
                                  components=[(products[k].id, 1)])  # fmt: skip
        _, secret = await make_api_token(s, staff_user=staff, name="bench")
    await db.dispose()
    return secret


def _windowed(table: str, columns: str, order: str, limit: int, ids: list[int]) -> Any:
    return text(
        f"SELECT * FROM (SELECT {columns}, row_number() OVER (PARTITION BY film_id "
        f"ORDER BY {order}) AS rn FROM {table} WHERE film_id IN ({','.join(map(str, ids))})) "
        f"AS w WHERE rn <= {limit}"
    )


def _money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": format_amount(minor, currency), "currency": currency}


async def floor(request: Request) -> Response:
    """The same data as QUERY with plain SQL and orjson: the floor GraphQL is compared to."""
    async with request.app.state.db.read_session() as s:
        films = (await s.execute(text(
            "SELECT id, slug, title, release_date FROM films "
            "ORDER BY release_date DESC, id DESC LIMIT 50"))).all()  # fmt: skip
        ids = [f.id for f in films] or [0]
        products = (await s.execute(_windowed(
            "products", "id, film_id, sku, name, price_minor, currency, stock, merchant_id, "
            "agreement_id", "id", 20, ids))).all()  # fmt: skip
        merchant_ids = ",".join(str(i) for i in {p.merchant_id for p in products}) or "0"
        agreement_ids = ",".join(str(i) for i in {p.agreement_id for p in products}) or "0"
        merchants = dict(
            (
                await s.execute(
                    text(f"SELECT id, name FROM merchants WHERE id IN ({merchant_ids})")
                )
            ).all()
        )
        agreements = dict(
            (
                await s.execute(
                    text(f"SELECT id, code FROM agreements WHERE id IN ({agreement_ids})")
                )
            ).all()
        )
        showtimes = (await s.execute(_windowed(
            "showtimes", "id, film_id, starts_at, price_minor, currency", "starts_at, id", 10,
            ids))).all()  # fmt: skip
        offers = (await s.execute(_windowed(
            "bundle_offers", "id, film_id, code, name, price_minor, currency", "valid_from, id",
            10, ids))).all()  # fmt: skip
    by_film: dict[int, dict[str, list[Any]]] = {
        f.id: {"products": [], "showtimes": [], "bundleOffers": []} for f in films
    }
    for p in products:
        by_film[p.film_id]["products"].append({
            "id": p.id, "sku": p.sku, "name": p.name, "price": _money(p.price_minor, p.currency),
            "stock": p.stock, "merchant": {"id": p.merchant_id, "name": merchants[p.merchant_id]},
            "agreement": {"id": p.agreement_id, "code": agreements[p.agreement_id]},
        })  # fmt: skip
    for st in showtimes:
        by_film[st.film_id]["showtimes"].append(
            {
                "id": st.id,
                "startsAt": str(st.starts_at),
                "price": _money(st.price_minor, st.currency),
            }
        )
    for o in offers:
        by_film[o.film_id]["bundleOffers"].append(
            {"id": o.id, "code": o.code, "name": o.name, "price": _money(o.price_minor, o.currency)}
        )
    body = {"data": {"films": {"nodes": [
        {"id": f.id, "slug": f.slug, "title": f.title, "releaseDate": str(f.release_date),
         "products": {"nodes": by_film[f.id]["products"]},
         "showtimes": {"nodes": by_film[f.id]["showtimes"]},
         "bundleOffers": {"nodes": by_film[f.id]["bundleOffers"]}}
        for f in films
    ]}}}  # fmt: skip
    return Response(orjson.dumps(body), media_type="application/json")


async def floor_products(request: Request) -> Response:
    """The same JSON as PRODUCTS with plain SQL and orjson: the products the public may see
    (the sellable rule's SQL, as the API applies it), then their films and merchants."""
    now = datetime.now(UTC)
    columns = (Product.id, Product.sku, Product.name, Product.price_minor, Product.currency,
               Product.film_id, Product.merchant_id)  # fmt: skip
    visible = visible_products(PUBLIC, now).with_only_columns(*columns)
    async with request.app.state.db.read_session() as s:
        products = (await s.execute(visible.order_by(Product.id).limit(100))).all()
        film_ids = ",".join(str(i) for i in {p.film_id for p in products}) or "0"
        merchant_ids = ",".join(str(i) for i in {p.merchant_id for p in products}) or "0"
        films = {
            f.id: f
            for f in await s.execute(
                text(f"SELECT id, slug, title FROM films WHERE id IN ({film_ids})")
            )
        }
        merchants = {
            m.id: m
            for m in await s.execute(
                text(f"SELECT id, name FROM merchants WHERE id IN ({merchant_ids})")
            )
        }
    nodes = []
    for p in products:
        film, merchant = films[p.film_id], merchants[p.merchant_id]
        nodes.append({
            "id": to_global_id("Product", p.id), "sku": p.sku, "name": p.name,
            "price": _money(p.price_minor, p.currency),
            "film": {"id": to_global_id("Film", film.id), "slug": film.slug, "title": film.title},
            "merchant": {"id": to_global_id("Merchant", merchant.id), "name": merchant.name},
        })  # fmt: skip
    return Response(orjson.dumps({"data": {"products": {"nodes": nodes}}}),
                    media_type="application/json")  # fmt: skip


def bench_app() -> Any:
    """tiein plus the /floor route, for uvicorn --factory."""
    from tiein.app import create_app

    app = create_app()
    app.router.routes.append(Route("/floor", floor))
    app.router.routes.append(Route("/floor/products", floor_products))
    return app


async def count_statements(url: str, query: str, token: str | None) -> tuple[int, int]:
    """(SQL statements, transactions begun) of one query, in-process."""
    from kernel.config import load_settings
    from tiein.app import create_app

    db = Database(url)
    app = create_app(load_settings({"TIEIN_DATABASE_URL": url}), database=db)
    statements: list[str] = []
    begun: list[Any] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}:
            statements.append(statement)

    def begin(conn: Any) -> None:
        begun.append(conn)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.post("/graphql", json={"query": query}, headers=headers)  # warm-up
        event.listen(db.engine.sync_engine, "before_cursor_execute", before)
        event.listen(db.engine.sync_engine, "begin", begin)
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)
        event.remove(db.engine.sync_engine, "begin", begin)
    body = response.json()
    if "errors" in body:
        raise SystemExit(f"the query failed: {body['errors']}")
    await db.dispose()
    return len(statements), len(begun)


async def same_answer(base: str) -> None:
    """The products floor answers exactly what GraphQL answers, or the ratio means nothing."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        graphql = (await client.post("/graphql", json={"query": PRODUCTS})).json()
        floor = (await client.get("/floor/products")).json()
    if graphql.get("data") != floor["data"] or len(floor["data"]["products"]["nodes"]) != 100:
        raise SystemExit("/floor/products does not answer what products(first: 100) does")


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    # the cost budget is off: the benchmark sends one token's queries as fast as it can
    env = {"TIEIN_DATABASE_URL": url, "TIEIN_ALLOWED_HOSTS": "127.0.0.1",
           "TIEIN_GRAPHQL_BUDGET": "0",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}  # fmt: skip
    return start_uvicorn("bench_graphql:bench_app", port, env)


async def hammer(base: str, request: dict[str, Any], count: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    share, extra = divmod(count, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker(n: int) -> None:
            for _ in range(n):
                started = time.perf_counter()
                response = await client.request(**request)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or b'"errors"' in response.content[:20]:
                    raise SystemExit(f"{request['url']} answered {response.status_code}")

        await asyncio.gather(*(worker(share + (i < extra)) for i in range(concurrency)))
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(
    base: str, requests: dict[str, dict[str, Any]], count: int, concurrency: int, rounds: int
) -> dict:
    for request in requests.values():  # warm-up
        await hammer(base, request, 2 * concurrency, concurrency)
    results = {name: {"latencies": [], "seconds": 0.0} for name in requests}
    for _ in range(rounds):  # the variants alternate, so that they share the machine's mood
        for name, request in requests.items():
            started = time.perf_counter()
            results[name]["latencies"] += await hammer(  # type: ignore[operator]
                base, request, count, concurrency
            )
            results[name]["seconds"] += time.perf_counter() - started  # type: ignore[operator]
    return results


def report(title: str, results: dict, target: float) -> list[float]:
    """Print one table (the first variant is the floor); return the ratios to the floor."""
    print(title)
    print(f"{'variant':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'x floor':>9}")
    floor_rate = 0.0
    ratios = []
    for name, data in results.items():
        latencies = data["latencies"]
        rate = len(latencies) / data["seconds"]
        floor_rate = floor_rate or rate
        p50, p95 = statistics.median(latencies) * 1000, percentile(latencies, 0.95) * 1000
        ratios.append(floor_rate / rate)
        print(f"{name:<24}{rate:>9.1f}{p50:>9.1f}{p95:>9.1f}{floor_rate / rate:>9.2f}")
    verdict = "met" if max(ratios) <= target else "NOT met"
    print(f"target: graphql <= {target:g}x the floor: {verdict}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per variant and round")
    parser.add_argument("--concurrency", type=int, default=4, help="for the catalog case")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="", help="an EMPTY database to seed")
    args = parser.parse_args()
    args.requests = max(10, min(args.requests, 5000))

    with tempfile.TemporaryDirectory(prefix="tiein-bench-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        token = asyncio.run(seed(url))
        counts = {
            "catalog, staff": asyncio.run(count_statements(url, QUERY, token)),
            "catalog, public": asyncio.run(count_statements(url, QUERY, None)),
            "products, public": asyncio.run(count_statements(url, PRODUCTS, None)),
        }
        port = free_port()
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(same_answer(base))
            gql = {"method": "POST", "url": "/graphql", "json": {"query": QUERY}}
            catalog = asyncio.run(measure(base, {
                "floor (SQL+orjson)": {"method": "GET", "url": "/floor"},
                "graphql staff": {**gql, "headers": {"Authorization": f"Bearer {token}"}},
                "graphql public": gql,
            }, args.requests, args.concurrency, args.rounds))  # fmt: skip
            products = {}
            for clients in (1, 10):
                products[clients] = asyncio.run(measure(base, {
                    "floor (SQL+orjson)": {"method": "GET", "url": "/floor/products"},
                    "graphql public": {"method": "POST", "url": "/graphql",
                                       "json": {"query": PRODUCTS}},
                }, args.requests, clients, args.rounds))  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=10)

    backend = url.split(":", 1)[0]
    print(f"graphql: one uvicorn worker, {backend}, {FILMS} films x {PRODUCTS_PER_FILM} "
          f"products, {args.requests * args.rounds} requests per variant")  # fmt: skip
    report(f"catalog, {args.concurrency} connections", catalog, 4)
    for clients, results in products.items():
        report(f"products(first: 100) with film and merchant, anonymous, {clients} "
               f"connection{'s' if clients > 1 else ''}", results, 3)  # fmt: skip
    print("SQL statements (transactions) per query: " + ", ".join(
        f"{name} {n} ({t})" for name, (n, t) in counts.items()
    ) + "; staff includes the token lookup (target <= 10 for the catalog)")  # fmt: skip


if __name__ == "__main__":
    main()
