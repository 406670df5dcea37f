"""What every resolver sees: the viewer, the database, the clock, and per-request reads.

Reading rule (DESIGN.md §3): graphene resolves sibling fields concurrently, so no
AsyncSession may be used by two resolvers at once. A request's reads — its loaders' batches
and its connections' pages — go through ONE read session, `Context.read_session()`, that
resolvers take **one at a time** (a per-request lock): one connection checkout and one read
transaction per request instead of one per batch, and every object of the answer comes from
the same snapshot. The lock is held only while statements run: never await a loader (or
anything that reads) inside a `read_session()` block, or the request waits on itself. A
request holds its pooled connection from its first read to its answer. (A root field that
opens `ctx.db.read_session()` itself still works — a session of its own — but misses all
this; `ctx.read_session()` is the one to use.)

The request's reads end with `Context.finish()`, called once `execute` has returned:
graphql-core 3.2 does not wait for the sibling fields of a field whose error nulls their
parent, so such a field may still be running; it finds the reads closed (`RequestFinished`)
and its result is dropped, as graphql-core drops it. Mutations write in their own sessions
(they run one after another) and then call `reset_loaders()`, so the fields of their
payloads read in a new transaction that sees what they wrote.

Two viewers (SPEC §7, token scopes): `caller` is who the token stands for, with its scopes,
and is what permission checks ask; `viewer` is who the reads are made for — the caller, or
the public for a merchant token without the `read` scope, so such a token sees the public
catalog and no merchant data, in any field, `node` or nested list. While a mutation performs
(`acting()`), `viewer` is the caller: a write finds the caller's own objects; its payload is
read as any other read.
Tests: tests/graphql/test_loaders.py and test_resolvers.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.loaders import Loaders
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import Viewer


class RequestFinished(RuntimeError):
    """A resolver tried to read after its request was answered."""

    def __init__(self) -> None:
        super().__init__("The request is answered; its reads are closed.")


class RequestReads:
    """The read session of one request, lent to one resolver at a time (see the module
    docstring). The session is opened on first use and begins its transaction then."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self._session: AsyncSession | None = None
        self._renew = False
        self._finished = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, for the statements of one block."""
        async with self._lock:
            if self._finished:
                raise RequestFinished()
            if self._renew and self._session is not None:
                await self._session.close()
                self._session = None
            self._renew = False
            if self._session is None:
                self._session = self._db.read_sessions()
            yield self._session

    def renew(self) -> None:
        """The next read begins a new transaction (after a write of this request)."""
        self._renew = True

    async def finish(self) -> None:
        """Wait for the statements running now, then close the session for good."""
        async with self._lock:
            self._finished = True
            if self._session is not None:
                await self._session.close()
                self._session = None


@dataclass
class Context:
    """One per request. `loaders` are per request too, so nothing is cached across requests."""

    db: Database
    settings: Settings
    viewer: Viewer
    now: datetime
    request_id: str = ""
    app: Any = None
    caller: Viewer = field(init=False)
    reader: Viewer = field(init=False, repr=False)
    reads: RequestReads = field(init=False, repr=False)
    loaders: Loaders = field(init=False, repr=False)
    # labels asked for so far by this request's requestLabels (aliases share one MAX_BATCH)
    labels_asked: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.caller = self.viewer
        self.reader = self.viewer = self.caller.reading()
        self.reads = RequestReads(self.db)
        self.loaders = Loaders(self.reads.session, self.reader, self.now)

    @contextmanager
    def acting(self) -> Iterator[None]:
        """While a mutation performs, `viewer` is the caller itself (mutations run one at a
        time, so no other resolver sees the change)."""
        self.viewer = self.caller
        try:
            yield
        finally:
            self.viewer = self.reader

    def read_session(self) -> Any:
        """`async with ctx.read_session() as session:` the request's read session, for
        this block's statements only (see the module docstring)."""
        return self.reads.session()

    async def finish(self) -> None:
        """Close the request's reads and free what its loaders hold, once `execute` has
        returned (before the response is sent)."""
        await self.reads.finish()
        self.loaders.close()

    def reset_loaders(self) -> None:
        """Forget everything loaded so far and read in a new transaction from now on
        (after a mutation changed the data)."""
        self.loaders.close()
        self.loaders = Loaders(self.reads.session, self.reader, self.now)
        self.reads.renew()
