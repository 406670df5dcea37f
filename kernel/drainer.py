"""The drainer: the worker side of the outbox that runs handlers (DESIGN §6). Claims,
reports and back-off are `kernel.claims` (re-exported here).

The rules:

- `drain(db, handlers, worker_id=...)` claims due messages of the kinds it has handlers
  for, a batch at a time, and runs their handlers, up to `concurrency` at once (started in
  due order; one at a time by default), outside any transaction (a slow SMTP or HTTP call
  holds no lock). A `GiveUp` from the handler (or, for a message claimed by hand, no
  handler for its kind): failed at once. Any other error: retried, the error kept. A
  handler runs only while its claim is live: one whose lease has run out is not started,
  one that runs past its lease is cancelled and retried.
- Each report is a short transaction of its own, after its handler returned; completions
  of handlers that end while another completion is being written are written together, in
  one statement that checks each claim's holder and attempt (group commit). A handler may
  instead complete its claim itself (`complete(session, claim)`) in the transaction that
  records its own bookkeeping, and return that Outcome: one transaction, not two.

Delivery is at least once: a worker that dies after the handler's side effect and before its
report leaves the message to be run again after its lease, so handlers (and the receivers of
webhooks, by the event id) must be idempotent.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from kernel.claims import (
    DEFAULT_POLICY,
    LEASE_RAN_OUT,
    Claim,
    Outcome,
    RetryPolicy,
    bounded_error,
    claim,
    complete,
    complete_all,
    fail,
    log,
    retry_later,
)
from kernel.clock import now_utc
from kernel.db import Database

__all__ = [
    "DEFAULT_POLICY",
    "LEASE_RAN_OUT",
    "Claim",
    "GiveUp",
    "Handler",
    "Outcome",
    "RetryPolicy",
    "bounded_error",
    "claim",
    "complete",
    "complete_all",
    "drain",
    "fail",
    "retry_later",
    "run_one",
]


class _GroupCompletion:
    """Completions of one drainer, committed together: a report waits while the one before
    it is written, then writes every report that queued meanwhile in one `complete_all`
    (group commit). An idle drainer thus reports at once, a busy one in batches."""

    def __init__(self, db: Database, now_fn: Callable[[], datetime]) -> None:
        self.db, self.now_fn = db, now_fn
        self.queued: list[tuple[Claim, asyncio.Future[Outcome]]] = []
        self.lock = asyncio.Lock()

    async def __call__(self, held: Claim) -> Outcome:
        entry = (held, asyncio.get_running_loop().create_future())
        self.queued.append(entry)
        try:
            async with self.lock:
                if not entry[1].done():
                    batch, self.queued = self.queued, []
                    try:
                        outcomes = await complete_all(
                            self.db, [c for c, _ in batch], now=self.now_fn()
                        )
                    except BaseException as exc:
                        for _, future in batch:
                            if future is not entry[1]:
                                future.set_exception(exc)
                        raise
                    for c, future in batch:
                        future.set_result(outcomes[c.id])
        except asyncio.CancelledError:
            if entry in self.queued:
                self.queued.remove(entry)
            raise
        return await entry[1]


class GiveUp(Exception):
    """Raised by a handler when retrying cannot help (e.g. an address refused for good):
    the message is marked failed at once, with this exception's text as its error."""


# A handler returns None, and the drainer reports the message done; or it returns the
# Outcome of its own `complete(session, claim)` in the transaction of its own bookkeeping
# (committed before it returns), so the two cost one transaction.
Handler = Callable[[Claim], Awaitable[Outcome | None]]


