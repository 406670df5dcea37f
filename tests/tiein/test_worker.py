"""The worker (DESIGN §6): it drains the outbox, in `tiein worker` or inside `tiein serve`.

Rules protected: a message committed and claimed by a worker that dies before its handler
finishes is run after a restart (nothing lost); two workers on separate engines never run
one message twice and together run them all; a failing handler is retried on the back-off
of the settings until it succeeds (three runs, one success); a failing database is logged
and the worker lives on; `tiein worker` has help, runs the periodic jobs with its own Stripe
gateway and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.config import Settings, load_settings
from kernel.db import Database
from kernel.drainer import Claim
from kernel.outbox import OutboxMessage, enqueue
from orders.models import OrderStatus
from orders.payments import StripeGateway
from tests.factory import order_shop
from tests.orders.shop import checkout, fetch_order, full_cart, stock_of
from tiein.cli import main
from tiein.worker import Worker, retry_policy

ROOT = Path(__file__).resolve().parents[2]
TIEIN = [sys.executable, "-c", "import sys; from tiein.cli import main; sys.exit(main())"]


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Settings whose poll interval and back-off are milliseconds."""
    return dataclasses.replace(
        settings, worker_poll_interval=0.02, outbox_retry_base=0.01, outbox_retry_max=0.04
    )


async def queue(db: Database, kind: str, count: int = 1) -> list[int]:
    """`count` messages of `kind` ({"n": 0…}), committed in one transaction."""
    async with db.session() as session:
        ids = [await enqueue(session, kind, {"n": n}, now=now_utc()) for n in range(count)]
    assert None not in ids
    return [i for i in ids if i is not None]


async def messages(db: Database) -> list[OutboxMessage]:
    async with db.read_session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def all_done(db: Database) -> bool:
    return all(m.status == "done" for m in await messages(db))


async def test_a_worker_that_dies_before_its_handler_finishes_loses_nothing(
    db: Database, fast: Settings
) -> None:
    [message_id] = await queue(db, "test.send")
    started, sent = asyncio.Event(), []

    async def hangs(held: Claim) -> None:
        started.set()
        await asyncio.Event().wait()  # the process dies here, mid-send

    async def sends(held: Claim) -> None:
        sent.append(held.id)

    lease = timedelta(seconds=0.5)
    first = Worker(db, fast, gateway=None, handlers={"test.send": hangs}, jobs=[], lease=lease)
    first.grace = 0  # no time to finish: as good as killed
    first.start()
    await asyncio.wait_for(started.wait(), 10)
    await first.stop()
    [held] = await messages(db)
    assert (held.status, held.attempts, held.lease_until is not None) == ("pending", 1, True)

    restarted = Worker(db, fast, gateway=None, handlers={"test.send": sends}, jobs=[], lease=lease)
    restarted.start()
    try:
        await eventually(lambda: all_done(db), "the message was not sent after the restart")
    finally:
        await restarted.stop()

    [done] = await messages(db)
    assert sent == [message_id]
    assert (done.status, done.attempts, done.last_error) == ("done", 2, None)
    assert done.claimed_by is not None and done.claimed_by.startswith(restarted.name)


async def test_two_workers_on_their_own_engines_never_run_a_message_twice(
    database_url: str, db: Database, fast: Settings
) -> None:
    await queue(db, "test.count", 200)
    runs: Counter[int] = Counter()

    async def count(held: Claim) -> None:
        runs[held.payload["n"]] += 1
        await asyncio.sleep(0.001)  # the other worker claims meanwhile

    engines = [Database(database_url), Database(database_url)]
    workers = [
        Worker(engine, fast, gateway=None, handlers={"test.count": count}, jobs=[], batch=5)
        for engine in engines
    ]
    try:
        for worker in workers:
            worker.start()
        await eventually(lambda: all_done(db), "the workers did not run every message", 60)
    finally:
        for worker in workers:
            await worker.stop()
        for engine in engines:
            await engine.dispose()

    assert runs == Counter(range(200))  # each message once
    done = await messages(db)
    assert {m.attempts for m in done} == {1}
    by = Counter(m.claimed_by.rsplit("/", 1)[0] for m in done if m.claimed_by)
    assert set(by) == {w.name for w in workers}  # both took part


async def test_two_workers_running_four_at_a_time_run_each_message_once(
    database_url: str, db: Database, fast: Settings
) -> None:
    await queue(db, "test.count", 120)
    runs: Counter[int] = Counter()
    running: Counter[str] = Counter()
    most: Counter[str] = Counter()

    async def count(held: Claim) -> None:
        name = held.worker_id.rsplit("/", 1)[0]
        running[name] += 1
        most[name] = max(most[name], running[name])
        await asyncio.sleep(0.002)
        runs[held.payload["n"]] += 1
        running[name] -= 1

    engines = [Database(database_url), Database(database_url)]
    workers = [
        Worker(engine, fast, gateway=None, handlers={"test.count": count}, jobs=[], concurrency=4)
        for engine in engines
    ]
    try:
        for worker in workers:
            worker.start()
        await eventually(lambda: all_done(db), "the workers did not run every message", 60)
    finally:
        for worker in workers:
            await worker.stop()
        for engine in engines:
            await engine.dispose()

    assert runs == Counter(range(120))  # each message once
    assert {m.attempts for m in await messages(db)} == {1}
    assert 1 < max(most.values()) <= 4  # side by side, never more than asked


