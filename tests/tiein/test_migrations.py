"""`tiein db upgrade` on an empty database gives exactly the models' schema, and migration
0005 moves the free-text shipping addresses of older orders into their own rows and back
(both backends)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text

import tiein.app  # noqa: F401  (every model the app can touch is imported)
from kernel.db import Base, create_engine
from tests.conftest import Backends
from tiein import migrate

ROOT = Path(__file__).resolve().parents[2]


def _upgrade_and_diff(url: str) -> tuple[list, str | None]:
    migrate.upgrade(url)
    return asyncio.run(migrate.schema_diff(url)), asyncio.run(migrate.current_revision(url))


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    diff, revision = _upgrade_and_diff(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    assert diff == []
    assert revision == "0020"


@contextmanager
def _fresh_postgres(admin: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"tiein_mig_{uuid.uuid4().hex[:8]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(sql)
        await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_migrations_match_the_models_on_postgresql(backends: Backends) -> None:
    if backends.pg_admin_url is None:
        pytest.skip("no PostgreSQL reachable")
    with _fresh_postgres(backends.pg_admin_url) as url:
        diff, revision = _upgrade_and_diff(url)
        assert diff == []
        assert revision == "0020"


OLD_ORDER = (
    "INSERT INTO orders (id, number, access_key_hash, email, country, currency, status,"
    " total_minor, refunded_minor, shipping_name, shipping_address, created_at, expires_at)"
    " VALUES (:id, :number, :key, 'fan@example.com', :country, 'USD', 'paid', 100, 0, :name,"
    " :address, :at, :at)"
)


async def _sql(url: str, sql: str, rows: list[dict] | None = None) -> list:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if rows is not None:
                await conn.execute(text(sql), rows)
                return []
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


def _moves_free_text_addresses(url: str) -> None:
    migrate.upgrade(url, "0003")
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    old = [
        {"id": 1, "number": "TI-OLD1", "key": "0" * 64, "country": "US", "name": "Ann Shopper",
         "address": "1 Harbour Road\nSpringfield, IL 62701", "at": at},
        {"id": 2, "number": "TI-OLD2", "key": "1" * 64, "country": "GB", "name": "",
         "address": "", "at": at},  # tickets only: no address
        {"id": 3, "number": "TI-OLD3", "key": "2" * 64, "country": "JP", "name": "山田 🎬",
         "address": "x" * 2000, "at": at},
    ]  # fmt: skip
    asyncio.run(_sql(url, OLD_ORDER, old))
    migrate.upgrade(url)
    moved = asyncio.run(
        _sql(url, "SELECT order_id, name, line1, line2, city, area, postcode, country, phone"
                  " FROM shipping_addresses ORDER BY order_id")
    )  # fmt: skip
    assert moved == [
        (1, "Ann Shopper", "1 Harbour Road\nSpringfield, IL 62701", "", "", "", "", "US", ""),
        (3, "山田 🎬", "x" * 2000, "", "", "", "", "JP", ""),
    ]
    assert asyncio.run(migrate.schema_diff(url)) == []  # the text columns are gone
    command.downgrade(migrate.alembic_config(url), "0003")
    back = asyncio.run(
        _sql(url, "SELECT id, shipping_name, shipping_address FROM orders ORDER BY id")
    )
    assert back == [(1, "Ann Shopper", "1 Harbour Road\nSpringfield, IL 62701"), (2, "", ""),
                    (3, "山田 🎬", "x" * 2000)]  # fmt: skip


def test_free_text_addresses_move_into_their_own_rows_on_sqlite(tmp_path: Path) -> None:
    _moves_free_text_addresses(f"sqlite+aiosqlite:///{tmp_path}/old.db")


def test_free_text_addresses_move_into_their_own_rows_on_postgresql(backends: Backends) -> None:
    if backends.pg_admin_url is None:
        pytest.skip("no PostgreSQL reachable")
    with _fresh_postgres(backends.pg_admin_url) as url:
        _moves_free_text_addresses(url)


OLD_TOKENS = [
    "INSERT INTO merchants (id, slug, name, country, contact_email, created_at)"
    " VALUES (1, 'acme', 'Acme', 'US', 'a@example.com', :at)",
    "INSERT INTO staff_users (id, username, display_name, password_hash, created_at)"
    " VALUES (1, 'ana', 'Ana', '!', :at)",
    "INSERT INTO api_tokens (id, token_hash, prefix, name, merchant_id, staff_user_id,"
    " created_at) VALUES (1, :h1, 'tie_a', 'merchant', 1, NULL, :at),"
    " (2, :h2, 'tie_b', 'staff', NULL, 1, :at)",
]


def _gives_existing_tokens_their_scopes(url: str) -> None:
    """Migration 0007: a merchant token made before scopes is `read,write`, a staff token
    holds every scope; downgrading drops the column and keeps the tokens."""
    migrate.upgrade(url, "0006")
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    for sql in OLD_TOKENS:
        asyncio.run(_sql(url, sql, [{"at": at, "h1": "1" * 64, "h2": "2" * 64}]))
    migrate.upgrade(url)
    scopes = asyncio.run(_sql(url, "SELECT id, scopes FROM api_tokens ORDER BY id"))
    assert scopes == [(1, "read,write"), (2, "read,write,tokens")]
    command.downgrade(migrate.alembic_config(url), "0006")
    assert asyncio.run(_sql(url, "SELECT id, name FROM api_tokens ORDER BY id")) == [
        (1, "merchant"),
        (2, "staff"),
    ]


def test_existing_tokens_get_their_scopes_on_sqlite(tmp_path: Path) -> None:
    _gives_existing_tokens_their_scopes(f"sqlite+aiosqlite:///{tmp_path}/tokens.db")


def test_existing_tokens_get_their_scopes_on_postgresql(backends: Backends) -> None:
    if backends.pg_admin_url is None:
        pytest.skip("no PostgreSQL reachable")
    with _fresh_postgres(backends.pg_admin_url) as url:
        _gives_existing_tokens_their_scopes(url)


def test_load_all_models_alone_registers_every_table() -> None:
    """In a fresh interpreter (nothing else imported), `load_all_models` must hold every table
    the app defines: Alembic and `tiein db check` see only what it imports. An import that
    `ruff --fix` dropped once hid 5 tables, masked in the suite by other tests' imports."""
    script = (
        "import json; from tiein.models import load_all_models; "
        "print(json.dumps(sorted(load_all_models().tables)))"
    )
    alone = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    everything = sorted(Base.metadata.tables)  # after the whole app's import, below
    assert json.loads(alone.stdout) == everything