async def run_one(
    db: Database,
    handlers: Mapping[str, Handler],
    held: Claim,
    *,
    now_fn: Callable[[], datetime] = now_utc,
    policy: RetryPolicy = DEFAULT_POLICY,
    report_done: Callable[[Claim], Awaitable[Outcome]] | None = None,
) -> Outcome:
    """Run the handler of one claimed message, outside any transaction, and report on it:
    done when it returns, failed when there is no handler for the kind or it raises GiveUp,
    retried later when it raises anything else or runs past its lease. A claim whose lease
    has already run out is not run at all (LOST): another worker may hold it by now; one
    that earlier lost attempts took past the policy's limits fails without running.
    `report_done` replaces `complete` (the drainer's group commit)."""
    handler = handlers.get(held.kind)
    if handler is None:
        return await fail(db, held, f"no handler for the kind {held.kind!r}", now=now_fn())
    if policy.gives_up_before(held, now_fn()):
        return await fail(db, held, held.last_error or "gave up", now=now_fn())
    time_left = (held.lease_until - now_fn()).total_seconds()
    if time_left <= 0:
        return Outcome.LOST
    deadline = asyncio.timeout(time_left)
    try:
        async with deadline:
            reported = await handler(held)
    except GiveUp as exc:
        return await fail(db, held, exc, now=now_fn())
    except TimeoutError as exc:
        error = f"TimeoutError: ran past its lease ({time_left:g}s)" if deadline.expired() else exc
        return await retry_later(db, held, error, now=now_fn(), policy=policy)
    except Exception as exc:  # a handler's failure is the message's, never the drainer's
        log.info(
            "outbox message %d (%s) attempt %d failed: %s", held.id, held.kind, held.attempt, exc
        )
        return await retry_later(db, held, exc, now=now_fn(), policy=policy)
    if reported is not None:
        return reported  # the handler completed it in its own transaction
    if report_done is not None:
        return await report_done(held)
    return await complete(db, held, now=now_fn())


async def drain(
    db: Database,
    handlers: Mapping[str, Handler],
    *,
    worker_id: str,
    now_fn: Callable[[], datetime] = now_utc,
    batch: int = 10,
    concurrency: int = 1,
    lease: timedelta = timedelta(minutes=5),
    policy: RetryPolicy = DEFAULT_POLICY,
    max_batches: int | None = None,
    stop: asyncio.Event | None = None,
) -> Counter[Outcome]:
    """Claim due messages of the kinds `handlers` knows, `batch` at a time, and run them,
    up to `concurrency` at once, starting them in due order, until none is due (or after
    `max_batches` claims, or once `stop` is set); returns how many ended how. It claims
    again when a handler slot is free and no claimed message waits for one. Each claim is
    its own short transaction, and so is each report (the completions of handlers that
    end together share one: `_GroupCompletion`): no lock is held while a handler runs. A
    kind this drainer has no handler for is left to a worker that has one (during a rolling
    deploy, an older worker does not fail a newer kind). An error in a report stops the
    claiming; the messages running finish, then it is raised."""
    if concurrency < 1:
        raise ValueError("a drainer runs at least one message at a time")
    report_done = _GroupCompletion(db, now_fn)
    outcomes: Counter[Outcome] = Counter()
    waiting: deque[Claim] = deque()
    running: set[asyncio.Task[Outcome]] = set()
    batches, exhausted = 0, False
    error: BaseException | None = None
    try:
        while True:
            while waiting and len(running) < concurrency:
                run = run_one(
                    db, handlers, waiting.popleft(), now_fn=now_fn, policy=policy,
                    report_done=report_done,
                )  # fmt: skip
                running.add(asyncio.create_task(run))
            free = not waiting and len(running) < concurrency
            more = max_batches is None or batches < max_batches
            if free and more and not exhausted and error is None and not (stop and stop.is_set()):
                try:
                    claims = await claim(
                        db, worker_id, now=now_fn(), limit=batch, lease=lease,
                        kinds=handlers.keys(),
                    )  # fmt: skip
                except Exception as exc:  # the messages running still finish and report
                    error = exc
                    continue
                batches += bool(claims)
                exhausted = not claims
                waiting.extend(claims)
                continue
            if not running:
                break
            ended, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in ended:
                if task.cancelled():
                    continue
                if task.exception() is None:
                    outcomes[task.result()] += 1
                elif error is None:
                    error = task.exception()
    finally:
        for task in running:  # cancelled (a worker's stop): its claims run again later
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    if error is not None:
        raise error
    return outcomes
