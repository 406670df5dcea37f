"""Benchmark: statements and the royalty report of one period over a big ledger.

1,000,000 ledger entries across 200 agreements (a year of 2026, four quarters), generated in
bulk inside the database (one INSERT ... SELECT over a number series; the reference rows go
in by executemany / COPY), then, for 2026-Q3:
- `statements_for_period` (every agreement's statement) and
- `royalty_report` grouped by film, merchant, territory and channel,
timed on SQLite (a temporary file) and on PostgreSQL (a database of its own at
127.0.0.1:5432, user postgres, dropped afterwards), each first with no period closed (the
statements aggregate every entry up to Q3) and then with Q1 and Q2 closed (they read the
frozen cumulative figures and aggregate Q3 alone). Peak memory is Python's allocation peak
(tracemalloc) during a separate measured run, plus the process's maximum resident size.
Targets: <= 2 s on PostgreSQL, <= 5 s on SQLite, <= 300 MB.

    .venv/bin/python bench/bench_statements.py [--entries 1000000] [--agreements 200]
                                                [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kernel.db import Base, Database
from licensing.closing import close_period
from licensing.models import ROYALTY_SCALE
from licensing.statements import statements_for_period
from reports.royalty import royalty_report
from tiein.models import load_all_models

PERIOD = "2026-Q3"
GROUPS = ["film", "merchant", "territory", "channel"]
FILMS, MERCHANTS, PRODUCTS_PER_AGREEMENT = 40, 50, 5
TERRITORIES = ["US", "GB", "JP", "FR", "DE", "CA", "AU", "KR"]
CHANNELS = ["storefront", "bundle", "licensee_retail"]
CREATED = datetime(2026, 12, 31, tzinfo=UTC)
TARGET_SECONDS = {"sqlite": 5.0, "postgresql": 2.0}
TARGET_MB = 300


def reference_rows(agreements: int) -> dict[str, list[tuple]]:
    """Films, merchants, agreements (+ their sets), products."""
    films = [
        (i, f"film-{i}", f"Film {i}", "", "", date(2026, 1, 1), 100, "", "")
        for i in range(1, FILMS + 1)
    ]
    merchants = [
        (i, f"merchant-{i}", f"Merchant {i}", "US", f"m{i}@x.io", CREATED)
        for i in range(1, MERCHANTS + 1)
    ]
    agreement_rows, products, links = [], [], []
    for a in range(1, agreements + 1):
        currency = "JPY" if a % 10 == 0 else "USD"
        agreement_rows.append(
            (a, f"LA-2026-{a:04d}", (a - 1) % MERCHANTS + 1, "active", date(2026, 1, 1),
             date(2026, 12, 31), 0, currency, 800 + a % 7 * 100, 50_000 * (a % 3),
             200_000 * (a % 4), CREATED)
        )  # fmt: skip
        film_id = (a - 1) % FILMS + 1
        links.append((a, film_id))
        for p in range(PRODUCTS_PER_AGREEMENT):
            pid = (a - 1) * PRODUCTS_PER_AGREEMENT + p + 1
            products.append(
                (pid, f"SKU-{pid}", (a - 1) % MERCHANTS + 1, a, film_id, f"Product {pid}",
                 "", "apparel", 2500, currency, 10, "approved", "", CREATED, CREATED)
            )  # fmt: skip
    return {
        "films": films,
        "merchants": merchants,
        "agreements": agreement_rows,
        "agreement_films": links,
        "products": products,
    }


COLUMNS = {
    "films": [
        "id", "slug", "title", "original_title", "synopsis", "release_date", "runtime_minutes",
        "rating", "poster_url",
    ],
    "merchants": ["id", "slug", "name", "country", "contact_email", "created_at"],
    "agreements": [
        "id", "code", "merchant_id", "status", "start_date", "end_date", "sell_off_days",
        "currency", "rate_bps", "advance_minor", "minimum_guarantee_minor", "created_at",
    ],
    "agreement_films": ["agreement_id", "film_id"],
    "products": [
        "id", "sku", "merchant_id", "agreement_id", "film_id", "name", "description",
        "category", "price_minor", "currency", "stock", "approval_stage", "image_url",
        "created_at", "updated_at",
    ],
    "royalty_entries": [
        "id", "agreement_id", "product_id", "film_id", "source", "source_ref", "channel",
        "territory", "occurred_at", "period", "units", "net_minor", "rate_bps",
        "royalty_micros", "is_adjustment", "created_at",
    ],
}  # fmt: skip


def entries_sql(dialect: str, count: int, agreements: int) -> str:
    """One INSERT ... SELECT that generates the ledger inside the database.

    Rows are a deterministic function of their number i (multiplicative hashes), the same on
    both databases: agreement, product, units, price, instant in 2026; every 25th is a
    refund; the royalty is the exact flat-rate royalty n * r / 10000 in micros."""
    a = f"(1 + ((i * 2654435761) % 1000003) % {agreements})"
    product = f"(({a} - 1) * {PRODUCTS_PER_AGREEMENT} + ((i * 40503) % 65521) % 5 + 1)"
    units = "(1 + ((i * 97) % 101) % 3)"
    net = f"({units} * (500 + ((i * 7877) % 99991) % 4500))"
    secs = "(((i * 2246822519) % 2147483647) % 31536000)"
    sign = "(CASE WHEN i % 25 = 0 THEN -1 ELSE 1 END)"
    # Zero-padded so that the unique (source, source_ref) index is filled in order.
    padded = "printf('%09d', i)" if dialect == "sqlite" else "lpad(i::text, 9, '0')"
    rate = f"(800 + {a} % 7 * 100)"
    channel = (
        "(CASE i % 3 WHEN 0 THEN 'storefront' WHEN 1 THEN 'bundle' ELSE 'licensee_retail' END)"
    )
    territory = (
        "(CASE i % 8 "
        + " ".join(f"WHEN {n} THEN '{t}'" for n, t in enumerate(TERRITORIES))
        + " END)"
    )
    if dialect == "sqlite":
        series = (
            "WITH RECURSIVE seq(i) AS "
            f"(SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {count}) "
        )
        when = f"datetime('2026-01-01', '+' || {secs} || ' seconds')"
        occurred = f"{when} || '.000000'"
        period = (
            f"substr({when}, 1, 4) || '-Q' || ((CAST(substr({when}, 6, 2) AS INTEGER) + 2) / 3)"
        )
        created, false, source_from = "'2026-12-31 00:00:00.000000'", "0", "FROM seq"
    else:
        series = ""
        when = f"(TIMESTAMPTZ '2026-01-01 00:00:00+00' + {secs} * INTERVAL '1 second')"
        occurred = when
        period = f"to_char({when} AT TIME ZONE 'UTC', 'YYYY-\"Q\"Q')"
        created, false = "TIMESTAMPTZ '2026-12-31 00:00:00+00'", "false"
        source_from = f"FROM generate_series(1::bigint, {count}) AS g(i)"
    columns = ", ".join(COLUMNS["royalty_entries"])
    return (
        f"{series}INSERT INTO royalty_entries ({columns}) SELECT i, {a}, {product}, "
        f"({a} - 1) % {FILMS} + 1, CASE WHEN i % 25 = 0 THEN 'refund' ELSE 'sale' END, "
        f"'b:' || {padded}, {channel}, {territory}, {occurred}, {period}, {sign} * {units}, "
        f"{sign} * {net}, {rate}, {sign} * {net} * {rate} * {ROYALTY_SCALE // 10_000}, "
        f"{false}, {created} {source_from}"
    )


# ---------------------------------------------------------------- SQLite


def _secondary_indexes() -> list[Any]:
    """The ledger's indexes other than its primary key and unique constraint."""
    from licensing.models import RoyaltyEntry

    return sorted(RoyaltyEntry.__table__.indexes, key=lambda index: index.name)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def seed_sqlite(path: Path, entries: int, agreements: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    for table, rows in reference_rows(agreements).items():
        _sqlite_insert(conn, table, rows)
    indexes = _secondary_indexes()
    for index in indexes:
        conn.execute(f"DROP INDEX {index.name}")
    conn.execute(entries_sql("sqlite", entries, agreements))
    conn.commit()
    conn.close()
    engine = create_engine(f"sqlite:///{path}")
    for index in indexes:  # built once over the loaded table: faster than row by row
        index.create(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()


def _sqlite_insert(conn: sqlite3.Connection, table: str, rows: list[tuple]) -> None:
    columns = COLUMNS[table]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))


