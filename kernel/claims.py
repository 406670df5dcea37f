"""Claims and reports on outbox messages: the row-level half of the worker side (DESIGN §6;
`kernel.drainer` runs the handlers).

The rules:

- A claim is a lease: the worker's name, the claim time and `lease_until`. A message is due
  when it is pending, `next_attempt_at <= now` and it holds no live lease, so the message of
  a worker that died is claimed again once its lease runs out, noting that in its error.
  Every claim counts as an attempt, so a message that kills its workers still reaches its
  limit or horizon (`RetryPolicy.gives_up_before`). PostgreSQL claims with
  `FOR UPDATE SKIP LOCKED`; SQLite with the same conditional `UPDATE … RETURNING`, which it
  runs as one atomic write. Either way one claim goes to one worker.
- Only the claim's holder reports on it (`complete`, `complete_all`, `retry_later`, `fail`;
  the claim is named by worker and attempt number): a worker whose lease ran out and was
  claimed again cannot undo the new holder's work. `complete_all` checks each claim so in
  one statement.
- A failed attempt is retried after an exponential back-off (`RetryPolicy`; its optional
  jitter is a function of message and attempt, so deterministic) until `horizon` after the
  message first became due (3 days, SPEC §8): the last retry falls on the horizon.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import and_, case, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import Database
from kernel.outbox import ERROR_MAX, WORKER_ID_MAX, OutboxMessage, OutboxStatus

log = logging.getLogger("tiein.outbox")
T = TypeVar("T")
LEASE_RAN_OUT = "LeaseExpired: the previous attempt never reported (its worker stopped)"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class Claim:
    """A message as its worker holds it: what the handler reads, and the claim's name
    (`worker_id`, `attempt`) that `complete`, `retry_later` and `fail` check."""

    id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    attempt: int  # 1 for the first claim
    created_at: datetime
    available_at: datetime  # when the message first became due
    due_at: datetime  # when this attempt became due
    lease_until: datetime
    last_error: str | None  # the previous attempt's, or LEASE_RAN_OUT when it never reported
    worker_id: str


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off after attempt n: `first_delay * factor**(n-1)`, at most `max_delay`, plus up
    to `jitter` (a fraction) of it; retried until `horizon` after the message first became
    due, and at most `max_attempts` claims when that is set."""

    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=6)
    jitter: float = 0.0
    horizon: timedelta = timedelta(days=3)  # SPEC §8: webhooks are retried for 3 days
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ValueError("the first delay must be positive and at most the maximum delay")
        if self.factor < 1 or not 0 <= self.jitter <= 1 or self.horizon < timedelta(0):
            raise ValueError("the factor must be >= 1, the jitter in [0, 1], the horizon >= 0")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def gives_up_before(self, held: Claim, now: datetime) -> bool:
        """True when a claim must not run because earlier attempts that never reported (their
        worker died) used up the attempts, or left it past the horizon."""
        if self.max_attempts is not None and held.attempt > self.max_attempts:
            return True
        return held.last_error == LEASE_RAN_OUT and now > held.available_at + self.horizon

    def delay(self, message_id: int, attempt: int) -> timedelta:
        """How long to wait after failed attempt `attempt` (1-based) of message `message_id`."""
        base = self.first_delay.total_seconds() * self.factor ** min(attempt - 1, 64)
        seconds = min(base, self.max_delay.total_seconds())
        if self.jitter:
            digest = hashlib.sha256(f"{message_id}:{attempt}".encode()).digest()
            seconds += seconds * self.jitter * (int.from_bytes(digest[:4]) / 2**32)
        return timedelta(seconds=seconds)


DEFAULT_POLICY = RetryPolicy()


class Outcome(StrEnum):
    """What a report on a claim did."""

    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    LOST = "lost"  # the claim was no longer this worker's: nothing changed


async def _in_session(
    target: Database | AsyncSession, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in the caller's session, or in a transaction of its own on a Database."""
    if isinstance(target, AsyncSession):
        return await work(target)
    async with target.session() as session:
        return await work(session)


def _due(now: datetime) -> Any:
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING.value,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
    )


