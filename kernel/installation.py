"""The installation's own secrets, kept in its database (SPEC §11: no shared default secret).

An installation without a configured `TIEIN_SECRET_KEY` makes a random key on first start and
stores it in `installation_secrets`. The row is inserted once (`ON CONFLICT DO NOTHING`) and
then read back, so workers and machines that start together all end up with the one row that
won. The same table keeps the webhook secret of the local payment stand-in.

`SecretKey` holds the key an app signs its session cookie with: the configured one, or the
installation's, loaded by the app's lifespan (or by the first request when the lifespan did
not run). `SessionCookieMiddleware` is Starlette's `SessionMiddleware`, built once that key
is known, so nothing ever signs with a key the source knows.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.clock import now_utc
from kernel.db import Base, Database, UTCDateTime

SECRET_KEY_NAME = "secret_key"  # noqa: S105 (the name of a secret, not a secret)
log = logging.getLogger(__name__)


class InstallationSecret(Base):
    """One secret of this installation, made at random on first use and never changed."""

    __tablename__ = "installation_secrets"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


async def installation_secret(db: Database, name: str, *, prefix: str = "") -> str:
    """The installation's secret `name`. The first caller stores a random one (256 bits,
    after `prefix`); concurrent first callers insert-or-ignore and all read the row that won."""
    async with db.read_session() as session:
        value = await session.scalar(
            select(InstallationSecret.value).where(InstallationSecret.name == name)
        )
    if value is not None:
        return value
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InstallationSecret)
        .values(name=name, value=prefix + secrets.token_urlsafe(32), created_at=now_utc())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    async with db.session() as session:
        await session.execute(statement)
        value = await session.scalar(
            select(InstallationSecret.value).where(InstallationSecret.name == name)
        )
    assert value is not None
    return value


class SecretKey:
    """The key session cookies are signed with: `configured` (TIEIN_SECRET_KEY) when given,
    otherwise the installation's key from the database, loaded by `load`."""

    def __init__(self, configured: str = "") -> None:
        self._value: str | None = configured or None

    @property
    def loaded(self) -> bool:
        return self._value is not None

    @property
    def value(self) -> str:
        if self._value is None:
            raise RuntimeError("the secret key is not loaded yet (SecretKey.load)")
        return self._value

    async def load(self, db: Database) -> str:
        """The key, read (or made) in the installation's database the first time."""
        if self._value is None:
            self._value = await installation_secret(db, SECRET_KEY_NAME)
        return self._value


class SessionCookieMiddleware:
    """Starlette's signed-cookie sessions, signed with the `SecretKey` once it is loaded.

    The app's lifespan loads the key; when it did not run (an in-process test client), the
    first request loads it. If the database cannot be read the request goes on without a
    session, so `/healthz` can still report the outage; pages that need a session fail as
    they would without their database.
    """

    def __init__(self, app: ASGIApp, *, key: SecretKey, **options: Any) -> None:
        self.app = app
        self.key = key
        self.options = options
        self._sessions: SessionMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._sessions is None:
            if not self.key.loaded:
                try:
                    await self.key.load(scope["app"].state.db)
                except Exception:
                    log.exception("cannot load the installation's secret key")
                    await self.app(scope, receive, send)
                    return
            self._sessions = SessionMiddleware(self.app, secret_key=self.key.value, **self.options)
        await self._sessions(scope, receive, send)