# ---------------------------------------------------------------- PostgreSQL


async def seed_postgres(dsn: str, url: str, entries: int, agreements: int) -> None:
    import asyncpg

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await db.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        # Bulk load without per-row foreign-key triggers (the rows are consistent by
        # construction); the same as a restore would do.
        await conn.execute("SET session_replication_role = replica")
        for table, rows in reference_rows(agreements).items():
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        indexes = _secondary_indexes()
        for index in indexes:
            await conn.execute(f"DROP INDEX {index.name}")
        await conn.execute(entries_sql("postgresql", entries, agreements))
        await conn.execute("SET session_replication_role = DEFAULT")
    finally:
        await conn.close()
    db = Database(url)
    async with db.engine.begin() as sa_conn:
        for index in indexes:
            await sa_conn.run_sync(index.create)
    await db.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# ---------------------------------------------------------------- timing


async def measure(db: Database) -> tuple[float, float, float, int, int]:
    """(statements seconds, report seconds, peak MB, statements, report rows)."""
    async with db.read_session() as session:  # warm the connection and the caches
        await statements_for_period(session, PERIOD)
    async with db.read_session() as session:
        t0 = time.perf_counter()
        statements = await statements_for_period(session, PERIOD)
        t1 = time.perf_counter()
        rows = await royalty_report(session, PERIOD, GROUPS)
        t2 = time.perf_counter()
    tracemalloc.start()
    async with db.read_session() as session:
        await statements_for_period(session, PERIOD)
        await royalty_report(session, PERIOD, GROUPS)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return t1 - t0, t2 - t1, peak, len(statements), len(rows)


