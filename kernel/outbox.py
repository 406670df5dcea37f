"""The outbox: background work (e-mails, merchant webhooks, jobs) as rows in the database.

A service queues a message with `enqueue(session, kind, payload, now=...)` inside its own
transaction, so the message exists exactly when the change that causes it is committed
(SPEC §8): a rollback leaves nothing, a crash after the commit loses nothing. Workers claim,
run and report on messages with `kernel.drainer` (DESIGN §6).

The rules:

- A message is `pending` until a handler succeeds (`done`) or the queue gives up (`failed`,
  with its last error). Nothing is deleted here, so nothing is lost silently.
- A kind is a dotted lower-case name (`email.receipt`, `webhook.fulfilment.created`); the
  drainer runs the handler registered under it.
- A dedupe key, when given, is unique: queuing the same cause twice keeps the first message
  (the second `enqueue` returns None and does not disturb the caller's transaction).
- Payloads are JSON objects made by the owner's serializer when queued (DESIGN §1), checked
  at once: a handler reads just what `json` makes of them (tuples become lists).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime
from kernel.parsing import has_unsafe_characters

KIND_MAX = 80
DEDUPE_KEY_MAX = 200
WORKER_ID_MAX = 100
ERROR_MAX = 1000
PAYLOAD_MAX_BYTES = 256 * 1024
_KIND = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*", re.ASCII)


class OutboxStatus(StrEnum):
    """Where a message stands: waiting (or being run), run, or given up."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class InvalidMessage(ValueError):
    """`enqueue` was given a kind, payload or key it cannot queue (a programming error)."""


class OutboxMessage(Base):
    """One queued piece of background work and where it stands."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The claim query: pending messages by due time.
        Index("ix_outbox_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
    )

    # 64-bit on PostgreSQL (a queue goes through ids fast); SQLite's rowid is 64-bit anyway.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(DEDUPE_KEY_MAX), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first due; horizon from here
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(WORKER_ID_MAX))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InvalidMessage(f"{name} must be a timezone-aware datetime")


def _checked_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidMessage(f"the payload must be a JSON object, not {type(payload).__name__}")
    try:
        text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidMessage(f"the payload is not JSON-serializable: {exc}") from exc
    if len(text.encode()) > PAYLOAD_MAX_BYTES:
        raise InvalidMessage(f"the payload is larger than {PAYLOAD_MAX_BYTES} bytes")
    result: dict[str, Any] = json.loads(text)
    return result


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> int | None:
    """Queue `payload` (a JSON object) as a message of `kind`, due at `available_at` (default
    `now`), in the caller's transaction (no commit). Returns the new message's id, or None
    when a message with the same `dedupe_key` is already queued (that one is kept)."""
    if not isinstance(kind, str) or len(kind) > KIND_MAX or not _KIND.fullmatch(kind):
        raise InvalidMessage(f"a message kind is a dotted lower-case name, not {kind!r}")
    if dedupe_key is not None and (
        not isinstance(dedupe_key, str)
        or not 0 < len(dedupe_key) <= DEDUPE_KEY_MAX
        or has_unsafe_characters(dedupe_key)
    ):
        raise InvalidMessage(f"a dedupe key is 1 to {DEDUPE_KEY_MAX} characters of text")
    _check_aware(now, "now")
    due = now if available_at is None else available_at
    _check_aware(due, "available_at")
    values = {
        "kind": kind,
        "payload": _checked_payload(payload),
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.PENDING.value,
        "created_at": now,
        "available_at": due,
        "next_attempt_at": due,
        "attempts": 0,
    }
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(OutboxMessage).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(statement.returning(OutboxMessage.id))
    return result.scalar_one_or_none()


async def prune(
    session: AsyncSession,
    *,
    now: datetime,
    keep_done: timedelta = timedelta(days=30),
    keep_failed: timedelta = timedelta(days=90),
) -> int:
    """Delete messages done more than `keep_done` ago and failed more than `keep_failed` ago
    (the staff Outbox page shows the recent ones; the addresses typed into "e-mail me my
    orders" are not kept for ever). Pending messages are never deleted. Through the claim
    index: a message's last due time is never after its completion."""
    deleted = 0
    for status, column, keep in (
        (OutboxStatus.DONE, OutboxMessage.completed_at, keep_done),
        (OutboxStatus.FAILED, OutboxMessage.failed_at, keep_failed),
    ):
        cutoff = now - keep
        result = await session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.status == status.value,
                OutboxMessage.next_attempt_at < cutoff,
                column < cutoff,
            )
            .execution_options(synchronize_session=False)
        )
        deleted += result.rowcount or 0  # type: ignore[attr-defined]
    return deleted
