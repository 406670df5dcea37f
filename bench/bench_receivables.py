"""Benchmark: receivables over 2,000 agreements x 12 closed periods, with remittances.

Builds, in bulk, 2,000 active agreements (2023-2025; half of them license retail sales) of 50
merchants, the 12 closed periods 2023-Q1..2025-Q4 with one frozen statement per agreement
and period (payables positive, some negative credits, an MG shortfall on the last), sales
reports for most periods and six remittances per agreement; then times, through the ASGI
app as a browser and a partner would call it:

- the staff aging page `GET /staff/receivables` (every agreement, totals, missing reports);
- `receivables(first: 100)` with a staff token (and the last page, `after` 1,900);

printing the wall time and the number of SQL statements of each (which must not grow with
the agreements: tests/graphql/test_receivables.py and tests/storefront/
test_staff_receivables.py assert that). Nothing timed is asserted. SQLite (a temporary file)
by default; `--postgres URL` (postgresql+asyncpg://…, an empty database) to run there.

    .venv/bin/python bench/bench_receivables.py [--agreements 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert

from graphql_schema.cursors import encode_cursor
from kernel.config import Settings
from kernel.db import Base, Database
from kernel.periods import period_bounds, periods_between
from tests.factory import make_api_token, make_staff_user
from tests.storefront.console import sign_in
from tiein.app import create_app
from tiein.models import load_all_models

PERIODS = periods_between("2023-Q1", "2025-Q4")
MERCHANTS = 50
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
CREATED = datetime(2022, 12, 1, tzinfo=UTC)
QUERY = """query($after: String) { receivables(first: 100, after: $after) { totalCount
  nodes { agreement { code } due { amount } paid { amount } balance { amount } daysOverdue
    missingReports aging { current { amount } over90Days { amount } }
    receivables { kind period dueOn balance { amount } daysOverdue } } } }"""


def rows(agreements: int) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, made up with a fixed seed."""
    rnd = random.Random(13)
    out: dict[str, list[dict[str, Any]]] = {
        "merchants": [
            {"id": m, "slug": f"merchant-{m}", "name": f"Merchant {m}", "country": "US",
             "contact_email": f"m{m}@example.com", "created_at": CREATED}
            for m in range(1, MERCHANTS + 1)
        ],
        "periods": [],
        "agreements": [],
        "agreement_channels": [],
        "royalty_statements": [],
        "sales_reports": [],
        "remittances": [],
    }  # fmt: skip
    for name in PERIODS:
        starts_at, ends_at = period_bounds(name)
        out["periods"].append(
            {"name": name, "starts_at": starts_at, "ends_at": ends_at, "status": "closed",
             "closed_at": ends_at, "closed_by": "bench"}
        )  # fmt: skip
    for a in range(1, agreements + 1):
        currency = "JPY" if a % 10 == 0 else "USD"
        out["agreements"].append(
            {"id": a, "code": f"LA-2023-{a:05d}", "merchant_id": (a - 1) % MERCHANTS + 1,
             "status": "active", "start_date": date(2023, 1, 1), "end_date": date(2025, 12, 31),
             "sell_off_days": 0, "currency": currency, "rate_bps": 1000,
             "advance_minor": 50_000 * (a % 3), "minimum_guarantee_minor": 0,
             "created_at": CREATED}
        )  # fmt: skip
        channels = ["storefront", "licensee_retail"] if a % 2 else ["storefront"]
        out["agreement_channels"] += [{"agreement_id": a, "channel": c} for c in channels]
        cumulative = 0
        for n, period in enumerate(PERIODS):
            earned = rnd.randint(-2_000, 40_000)
            cumulative += earned
            out["royalty_statements"].append(
                {"agreement_id": a, "period": period, "currency": currency, "units": 10,
                 "net_sales_minor": earned * 10, "royalty_earned_minor": earned,
                 "cumulative_earned_minor": cumulative, "advance_recouped_minor": 0,
                 "royalty_payable_minor": earned,
                 "mg_shortfall_minor": 25_000 if n == len(PERIODS) - 1 and a % 4 == 0 else 0,
                 "has_adjustments": False, "frozen_at": CREATED}
            )  # fmt: skip
            if a % 2 and rnd.random() < 0.8:
                out["sales_reports"].append(
                    {"agreement_id": a, "period": period, "version": 1,
                     "submitted_at": CREATED, "submitted_by": "bench"}
                )  # fmt: skip
        for r in range(6):
            out["remittances"].append(
                {"agreement_id": a, "amount_minor": rnd.randint(1_000, 60_000),
                 "currency": currency, "received_on": date(2023, 3, 1) + timedelta(days=150 * r),
                 "reference": f"wire {a}-{r}", "recorded_by": "bench", "created_at": CREATED}
            )  # fmt: skip
    return out


async def build(db: Database, agreements: int) -> tuple[str, int]:
    """The schema and the rows; a staff user (for the page) and a staff token (for the API)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    tables = load_all_models().tables
    async with db.session() as session:
        for name, values in rows(agreements).items():
            for start in range(0, len(values), 5000):
                await session.execute(insert(tables[name]), values[start : start + 5000])
        await make_staff_user(session, username="bench", password="bench password 1")
        staff = await make_staff_user(session, username="bench-api")
        _, token = await make_api_token(session, staff_user=staff, name="bench")
    return token, agreements


class Statements:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self.seen)

    def seen(self, *args: Any) -> None:
        self.count += 1


async def timed(label: str, statements: Statements, call: Any) -> Any:
    before = statements.count
    started = time.perf_counter()
    result = await call()
    took = time.perf_counter() - started
    print(f"{label:<44} {took * 1000:9.1f} ms  {statements.count - before:4d} statements")
    return result


async def run(url: str, agreements: int) -> None:
    db = Database(url)
    token, _ = await build(db, agreements)
    settings = Settings(database_url=url, secret_key="bench-secret-key", allowed_hosts=("*",))
    app = create_app(settings, database=db)
    app.state.clock = lambda: NOW
    statements = Statements(db)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    print(f"{agreements} agreements x {len(PERIODS)} closed periods, 6 remittances each, {url}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await sign_in(client, "bench", "bench password 1")
        for attempt in ("first", "again"):
            page = await timed(f"GET /staff/receivables ({attempt})", statements,
                               lambda: client.get("/staff/receivables"))  # fmt: skip
            assert page.status_code == 200, page.status_code
        print(f"  page: {len(page.content) // 1024} KiB")
        csv = await timed("GET /staff/receivables.csv", statements,
                          lambda: client.get("/staff/receivables.csv"))  # fmt: skip
        assert csv.text.count("\n") == agreements + 3, "a row per agreement, 2 totals, header"
        for label, after in (("first page", None), ("last page", _cursor(agreements - 101))):
            body = await timed(
                f"receivables(first: 100), {label}",
                statements,
                lambda after=after: client.post(
                    "/graphql",
                    json={"query": QUERY, "variables": {"after": after}},
                    headers=headers,
                ),
            )
            data = body.json()
            assert "errors" not in data, data
            assert len(data["data"]["receivables"]["nodes"]) == 100
    await db.dispose()


def _cursor(offset: int) -> str:
    return encode_cursor(offset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=2000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database (postgresql+asyncpg://…)")
    args = parser.parse_args()
    if args.postgres:
        asyncio.run(run(args.postgres, args.agreements))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.agreements))


if __name__ == "__main__":
    main()