async def test_a_handler_failing_twice_then_succeeding_runs_three_times_on_the_settings_back_off(
    db: Database, fast: Settings
) -> None:
    [message_id] = await queue(db, "test.flaky")
    attempts: list[float] = []

    async def flaky(held: Claim) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("the receiver answered 500")

    worker = Worker(db, fast, gateway=None, handlers={"test.flaky": flaky}, jobs=[])
    worker.start()
    try:
        await eventually(lambda: all_done(db), "the flaky message never succeeded", 10)
    finally:
        await worker.stop()

    [done] = await messages(db)
    assert (done.id, done.status, done.attempts, done.last_error) == (message_id, "done", 3, None)
    assert len(attempts) == 3
    waits = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(wait >= 0.01 for wait in waits)  # each retry waited for its back-off


def test_the_back_off_comes_from_the_settings() -> None:
    policy = retry_policy(Settings(outbox_retry_base=2, outbox_retry_max=10))
    assert 2 <= policy.delay(1, 1).total_seconds() <= 2.2
    assert 8 <= policy.delay(1, 3).total_seconds() <= 8.8
    assert 10 <= policy.delay(1, 9).total_seconds() <= 11
    assert policy.horizon == timedelta(days=3)  # SPEC §8, whatever the schedule
    with pytest.raises(ValueError, match="TIEIN_OUTBOX_RETRY_BASE"):
        retry_policy(Settings(outbox_retry_base=60, outbox_retry_max=10))
    with pytest.raises(ValueError, match="TIEIN_WORKER_POLL_INTERVAL"):
        Worker(Database("sqlite+aiosqlite://"), Settings(worker_poll_interval=0), gateway=None)


def test_the_worker_settings_come_from_the_environment() -> None:
    default = load_settings({})
    assert (default.worker_poll_interval, default.outbox_retry_base) == (1, 30)
    assert default.outbox_retry_max == 6 * 3600
    env = {
        "TIEIN_WORKER_POLL_INTERVAL": "0.5",
        "TIEIN_OUTBOX_RETRY_BASE": "0.01",
        "TIEIN_OUTBOX_RETRY_MAX": "2",
    }
    changed = load_settings(env)
    assert (changed.worker_poll_interval, changed.outbox_retry_base) == (0.5, 0.01)
    assert changed.outbox_retry_max == 2


async def test_a_worker_outlives_a_database_that_fails_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/no-tables.db"  # every query fails: no such table
    broken = Database(url)
    settings = Settings(database_url=url, worker_poll_interval=0.05, jobs_interval=0.05)
    worker = Worker(broken, settings, gateway=None)
    caplog.set_level(logging.ERROR, logger="tiein.worker")
    worker.start()
    try:

        async def failed_twice_each() -> bool:
            text = [r.getMessage() for r in caplog.records]
            drained = sum("could not be drained" in t for t in text)
            return drained >= 2 and sum("could not be queued" in t for t in text) >= 2

        await eventually(failed_twice_each, "the worker did not try again")
        assert worker.running
    finally:
        await worker.stop()
        await broken.dispose()
    assert not worker.running


def test_tiein_worker_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "outbox" in out and "periodic jobs" in out
    assert "--concurrency" in out and "--jobs-interval" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "worker" in capsys.readouterr().out


def test_tiein_worker_refuses_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--concurrency", "0"]) == 1
    assert capsys.readouterr().err.strip() == "tiein: --concurrency must be at least 1"


@pytest.mark.slow
async def test_tiein_worker_expires_a_lapsed_order_with_its_own_gateway_and_stops_on_sigterm(
    database_url: str,
    db: Database,
    gateway: StripeGateway,
    stripe_settings: Settings,
    tmp_path: Path,
) -> None:
    shop = await order_shop(db, now=now_utc())
    placed = await checkout(db, full_cart(shop), gateway, now=now_utc() - timedelta(minutes=20))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "TIEIN_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TIEIN_DATABASE_URL=database_url,
        TIEIN_JOBS_INTERVAL="0.3",
        TIEIN_WORKER_POLL_INTERVAL="0.05",
        STRIPE_SECRET_KEY=stripe_settings.stripe_secret_key,
        STRIPE_API_BASE=stripe_settings.stripe_api_base,
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 (a child to signal, not to await)
            [*TIEIN, "worker"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:

        async def expired() -> bool:
            assert process.poll() is None, log.read_text()
            return (await fetch_order(db, placed.order.id)).status == OrderStatus.EXPIRED

        await eventually(expired, "tiein worker did not expire the order", 60)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 30)

    output = log.read_text()
    assert code == 0, output
    assert "periodic jobs every 0.3s" in output and "stopped" in output
    assert "Traceback" not in output
    assert await stock_of(db, shop.shirt_id) == 50
    intent = await gateway.retrieve_intent(placed.order.payment_intent_id or "")
    assert intent.status == "canceled"  # its own gateway asked Stripe first
