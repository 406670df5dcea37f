"""The worker: drains the outbox and schedules the periodic jobs (DESIGN §6).

`tiein worker` runs one in a process of its own, and any number of them may run on any
number of machines; `tiein serve --jobs` runs one inside each server process, in the app's
lifespan. Both are this class, with the same handlers: the messaging package's (e-mails,
merchant webhooks) and the periodic jobs' (`tiein.jobs`).

- Draining: claim a batch of due messages (`kernel.drainer`: one claim goes to one worker),
  run up to `concurrency` handlers at once (`tiein worker --concurrency`), report (the
  completions of handlers ending together in one statement). While there is work the worker
  claims again as soon as a slot is free; when none is due it waits
  `TIEIN_WORKER_POLL_INTERVAL` seconds, or less when `wake()` is called. Webhooks go out
  over connections kept for the worker's life (`WebhookClients`), closed by `stop()`.
  Failed messages are retried on the back-off of `TIEIN_OUTBOX_RETRY_BASE` and
  `TIEIN_OUTBOX_RETRY_MAX` (`retry_policy`), up to the 3-day horizon.
- Scheduling: when a slot of `TIEIN_JOBS_INTERVAL` seconds begins, queue that slot's message
  of each periodic job (once across every worker: see `tiein.jobs`) and wake the drainers.
- A failure outside a handler (the database is down, say) is logged and tried again after
  the poll interval: the worker outlives it. A handler's failure is its message's.
- `stop()` lets the messages claimed so far finish for up to `grace` seconds, then cancels
  them. A message claimed and never reported (a stop, a crash, `kill -9` between commit and
  send) is run again once its lease runs out: nothing is lost, and delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from datetime import timedelta

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Handler, RetryPolicy, drain
from messaging.handlers import handlers as messaging_handlers
from messaging.webhooks import WebhookClients
from orders.payments import StripeGateway
from tiein.jobs import PeriodicJob, job_handlers, next_slot, periodic_jobs, schedule

log = logging.getLogger("tiein.worker")
DEFAULT_LEASE = timedelta(minutes=5)  # a handler running longer is stopped and retried


def retry_policy(settings: Settings) -> RetryPolicy:
    """The outbox's back-off from the settings: the first retry after
    TIEIN_OUTBOX_RETRY_BASE seconds, doubling, at most TIEIN_OUTBOX_RETRY_MAX apart, with a
    little jitter (a function of message and attempt) so retries to one receiver spread."""
    base, cap = settings.outbox_retry_base, settings.outbox_retry_max
    if not 0 < base <= cap:
        raise ValueError(
            f"TIEIN_OUTBOX_RETRY_BASE ({base:g}) must be positive and at most "
            f"TIEIN_OUTBOX_RETRY_MAX ({cap:g})"
        )
    return RetryPolicy(
        first_delay=timedelta(seconds=base), max_delay=timedelta(seconds=cap), jitter=0.1
    )


def worker_name() -> str:
    """A name for this worker's claims: host, process and a random part (two workers in one
    process get different names)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Drains the outbox and schedules the periodic jobs until stopped: `start()` then
    `await stop()`. It uses the given Stripe `gateway` (the app's in-process) and never
    closes it. `handlers` replaces the messaging package's map (tests); `jobs` replaces the
    periodic jobs (an empty list: none). `concurrency` handlers run at once, from claims of
    `batch` messages."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        gateway: StripeGateway | None,
        handlers: Mapping[str, Handler] | None = None,
        jobs: Sequence[PeriodicJob] | None = None,
        name: str | None = None,
        concurrency: int = 1,
        batch: int = 10,
        lease: timedelta = DEFAULT_LEASE,
        grace: float = 5.0,
    ) -> None:
        if not settings.worker_poll_interval > 0:
            raise ValueError("TIEIN_WORKER_POLL_INTERVAL must be a positive number of seconds")
        if not settings.jobs_interval > 0:
            raise ValueError("TIEIN_JOBS_INTERVAL must be a positive number of seconds")
        if concurrency < 1 or batch < 1:
            raise ValueError("a worker runs at least one message at a time, claiming at least one")
        self.db = db
        self.poll_interval = settings.worker_poll_interval
        self.jobs_interval = settings.jobs_interval
        self.policy = retry_policy(settings)
        self.jobs = periodic_jobs(db, gateway) if jobs is None else list(jobs)
        self.clients = WebhookClients()
        own = (
            messaging_handlers(db, settings, clients=self.clients)
            if handlers is None
            else dict(handlers)
        )
        self.handlers = {**own, **job_handlers(self.jobs, interval=self.jobs_interval)}
        self.name = name or worker_name()
        self.concurrency, self.batch, self.lease, self.grace = concurrency, batch, lease, grace
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def start(self) -> None:
        """Start draining (and scheduling, when there are jobs) in the background."""
        if self._tasks:
            return
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self._drain_loop(f"{self.name}/0"), name="tiein-drain")]
        if self.jobs:
            self._tasks.append(asyncio.create_task(self._schedule_loop(), name="tiein-jobs"))
        log.info(
            "worker %s: draining the outbox (%d at a time), periodic jobs every %gs",
            self.name,
            self.concurrency,
            self.jobs_interval,
        )

    def wake(self) -> None:
        """Look for due messages now rather than after the poll interval."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop taking work, let what was claimed finish for up to `grace` seconds, then
        cancel the rest and wait for it (its claims are run again after their leases)."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._stopping.set()
        self._wake.set()
        _done, late = await asyncio.wait(tasks, timeout=self.grace)
        for task in late:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.clients.aclose()

    async def _idle(self, seconds: float) -> None:
        """Wait `seconds`, or until woken or stopped."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0)):
                await self._wake.wait()
        self._wake.clear()

    async def _drain_loop(self, worker_id: str) -> None:
        while not self._stopping.is_set():
            try:
                outcomes = await drain(
                    self.db,
                    self.handlers,
                    worker_id=worker_id,
                    batch=self.batch,
                    concurrency=self.concurrency,
                    lease=self.lease,
                    policy=self.policy,
                    stop=self._stopping,
                )
            except Exception:  # the worker outlives a database that fails it for a while
                log.exception("the outbox could not be drained; again in %gs", self.poll_interval)
                outcomes = None
            if not outcomes:
                await self._idle(self.poll_interval)

    async def _schedule_loop(self) -> None:
        while not self._stopping.is_set():
            now = now_utc()
            try:
                if await schedule(self.db, self.jobs, interval=self.jobs_interval, now=now):
                    self.wake()
                wait = (next_slot(now, self.jobs_interval) - now_utc()).total_seconds()
            except Exception:
                log.exception(
                    "the periodic jobs could not be queued; again in %gs", self.poll_interval
                )
                wait = self.poll_interval
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0)):
                    await self._stopping.wait()