async def claim(
    target: Database | AsyncSession,
    worker_id: str,
    *,
    now: datetime,
    limit: int = 10,
    lease: timedelta = timedelta(minutes=5),
    kinds: Collection[str] | None = None,
) -> list[Claim]:
    """Claim up to `limit` due messages for `worker_id` until `now + lease`, oldest due
    first, of `kinds` only when given. Concurrent claimers never get the same message; a
    message whose lease ran out is due again. On a Database this commits at once; on a
    session it is the caller's."""
    if not 0 < len(worker_id) <= WORKER_ID_MAX or limit < 1 or lease <= timedelta(0):
        raise ValueError("claim needs a worker id, a positive limit and a positive lease")
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")

    async def work(session: AsyncSession) -> list[Claim]:
        connection = await session.connection()
        due = (
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if kinds is not None:
            due = due.where(OutboxMessage.kind.in_(sorted(kinds)))
        if connection.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        # MATERIALIZED: the locking select runs once. As a plain subquery PostgreSQL may run
        # it again per row, and each run skips other locked rows: one claim then takes far
        # more than `limit` messages (a test caught 48 of 60 with limit 4).
        chosen = due.cte("due").prefix_with("MATERIALIZED")
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(select(chosen.c.id)), _due(now))
            .values(
                claimed_by=worker_id,
                claimed_at=now,
                lease_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
                # A lease still set means the previous attempt never reported: say so.
                last_error=case(
                    (OutboxMessage.lease_until.is_not(None), LEASE_RAN_OUT),
                    else_=OutboxMessage.last_error,
                ),
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.payload,
                OutboxMessage.dedupe_key,
                OutboxMessage.attempts.label("attempt"),
                OutboxMessage.created_at,
                OutboxMessage.available_at,
                OutboxMessage.next_attempt_at.label("due_at"),
                OutboxMessage.lease_until,
                OutboxMessage.last_error,
            )
            .execution_options(synchronize_session=False)
        )
        rows = (await session.execute(statement)).mappings().all()
        claims = [Claim(worker_id=worker_id, **row) for row in rows]
        return sorted(claims, key=lambda c: (c.due_at, c.id))  # RETURNING keeps no order

    return await _in_session(target, work)


def _held(held: Claim) -> Any:
    return and_(
        OutboxMessage.id == held.id,
        OutboxMessage.status == OutboxStatus.PENDING.value,
        OutboxMessage.claimed_by == held.worker_id,
        OutboxMessage.attempts == held.attempt,
        OutboxMessage.lease_until.is_not(None),
    )


def bounded_error(error: str | BaseException) -> str:
    """An error as stored: one line of text without control characters, at most ERROR_MAX."""
    if isinstance(error, BaseException):
        name = type(error).__name__
        error = f"{name}: {error}" if str(error) else name
    text = _CONTROL.sub("?", " ".join(error.split()))
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


async def _report(
    target: Database | AsyncSession, held: Claim, outcome: Outcome, values: dict[str, Any]
) -> Outcome:
    async def work(session: AsyncSession) -> Outcome:
        statement = (
            update(OutboxMessage)
            .where(_held(held))
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        result = await session.execute(statement)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            log.warning(
                "outbox message %d: claim %d of %s was lost", held.id, held.attempt, held.worker_id
            )
            return Outcome.LOST
        return outcome

    return await _in_session(target, work)


async def complete(target: Database | AsyncSession, held: Claim, *, now: datetime) -> Outcome:
    """Mark a claimed message done (LOST, changing nothing, if the claim is no longer held)."""
    done = {"status": OutboxStatus.DONE.value, "completed_at": now, "last_error": None}
    return await _report(target, held, Outcome.DONE, done)


async def complete_all(
    target: Database | AsyncSession, claims: Sequence[Claim], *, now: datetime
) -> dict[int, Outcome]:
    """Mark many claimed messages done in one statement, each checked as `complete` checks
    it (by id, holder and attempt): DONE or LOST, by message id."""
    if not claims:
        return {}
    names = [(c.id, c.worker_id, c.attempt) for c in claims]
    held = tuple_(OutboxMessage.id, OutboxMessage.claimed_by, OutboxMessage.attempts)

    async def work(session: AsyncSession) -> set[int]:
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([c.id for c in claims]),  # the primary key's index
                held.in_(names),
                OutboxMessage.status == OutboxStatus.PENDING.value,
                OutboxMessage.lease_until.is_not(None),
            )
            .values(
                status=OutboxStatus.DONE.value, completed_at=now, last_error=None, lease_until=None
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return set((await session.execute(statement)).scalars())

    done = await _in_session(target, work)
    for c in claims:
        if c.id not in done:
            log.warning("outbox message %d: claim %d of %s was lost", c.id, c.attempt, c.worker_id)
    return {c.id: Outcome.DONE if c.id in done else Outcome.LOST for c in claims}


async def fail(
    target: Database | AsyncSession, held: Claim, error: str | BaseException, *, now: datetime
) -> Outcome:
    """Give up on a claimed message: failed, with `error` kept (bounded)."""
    values = {
        "status": OutboxStatus.FAILED.value,
        "failed_at": now,
        "last_error": bounded_error(error),
    }
    return await _report(target, held, Outcome.FAILED, values)


async def retry_later(
    target: Database | AsyncSession,
    held: Claim,
    error: str | BaseException,
    *,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Outcome:
    """Record a failed attempt and schedule the next one after the policy's back-off, no later
    than the horizon; at the horizon (or after `max_attempts`) the message fails instead."""
    deadline = held.available_at + policy.horizon
    if now >= deadline or (policy.max_attempts is not None and held.attempt >= policy.max_attempts):
        return await fail(target, held, error, now=now)
    next_at = min(now + policy.delay(held.id, held.attempt), deadline)
    values = {"next_attempt_at": next_at, "last_error": bounded_error(error)}
    return await _report(target, held, Outcome.RETRY, values)
