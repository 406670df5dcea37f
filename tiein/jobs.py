"""The periodic jobs as outbox messages: each runs once per slot of `TIEIN_JOBS_INTERVAL`
seconds, however many workers run on however many machines (DESIGN §6).

How: time is cut into slots of `interval` seconds counted from the Unix epoch, so every
machine cuts it the same way. Each worker's scheduler (`tiein.worker`), when a slot begins,
queues one message per job for it, due at the slot's start, with the dedupe key
`job.expire_orders:<slot start>` (say `job.expire_orders:2026-12-01T12:00:30.000Z`). The
outbox keeps the first message under a key and ignores the others (a unique column and
`ON CONFLICT DO NOTHING`, the same on SQLite and PostgreSQL), and the drainer's claim gives
that one message to one worker. There is no lock, leader or table of its own (a lease row
would need both, and its own take-over rule): a worker that dies holds nothing but its claims,
which others take over when their leases run out. Workers configured with different intervals
still run each slot start once (the key is the time).

Rules:
- The jobs are `orders expire` (`expire_orders`), `outbox prune` (`kernel.outbox.prune`),
  `agreements expire` (`licensing.lifecycle.expire_agreements`), `sales reports remind`
  (`licensing.report_reminders`: missing reports, once each), `stock forecast alerts`
  (`forecast_stock_alerts`: `stock.low` for products the demand forecast expects to run
  out of, once per product per day), `recommendations refresh` (`refresh_recommendations`)
  and, with Stripe, `payments reconcile` (`reconcile_payments`): idempotent, safe beside the
  webhook, beside each other and beside the CLI verbs an operator runs by hand.
- A job that raises is logged and its message marked failed with the error; it is not
  retried, the next slot runs the job again.
- A job's message is not retried either: claimed a second time (its run outlived its lease,
  or its worker died), it is done without running, and the next slot runs the job.
- Late messages are not dropped: behind a backlog of e-mails the jobs run late, but run.
  A worker runs one job at most once per half interval, though: the slots that piled up while
  the drainers were stuck cost one run, not one each (the others are done without running).
- The scheduler deletes job messages a day (`JOB_HISTORY`) after their slot, so the outbox
  does not grow by a row per slot for ever; everything else in the outbox is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from kernel.clock import now_utc
from kernel.db import Database
from kernel.drainer import Claim, GiveUp, Handler, bounded_error
from kernel.outbox import OutboxMessage, OutboxStatus, enqueue, prune
from licensing.lifecycle import expire_agreements
from licensing.report_reminders import remind_sales_reports
from licensing.stock_alerts import alert_forecast_stock_outs
from orders.payments import StripeGateway
from orders.reconcile import ReconcileReport, expire_orders, reconcile_payments
from reports.forecast import WINDOW_DAYS
from reports.forecast_loader import load_forecasts
from reports.recommendations import refresh_recommendations

log = logging.getLogger("tiein.jobs")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
JOB_HISTORY = timedelta(days=1)


@dataclass(frozen=True)
class PeriodicJob:
    """A job run once per slot: `kind` names its outbox messages (`job.…`), `name` is how the
    log calls it, `run(now)` does the work and returns a report to log (or None)."""

    kind: str
    name: str
    run: Callable[[datetime], Awaitable[ReconcileReport | None]]


# The jobs of `periodic_jobs` in words, for the help of `tiein worker` and `tiein serve --jobs`.
JOBS_IN_WORDS = (
    "expire unpaid orders, reconcile payments, prune old outbox messages, expire agreements "
    "past their term and sell-off, remind merchants of missing sales reports, alert merchants "
    "of products the forecast expects to run out, recount the recommendations' co-purchases"
)


def periodic_jobs(db: Database, gateway: StripeGateway | None) -> list[PeriodicJob]:
    """tiein's periodic jobs, with the worker's Stripe `gateway` (None without Stripe: then
    only unpaid orders without a PaymentIntent expire, and payments are not reconciled)."""
    jobs = [
        PeriodicJob(
            "job.expire_orders",
            "orders expire",
            lambda now: expire_orders(db, gateway, now=now),
        ),
        PeriodicJob("job.prune_outbox", "outbox prune", lambda now: prune_outbox(db, now=now)),
        PeriodicJob(
            "job.expire_agreements",
            "agreements expire",
            lambda now: expire_agreements_job(db, now=now),
        ),
        PeriodicJob(
            "job.remind_sales_reports",
            "sales reports remind",
            lambda now: remind_sales_reports(db, now=now),
        ),
        PeriodicJob(
            "job.forecast_stock_alerts",
            "stock forecast alerts",
            lambda now: forecast_stock_alerts(db, now=now),
        ),
        PeriodicJob(
            "job.refresh_recommendations",
            "recommendations refresh",
            lambda now: refresh_recommendations_job(db, now=now),
        ),
    ]
    if gateway is not None:
        jobs.append(
            PeriodicJob(
                "job.reconcile_payments",
                "payments reconcile",
                lambda now: reconcile_payments(db, gateway, now=now),
            )
        )
    return jobs


async def prune_outbox(db: Database, *, now: datetime) -> None:
    """Delete old finished outbox messages (`kernel.outbox.prune`: 30 days done, 90 failed)."""
    async with db.session() as session:
        deleted = await prune(session, now=now)
    if deleted:
        log.info("outbox prune: %d old messages deleted", deleted)


async def expire_agreements_job(db: Database, *, now: datetime) -> None:
    """Mark `expired` the active agreements past their end date and sell-off
    (`licensing.lifecycle.expire_agreements`)."""
    async with db.session() as session:
        codes = await expire_agreements(session, now=now)
    if codes:
        log.info("agreements expire: %d expired (%s)", len(codes), ", ".join(codes[:20]))


async def forecast_stock_alerts(db: Database, *, now: datetime) -> None:
    """`stock.low` to the merchants of products the demand forecast flags as running out in
    the next 14 days (reports.forecast), once per product per UTC day."""
    async with db.session() as session:
        films = await load_forecasts(session, now=now)
        expected = {
            row.product_id: f"{row.forecast.expected_units:.2f}"
            for film in films
            for row in film.rows
            if row.forecast.stock_out
        }
        alerted = await alert_forecast_stock_outs(
            session, expected, window_days=WINDOW_DAYS, now=now
        )
    if alerted:
        log.info("stock forecast alerts: %d products flagged", len(alerted))


async def refresh_recommendations_job(db: Database, *, now: datetime) -> None:
    """Recount the co-purchases behind the storefront's recommendations."""
    async with db.session() as session:
        rows = await refresh_recommendations(session, now=now)
    log.info("recommendations refresh: %d co-purchase rows", rows)


