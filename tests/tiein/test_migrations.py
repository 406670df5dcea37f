"""`tiein db upgrade` on an empty database gives exactly the models' schema (both backends)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import Backends
from tiein import migrate


def _upgrade_and_diff(url: str) -> tuple[list, str | None]:
    migrate.upgrade(url)
    return asyncio.run(migrate.schema_diff(url)), asyncio.run(migrate.current_revision(url))


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    diff, revision = _upgrade_and_diff(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    assert diff == []
    assert revision == "0006"


def test_migrations_match_the_models_on_postgresql(backends: Backends) -> None:
    if backends.pg_admin_url is None:
        pytest.skip("no PostgreSQL reachable")
    name = f"tiein_mig_{uuid.uuid4().hex[:8]}"
    admin = backends.pg_admin_url

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(sql)
        await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
        diff, revision = _upgrade_and_diff(url)
        assert diff == []
        assert revision == "0006"
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
