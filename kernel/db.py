"""Database engine, sessions and the declarative base shared by every package.

SQLite (the embedded default) runs in WAL mode with foreign keys on; write transactions
begin with BEGIN IMMEDIATE so that two writers never deadlock on a lock upgrade, and a busy
database is waited on (busy timeout) rather than failed. Read-only work uses
`Database.read_session()`, which begins a deferred transaction and never blocks writers.

Every flush checks what it writes against the columns (`check_column_values`): text fits
its column's length and holds no control characters, 32-bit integers fit 32 bits. SQLite
would store what PostgreSQL refuses, so without the check the same input would be kept on
one database and be a 500 on the other; with it, both refuse it with InvalidInput.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, String, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from kernel.parsing import InvalidInput, has_unsafe_characters

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite keeps no zone, so we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def runtime_path(url: str, suffix: str) -> Path:
    """Where the processes serving one database leave run-time files for each other (the
    local Stripe stand-in's address): beside a SQLite database file,
    otherwise in the temporary directory under a name derived from the URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database).resolve().with_name(f"{Path(parsed.database).name}.{suffix}")
    digest = hashlib.sha256(parsed.render_as_string(hide_password=False).encode()).hexdigest()
    return Path(tempfile.gettempdir()) / f"tiein-{digest[:16]}.{suffix}"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get("tiein_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url` (sqlite+aiosqlite or postgresql+asyncpg)."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, **kwargs)


INT32 = (-(2**31), 2**31 - 1)


class CheckedSession(Session):
    """The session of every Database: its flushes run `check_column_values`."""


@event.listens_for(CheckedSession, "before_flush")
def check_column_values(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse (InvalidInput, naming the attribute) a new or changed row whose text is longer
    than its column or holds control characters, or whose 32-bit integer does not fit."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.dict.get(attr.key)
            if value is None:
                continue
            kind = attr.columns[0].type
            if isinstance(value, str) and isinstance(kind, String):
                if kind.length is not None and len(value) > kind.length:
                    raise InvalidInput(f"At most {kind.length} characters.", attr.key)
                if has_unsafe_characters(value):
                    raise InvalidInput("The text holds control characters.", attr.key)
            elif (
                type(kind) is Integer
                and isinstance(value, int)
                and not INT32[0] <= value <= INT32[1]
            ):
                raise InvalidInput("The number is too large.", attr.key)


class Database:
    """The engine and the session factories of one database."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=CheckedSession
        )
        read_engine = self.engine.execution_options(tiein_read_only=True)
        self.read_sessions = async_sessionmaker(
            read_engine, expire_on_commit=False, sync_session_class=CheckedSession
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A write session whose transaction commits on success, rolls back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read session; it never writes and never blocks a writer."""
        async with self.read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