async def run_backend(name: str, url: str) -> None:
    db = Database(url)
    try:
        for label in ("no period closed", "Q1 and Q2 closed"):
            if label != "no period closed":
                for period in ("2026-Q1", "2026-Q2"):
                    async with db.session() as session:
                        await close_period(
                            session, period, now=datetime(2027, 1, 2, tzinfo=UTC), closed_by="bench"
                        )
            stmt_s, report_s, peak, n_statements, n_rows = await measure(db)
            total = stmt_s + report_s
            target = TARGET_SECONDS[name]
            verdict = "ok" if total <= target and peak <= TARGET_MB else "OVER TARGET"
            print(
                f"{name:<10} {label:<17} statements {stmt_s:6.2f}s ({n_statements} agreements)  "
                f"royalty report {report_s:6.2f}s ({n_rows} rows)  total {total:6.2f}s "
                f"/ target {target:.0f}s  peak {peak:6.1f} MB / {TARGET_MB} MB  {verdict}"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries")
    parser.add_argument("--agreements", type=int, default=200, help="agreements")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin DSN"
    )
    args = parser.parse_args()
    load_all_models()
    print(
        f"{args.entries:,} ledger entries, {args.agreements} agreements, period {PERIOD}",
        flush=True,
    )

    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            t0 = time.perf_counter()
            seed_sqlite(path, args.entries, args.agreements)
            print(f"sqlite     seeded in {time.perf_counter() - t0:.1f}s")
            asyncio.run(run_backend("sqlite", f"sqlite+aiosqlite:///{path}"))

    if not args.skip_postgres:
        asyncio.run(postgres(args))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max resident size {rss:.0f} MB (seeding included)")


async def postgres(args: argparse.Namespace) -> None:
    import asyncpg

    name = f"tiein_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(args.pg, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql skipped: cannot connect to {args.pg}: {exc}")
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = args.pg.rsplit("/", 1)[0] + f"/{name}"
    try:
        t0 = time.perf_counter()
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        await seed_postgres(dsn, url, args.entries, args.agreements)
        print(f"postgresql seeded in {time.perf_counter() - t0:.1f}s")
        await run_backend("postgresql", url)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    main()
