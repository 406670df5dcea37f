"""The periodic jobs as outbox messages, run by the worker (DESIGN §6).

Rules protected: each job runs once per slot however many workers schedule and drain it (one
message per slot by its dedupe key, one claim per message); a lapsed order is expired by the
server's own worker within a slot and its items go back on sale, and until then the pay page
does not claim they were released; a failing job is logged and marked failed, not retried,
and runs again in the next slot; late slots still run, but a burst of them costs one run, and
a slot whose worker died is left to the next; old job messages are deleted, and nothing else."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from kernel.clock import now_utc
from kernel.config import Settings, load_settings
from kernel.db import Database
from kernel.drainer import Claim, Outcome, claim, drain, run_one
from kernel.outbox import OutboxMessage, enqueue
from orders.models import OrderStatus
from orders.payments import StripeGateway
from tests.factory import Shop, order_shop
from tests.orders.shop import checkout, fetch_order, full_cart, stock_of
from tiein.app import create_app
from tiein.jobs import (
    JOB_HISTORY,
    PeriodicJob,
    job_handlers,
    next_slot,
    periodic_jobs,
    schedule,
    slot_key,
    slot_start,
)
from tiein.worker import Worker

T0 = datetime(2026, 12, 1, 12, 0, 7, 250_000, tzinfo=UTC)


@pytest.fixture
async def shop(db: Database) -> Shop:
    return await order_shop(db, now=now_utc())


async def messages(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    async with db.read_session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list((await session.scalars(query)).all())


def test_slots_are_cut_from_the_epoch_and_named_by_their_start() -> None:
    assert slot_start(T0, 30) == datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert next_slot(T0, 30) == datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
    assert slot_start(T0, 0.2) == datetime(2026, 12, 1, 12, 0, 7, 200_000, tzinfo=UTC)
    assert slot_key("job.expire_orders", slot_start(T0, 0.2)) == (
        "job.expire_orders:2026-12-01T12:00:07.200Z"
    )
    starts = [slot_start(T0, 30) + n * timedelta(seconds=30) for n in range(40)]
    keys = [slot_key("job.expire_orders", start) for start in starts]
    assert sorted(keys) == keys and len({len(k) for k in keys}) == 1  # fixed width, in order
    with pytest.raises(ValueError, match="millisecond"):
        slot_start(T0, 0.0001)


async def test_a_slot_is_queued_once_however_many_workers_schedule_it(
    database_url: str, db: Database
) -> None:
    tick = PeriodicJob("job.tick", "tick", lambda now: asyncio.sleep(0))
    other = Database(database_url)
    try:
        assert await schedule(db, [tick], interval=30, now=T0) == 1
        assert await schedule(other, [tick], interval=30, now=T0 + timedelta(seconds=20)) == 0
        assert await schedule(other, [tick], interval=60, now=T0) == 0  # 12:00:00 again
        assert await schedule(db, [tick], interval=30, now=T0 + timedelta(seconds=30)) == 1
    finally:
        await other.dispose()

    queued = await messages(db)
    assert [m.dedupe_key for m in queued] == [
        "job.tick:2026-12-01T12:00:00.000Z",
        "job.tick:2026-12-01T12:00:30.000Z",
    ]
    assert queued[0].next_attempt_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # due at once
    assert queued[0].payload == {"slot": "2026-12-01T12:00:00.000Z"}


async def test_the_jobs_are_expire_orders_prune_outbox_expire_agreements_and_reconcile(
    db: Database, gateway: StripeGateway
) -> None:
    assert [job.kind for job in periodic_jobs(db, None)] == [
        "job.expire_orders",
        "job.prune_outbox",
        "job.expire_agreements",
        "job.remind_sales_reports",
        "job.forecast_stock_alerts",
        "job.refresh_recommendations",
    ]
    jobs = periodic_jobs(db, gateway)
    assert [(j.kind, j.name) for j in jobs] == [
        ("job.expire_orders", "orders expire"),
        ("job.prune_outbox", "outbox prune"),
        ("job.expire_agreements", "agreements expire"),
        ("job.remind_sales_reports", "sales reports remind"),
        ("job.forecast_stock_alerts", "stock forecast alerts"),
        ("job.refresh_recommendations", "recommendations refresh"),
        ("job.reconcile_payments", "payments reconcile"),
    ]
    await schedule(db, jobs, interval=30, now=T0)
    assert sorted(m.dedupe_key or "" for m in await messages(db)) == [
        "job.expire_agreements:2026-12-01T12:00:00.000Z",
        "job.expire_orders:2026-12-01T12:00:00.000Z",
        "job.forecast_stock_alerts:2026-12-01T12:00:00.000Z",
        "job.prune_outbox:2026-12-01T12:00:00.000Z",
        "job.reconcile_payments:2026-12-01T12:00:00.000Z",
        "job.refresh_recommendations:2026-12-01T12:00:00.000Z",
        "job.remind_sales_reports:2026-12-01T12:00:00.000Z",
    ]


async def test_two_workers_run_each_slot_of_a_job_exactly_once(
    database_url: str, db: Database, settings: Settings
) -> None:
    fast = dataclasses.replace(settings, jobs_interval=0.2, worker_poll_interval=0.02)
    runs: list[datetime] = []

    async def tick(now: datetime) -> None:
        runs.append(now)

    claimed: Counter[str] = Counter()
    engines = [Database(database_url), Database(database_url)]
    workers = [
        Worker(engine, fast, gateway=None, handlers={}, jobs=[PeriodicJob("job.tick", "t", tick)])
        for engine in engines
    ]
    for worker in workers:
        run = worker.handlers["job.tick"]

        async def counted(held: Claim, run: Any = run) -> None:
            claimed[held.dedupe_key or ""] += 1
            await run(held)

        worker.handlers["job.tick"] = counted
    try:
        for worker in workers:
            worker.start()
        await asyncio.sleep(2.5)
    finally:
        for worker in workers:
            await worker.stop()
        for engine in engines:
            await engine.dispose()

    ticks = await messages(db, "job.tick")
    slots = [m.dedupe_key for m in ticks if m.status == "done"]
    assert len(slots) >= 6  # ~12 slots of 0.2 s, on a busy machine a few fewer
    assert set(claimed) >= set(slots) and set(claimed.values()) == {1}  # each run once
    assert {m.attempts for m in ticks if m.status == "done"} == {1}
    assert len(slots) // 2 <= len(runs) <= len(slots)  # a slot is never run twice


async def test_a_failing_job_is_marked_failed_logged_and_runs_again_in_the_next_slot(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    fast = dataclasses.replace(settings, jobs_interval=0.1, worker_poll_interval=0.02)

    async def broken(now: datetime) -> None:
        raise RuntimeError("Stripe is down")

    worker = Worker(db, fast, gateway=None, handlers={}, jobs=[PeriodicJob("job.b", "b", broken)])
    caplog.set_level(logging.ERROR, logger="tiein.jobs")
    worker.start()
    try:
        deadline = time.monotonic() + 15
        while len([m for m in await messages(db) if m.status == "failed"]) < 2:
            assert time.monotonic() < deadline, "the failing job did not run again"
            await asyncio.sleep(0.02)
        assert worker.running
    finally:
        await worker.stop()

    failed = [m for m in await messages(db) if m.status == "failed"]
    assert {(m.attempts, m.last_error) for m in failed} == {
        (1, "GiveUp: RuntimeError: Stripe is down")
    }
    assert "b failed; it runs again in the next slot" in caplog.text


async def test_late_slots_run_but_a_burst_of_them_costs_one_run(db: Database) -> None:
    runs: list[datetime] = []

    async def tick(now: datetime) -> None:
        runs.append(now)

    jobs = [PeriodicJob("job.tick", "tick", tick)]
    for n in range(5):  # five slots queued while the drainers were stuck
        assert await schedule(db, jobs, interval=30, now=T0 + n * timedelta(seconds=30)) == 1
    clock = [T0 + timedelta(seconds=150)]
    handlers = job_handlers(jobs, interval=30, now_fn=lambda: clock[0])

    assert await drain(db, handlers, worker_id="w", now_fn=lambda: clock[0]) == {Outcome.DONE: 5}
    assert runs == [T0 + timedelta(seconds=150)]  # the first ran (late), the rest were skipped

    clock[0] = T0 + timedelta(seconds=165)  # half an interval on: the next slot runs
    await schedule(db, jobs, interval=30, now=clock[0])
    assert await drain(db, handlers, worker_id="w", now_fn=lambda: clock[0]) == {Outcome.DONE: 1}
    assert runs == [T0 + timedelta(seconds=150), T0 + timedelta(seconds=165)]
    assert {m.status for m in await messages(db)} == {"done"}


async def test_a_job_message_claimed_again_after_its_worker_died_is_not_run_again(
    db: Database,
) -> None:
    runs: list[datetime] = []

    async def tick(now: datetime) -> None:
        runs.append(now)

    jobs = [PeriodicJob("job.tick", "tick", tick)]
    await schedule(db, jobs, interval=30, now=T0)
    await claim(db, "died", now=T0, lease=timedelta(seconds=20))  # and never reported
    later = T0 + timedelta(seconds=21)
    [held] = await claim(db, "w", now=later)
    handlers = job_handlers(jobs, interval=30, now_fn=lambda: later)
    outcome = await run_one(db, handlers, held, now_fn=lambda: later)

    assert (held.attempt, outcome, runs) == (2, Outcome.DONE, [])  # the next slot runs it


async def test_job_messages_are_deleted_a_day_after_their_slot_and_nothing_else(
    db: Database,
) -> None:
    jobs = [PeriodicJob("job.tick", "tick", lambda now: asyncio.sleep(0))]
    await schedule(db, jobs, interval=30, now=T0)  # to be run, then forgotten
    await schedule(db, jobs, interval=30, now=T0 + timedelta(seconds=30))  # never run
    async with db.session() as session:  # another kind whose key sorts among the job's
        key = "job.tick:2026-11-01T00:00:00.000Z"
        await enqueue(session, "email.receipt", {"order_id": 1}, now=T0, dedupe_key=key)
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.kind == "email.receipt").values(status="done")
        )
    [first] = await claim(db, "w", now=T0, limit=1)
    await run_one(db, job_handlers(jobs, interval=30, now_fn=lambda: T0), first, now_fn=lambda: T0)

    await schedule(db, jobs, interval=30, now=T0 + JOB_HISTORY)
    assert len(await messages(db)) == 4  # the first slot is not a day old yet
    await schedule(db, jobs, interval=30, now=T0 + JOB_HISTORY + timedelta(seconds=30))

    assert [(m.kind, m.status) for m in await messages(db)] == [
        ("job.tick", "pending"),  # never run: kept
        ("email.receipt", "done"),
        ("job.tick", "pending"),
        ("job.tick", "pending"),
    ]


async def lapsed_order(db: Database, shop: Shop, gateway: StripeGateway):
    """An order placed 20 minutes ago: its 15-minute hold has run out, its items are held."""
    placed = await checkout(db, full_cart(shop), gateway, now=now_utc() - timedelta(minutes=20))
    assert await stock_of(db, shop.shirt_id) == 50 - 3
    return placed


async def test_the_lapsed_pay_page_says_the_items_are_still_held(
    db: Database, shop: Shop, gateway: StripeGateway, client: httpx.AsyncClient
) -> None:
    placed = await lapsed_order(db, shop, gateway)

    page = await client.get(f"/pay/{placed.order.number}", params={"key": placed.access_key})

    assert page.status_code == 200
    assert "The time to pay for this order has run out" in page.text
    assert "were released" not in page.text  # they are not, until the expiry job runs
    assert "still set aside" in page.text
    assert await stock_of(db, shop.shirt_id) == 50 - 3


async def test_the_servers_worker_expires_a_lapsed_order_within_a_slot_and_its_stock_is_back(
    db: Database, shop: Shop, gateway: StripeGateway, stripe_settings: Settings
) -> None:
    placed = await lapsed_order(db, shop, gateway)
    settings = dataclasses.replace(
        stripe_settings, jobs=True, jobs_interval=0.2, worker_poll_interval=0.05
    )
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert app.state.worker is not None and app.state.worker.running
        deadline = time.monotonic() + 15
        while (await fetch_order(db, placed.order.id)).status == OrderStatus.PENDING_PAYMENT:
            assert time.monotonic() < deadline, "the worker did not expire the order"
            await asyncio.sleep(0.05)
        page = await client.get(f"/pay/{placed.order.number}", params={"key": placed.access_key})
        worker = app.state.worker

    assert not worker.running  # stopped with the app
    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.EXPIRED
    assert await stock_of(db, shop.shirt_id) == 50
    assert (await gateway.retrieve_intent(placed.order.payment_intent_id or "")).status == (
        "canceled"
    )
    assert page.status_code == 303  # nothing to pay any more: on to the order page
    assert page.headers["location"].startswith(f"/orders/{placed.order.number}?")
    assert {m.kind for m in await messages(db)} >= {"job.expire_orders", "job.reconcile_payments"}


async def test_without_jobs_the_app_runs_no_worker(settings: Settings, db: Database) -> None:
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        assert app.state.worker is None
    assert await messages(db) == []


def test_jobs_settings_come_from_the_environment() -> None:
    assert load_settings({}).jobs is False
    assert load_settings({}).jobs_interval == 30
    on = load_settings({"TIEIN_JOBS": "1", "TIEIN_JOBS_INTERVAL": "2.5"})
    assert (on.jobs, on.jobs_interval) == (True, 2.5)
