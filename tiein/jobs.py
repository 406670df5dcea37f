"""The periodic jobs, run inside the app for `tiein serve --jobs` (the default with SQLite
and with the local Stripe stand-in, so `make run` needs nothing else).

Every `interval` seconds: expire unpaid orders whose hold ran out (their items go back on
sale) and reconcile pending payments with Stripe. Both jobs are idempotent and safe beside
the webhook and beside `tiein orders expire` / `tiein payments reconcile` run by hand.

Rules: a failing job is logged and simply runs again at the next tick, it never stops the
runner or the server; stopping the runner cancels it cleanly (an interrupted transaction
rolls back). When several worker processes serve the same database from one machine, only
the one holding the jobs lock (a file beside the database) runs them; another takes over if
it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable
from typing import IO

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database, runtime_path
from orders.payments import StripeGateway
from orders.reconcile import ReconcileReport, expire_orders, reconcile_payments

log = logging.getLogger("tiein.jobs")
LOCK_FILE = "jobs.lock"


class PeriodicJobs:
    """The in-process runner: `start()` in the app's lifespan, `await stop()` at shutdown.
    It uses the app's Stripe `gateway` (None without Stripe: then only unpaid orders without
    a PaymentIntent are expired, and nothing is reconciled) and never closes it: the app
    does, after stopping the runner."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        gateway: StripeGateway | None = None,
        interval: float | None = None,
    ):
        self.db = db
        self.settings = settings
        self.gateway = gateway
        self.interval = settings.jobs_interval if interval is None else interval
        if not self.interval > 0:
            raise ValueError(f"the jobs interval must be positive, not {self.interval}")
        self._task: asyncio.Task[None] | None = None
        self._lock: IO[bytes] | None = None

    def start(self) -> None:
        """Run the jobs now and then every `interval` seconds, in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="tiein-periodic-jobs")

    async def stop(self) -> None:
        """Cancel the runner and wait for it; releases the jobs lock."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    async def _loop(self) -> None:
        while True:
            try:
                if self.try_lead():
                    await self.run_once()
            except Exception:  # the runner outlives any one failure
                log.exception("periodic jobs failed; they run again in %gs", self.interval)
            await asyncio.sleep(self.interval)

    def try_lead(self) -> bool:
        """True when this process holds the jobs lock of its database (taken if free)."""
        if self._lock is not None:
            return True
        path = runtime_path(self.db.url, LOCK_FILE)
        try:
            handle = open(path, "ab")  # noqa: SIM115 (held open while we lead)
        except OSError as exc:
            log.warning("periodic jobs: cannot open %s (%s); running them anyway", path, exc)
            return True
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock = handle
        log.info("periodic jobs run in process %d, every %gs", os.getpid(), self.interval)
        return True

    async def run_once(self) -> None:
        """One tick: expire, then reconcile. A failure is logged, never raised."""
        gateway = self.gateway
        await self._job("orders expire", expire_orders(self.db, gateway, now=now_utc()))
        if gateway is not None:
            await self._job(
                "payments reconcile", reconcile_payments(self.db, gateway, now=now_utc())
            )

    async def _job(self, name: str, work: Awaitable[ReconcileReport]) -> None:
        try:
            report = await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; it runs again in %gs", name, self.interval)
            return
        if report.checked:
            log.info("%s: %s", name, report)
        for error in report.errors:
            log.warning("%s: could not check %s", name, error)