def _step(interval: float) -> int:
    step = round(interval * 1000)
    if step < 1:
        raise ValueError(f"the jobs interval must be at least a millisecond, not {interval}")
    return step


def slot_start(now: datetime, interval: float) -> datetime:
    """The start of the slot of `interval` seconds that holds `now` (slots count from the
    Unix epoch, whole milliseconds, so every machine agrees)."""
    elapsed = (now - EPOCH) // MS
    return EPOCH + (elapsed - elapsed % _step(interval)) * MS


def next_slot(now: datetime, interval: float) -> datetime:
    """When the slot after the one holding `now` begins."""
    return slot_start(now, interval) + _step(interval) * MS


def slot_key(kind: str, start: datetime) -> str:
    """The dedupe key of `kind`'s message for the slot beginning at `start`. Fixed width,
    so the keys of one kind sort by time (the history is deleted by key range)."""
    return f"{kind}:{start:%Y-%m-%dT%H:%M:%S}.{start.microsecond // 1000:03d}Z"


async def schedule(
    db: Database, jobs: Sequence[PeriodicJob], *, interval: float, now: datetime
) -> int:
    """Queue each job's message for the slot holding `now`, unless some worker already did,
    and delete job messages older than JOB_HISTORY. Returns how many this call queued."""
    start = slot_start(now, interval)
    queued = 0
    async with db.session() as session:
        for job in jobs:
            key = slot_key(job.kind, start)
            payload = {"slot": key.split(":", 1)[1]}
            message_id = await enqueue(
                session, job.kind, payload, now=now, dedupe_key=key, available_at=start
            )
            queued += message_id is not None
    # Its own transaction: the slot's messages stand even if this clean-up fails.
    await _forget(db, (job.kind for job in jobs), before=start - JOB_HISTORY)
    return queued


async def _forget(db: Database, kinds: Iterable[str], *, before: datetime) -> None:
    """Delete the run (or failed) messages of `kinds` for slots before `before`. By key range
    (the dedupe key's unique index), so it reads only those rows, never the whole outbox."""
    async with db.session() as session:
        for kind in kinds:
            await session.execute(
                delete(OutboxMessage)
                .where(
                    OutboxMessage.dedupe_key > f"{kind}:",
                    OutboxMessage.dedupe_key < slot_key(kind, before),
                    OutboxMessage.kind == kind,
                    OutboxMessage.status != OutboxStatus.PENDING.value,
                )
                .execution_options(synchronize_session=False)
            )


def job_handlers(
    jobs: Sequence[PeriodicJob],
    *,
    interval: float,
    now_fn: Callable[[], datetime] = now_utc,
) -> dict[str, Handler]:
    """The outbox handler of each job's messages, for the drainer."""
    # Normal slots come an interval apart, give or take the scheduling; a burst of late ones
    # comes at once. Half an interval tells them apart.
    spacing = _step(interval) * MS / 2
    last_run: dict[str, datetime] = {}  # this worker's own runs: no state shared between them

    def handler(job: PeriodicJob) -> Handler:
        async def run(held: Claim) -> None:
            now = now_fn()
            if held.attempt > 1:
                log.warning(
                    "%s: %s was cut short; the next slot runs it", job.name, held.dedupe_key
                )
                return
            if job.kind in last_run and now - last_run[job.kind] < spacing:
                log.info("%s: %s comes late, just after a run: skipped", job.name, held.dedupe_key)
                return
            last_run[job.kind] = now
            try:
                report = await job.run(now)
            except Exception as exc:
                log.exception("%s failed; it runs again in the next slot", job.name)
                raise GiveUp(bounded_error(exc)) from exc
            if report is not None and report.checked:
                log.info("%s: %s", job.name, report)
            for error in report.errors if report is not None else ():
                log.warning("%s: could not check %s", job.name, error)

        return run

    return {job.kind: handler(job) for job in jobs}
