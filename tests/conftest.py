"""Shared fixtures: a fresh database per test on SQLite and, when reachable, on PostgreSQL.

Every test that takes `db` runs once per backend. PostgreSQL is looked for on
127.0.0.1:5432 (users `postgres`, then `root`, trust auth; TIEIN_TEST_PG_URL overrides);
the run creates its own database and drops it at the end. Under CI (CI=true) a missing
PostgreSQL fails the run instead of skipping its half.

Under pytest-xdist (`make test` runs `-n auto`) every worker is a session of its own: its own
PostgreSQL database (named after the worker), SQLite template, localstripe and live servers,
each on a free port. Nothing here is shared between workers but the PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text

from kernel.config import Settings
from kernel.db import Base, Database, create_engine
from tiein.models import load_all_models

HERE = Path(__file__).resolve().parent
pytest_plugins = sorted(
    f"tests.fixtures.{path.stem}"
    for path in (HERE / "fixtures").glob("*.py")
    if path.stem != "__init__"
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_CANDIDATES = [
    os.environ.get("TIEIN_TEST_PG_URL", ""),
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/postgres",
]


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _find_postgres() -> str | None:
    async def probe(url: str) -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    for url in filter(None, PG_CANDIDATES):
        if asyncio.run(probe(url)):
            return url
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI, a distributed run checks for PostgreSQL once, before its workers start (an exit
    inside a worker would end the run in an internal error instead of this message)."""
    config = session.config
    distributed = bool(getattr(config.option, "numprocesses", None))
    if IN_CI and distributed and not hasattr(config, "workerinput") and not _find_postgres():
        pytest.exit("CI=true but no PostgreSQL answers on 127.0.0.1:5432", returncode=3)


@dataclass
class Backends:
    sqlite_template: Path
    pg_admin_url: str | None
    pg_url: str | None
    tables: list[str] = field(default_factory=list)


def _sa_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _create_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    metadata = load_all_models()
    template = tmp_path_factory.mktemp("sqlite") / "template.db"
    asyncio.run(_create_schema(f"sqlite+aiosqlite:///{template}"))
    admin = _find_postgres()
    if admin is None and IN_CI:
        pytest.exit("CI=true but no PostgreSQL answers on 127.0.0.1:5432", returncode=3)
    pg_url = None
    name = f"tiein_test_{WORKER}_{uuid.uuid4().hex[:10]}"
    if admin:

        async def create() -> None:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        pg_url = admin.rsplit("/", 1)[0] + f"/{name}"
        asyncio.run(_create_schema(_sa_url(pg_url)))
    tables = [t.name for t in metadata.sorted_tables]
    yield Backends(template, admin, pg_url, tables)
    if admin:

        async def drop() -> None:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()

        asyncio.run(drop())


def _backend_params() -> list[Any]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(params=_backend_params())
def backend(request: pytest.FixtureRequest, backends: Backends) -> str:
    if request.param == "postgresql" and backends.pg_url is None:
        pytest.skip("no PostgreSQL reachable on 127.0.0.1:5432 (set TIEIN_TEST_PG_URL)")
    return request.param


@pytest.fixture
def database_url(backend: str, backends: Backends, tmp_path: Path) -> str:
    """The URL of a database with the whole schema and no rows, for this test alone."""
    if backend == "sqlite":
        path = tmp_path / "tiein.db"
        shutil.copyfile(backends.sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    assert backends.pg_url is not None
    return _sa_url(backends.pg_url)


@pytest.fixture
async def db(database_url: str, backend: str, backends: Backends) -> AsyncIterator[Database]:
    database = Database(database_url)
    if backend == "postgresql":
        async with database.engine.begin() as conn:
            names = ", ".join(f'"{t}"' for t in backends.tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[Any]:
    """A session whose work the test commits itself (or not)."""
    async with db.sessions() as s:
        yield s


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        allowed_hosts=("*",),
        media_dir=str(tmp_path / "media"),
    )


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (no network)."""
    from tiein.app import create_app

    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(database: Database) -> Iterator[QueryCounter]:
    """Counts the SQL statements `database` runs inside the block (transaction control aside)."""
    counter = QueryCounter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}:
            counter.statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", before)


@pytest.fixture
def query_counter(db: Database) -> Any:
    return lambda: count_queries(db)
