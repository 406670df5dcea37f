"""Staff sign-in: one argon2 verification whoever asks, off the event loop, and a throttle per
account and per address that every worker shares (SPEC §11)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import argon2
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from kernel.config import Settings
from kernel.db import Database
from kernel.errors import DomainError
from licensing import accounts
from licensing.accounts import (
    _dummy_hash,
    create_staff_user,
)
from licensing.codes import LicensingError
from licensing.models import SignInAttempt
from licensing.staff_sessions import (
    SignInLimits,
    SignInThrottled,
    deactivate_staff_user,
    sign_in_staff,
)
from tiein.app import create_app

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"
# Cheap argon2 parameters for the throttle's scenarios, which are about counting, not cost.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts the hashes and verifications it runs."""

    def __init__(self, **parameters: int) -> None:
        super().__init__(**parameters)
        self.calls = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.calls += 1
        return super().verify(hash, password)


async def staff(db: Database, username: str = "ana") -> None:
    async with db.session() as session:
        await create_staff_user(session, username=username, password=PASSWORD, hasher=CHEAP)


async def attempt(db: Database, username: str, password: str, **kwargs: object) -> str:
    """Sign in and say how it went: "ok", "refused" or "throttled:<retry_after>"."""
    kwargs.setdefault("address", "192.0.2.1")
    kwargs.setdefault("hasher", CHEAP)
    try:
        await sign_in_staff(db, username, password, **kwargs)  # type: ignore[arg-type]
    except SignInThrottled as exc:
        return f"throttled:{exc.retry_after}"
    except DomainError as exc:
        assert exc.code == LicensingError.SIGN_IN_FAILED
        return "refused"
    return "ok"


async def test_every_refusal_costs_exactly_one_argon2_verification(db: Database) -> None:
    await staff(db)
    await staff(db, "gone")
    async with db.session() as session:
        await deactivate_staff_user(session, "gone")
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    # The dummy hash is made once per set of parameters, with exactly those parameters.
    assert argon2.extract_parameters(_dummy_hash(hasher)) == argon2.extract_parameters(
        hasher.hash("x")
    )
    cases = [("ana", "wrong password!", "refused"), ("nobody", PASSWORD, "refused")]
    cases += [("gone", PASSWORD, "refused"), ("ana", PASSWORD, "ok")]
    for index, (username, password, expected) in enumerate(cases):
        hasher.calls = 0
        address = f"192.0.2.{index + 10}"
        outcome = await attempt(db, username, password, address=address, hasher=hasher)
        assert outcome == expected, username
        assert hasher.calls == 1, (username, hasher.calls)


class ThreadRecordingHasher(PasswordHasher):
    """A real argon2 hasher that records the thread each verification runs on."""

    def __init__(self, **parameters: int) -> None:
        super().__init__(**parameters)
        self.threads: list[int] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.threads.append(threading.get_ident())
        return super().verify(hash, password)


async def test_argon2_runs_off_the_event_loop(db: Database) -> None:
    """argon2 takes ~100 ms of CPU per run: on the event loop it would stop every other
    request for that long. Each verification runs on a worker thread, never the loop's."""
    await staff(db)
    hasher = ThreadRecordingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    outcomes = await asyncio.gather(
        attempt(db, "ana", "wrong password!", address="192.0.2.1", hasher=hasher),
        attempt(db, "nobody", "guess", address="192.0.2.2", hasher=hasher),
        attempt(db, "ana", PASSWORD, address="192.0.2.3", hasher=hasher),
    )
    assert sorted(outcomes) == ["ok", "refused", "refused"]
    assert len(hasher.threads) == 3
    assert threading.get_ident() not in hasher.threads


async def test_five_failures_lock_the_account_for_the_rest_of_the_window(db: Database) -> None:
    await staff(db)
    for minute in range(5):
        outcome = await attempt(db, "ana", "wrong password!", now=NOW + timedelta(minutes=minute))
        assert outcome == "refused"
    # The 6th try, 5 minutes after the first, waits until the first leaves the 15-minute window,
    # and the right password is refused too (the lock-out is no oracle), without argon2.
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    later = NOW + timedelta(minutes=5)
    assert await attempt(db, "ana", PASSWORD, now=later, hasher=hasher) == "throttled:600"
    assert await attempt(db, "ANA ", PASSWORD, now=later, address="203.0.113.9") == (
        "throttled:600"
    )
    assert hasher.calls == 0
    # Throttled tries do not extend the lock: once the first failure is 15 minutes old, a
    # slot is free again.
    assert await attempt(db, "ana", PASSWORD, now=NOW + timedelta(minutes=15, seconds=1)) == "ok"


async def test_a_success_clears_the_accounts_failures(db: Database) -> None:
    await staff(db)
    for round_ in range(2):
        for second in range(4):
            at = NOW + timedelta(minutes=round_, seconds=second)
            assert await attempt(db, "ana", "wrong password!", now=at) == "refused"
        assert await attempt(db, "ana", PASSWORD, now=NOW + timedelta(minutes=round_ + 0.5)) == (
            "ok"
        )


async def test_twenty_failures_lock_the_address_whatever_the_username(db: Database) -> None:
    await staff(db)
    limits = SignInLimits()
    for index in range(limits.per_address):
        at = NOW + timedelta(seconds=index)
        assert await attempt(db, f"guess-{index}", "x", now=at) == "refused"
    at = NOW + timedelta(seconds=30)
    assert await attempt(db, "ana", PASSWORD, now=at) == "throttled:870"
    # Another address is not locked, and neither is the account.
    assert await attempt(db, "ana", PASSWORD, now=at, address="203.0.113.9") == "ok"


async def test_every_worker_counts_the_same_failures(db: Database, database_url: str) -> None:
    await staff(db)
    workers = [Database(database_url) for _ in range(3)]
    try:
        for index in range(5):
            worker = workers[index % 3]
            assert await attempt(worker, "ana", "bad", now=NOW) == "refused"
        assert (await attempt(workers[2], "ana", PASSWORD, now=NOW)).startswith("throttled:")
    finally:
        for worker in workers:
            await worker.dispose()


async def test_old_attempts_are_pruned(db: Database) -> None:
    for index in range(3):
        await attempt(db, f"who-{index}", "x", now=NOW)
    await attempt(db, "who-else", "x", now=NOW + timedelta(hours=1))
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(SignInAttempt)) == 1


@pytest.mark.parametrize("limit", [1, 3])
async def test_limits_are_settings_of_the_service(db: Database, limit: int) -> None:
    limits = SignInLimits(per_account=limit, per_address=100, window=timedelta(minutes=1))
    for _ in range(limit):
        assert await attempt(db, "ana", "x", now=NOW, limits=limits) == "refused"
    assert await attempt(db, "ana", "x", now=NOW, limits=limits) == "throttled:60"


async def test_a_burst_of_parallel_guesses_cannot_pass_the_count(
    db: Database, database_url: str
) -> None:
    # Ten guesses at once from five workers: the account allows five, not ten.
    await staff(db)
    workers = [Database(database_url) for _ in range(5)]
    try:
        outcomes = await asyncio.gather(
            *(
                attempt(workers[i % 5], "ana", "bad", now=NOW, address=f"192.0.2.{i}")
                for i in range(10)
            )
        )
    finally:
        for worker in workers:
            await worker.dispose()
    assert outcomes.count("refused") == 5
    assert sum(o.startswith("throttled:") for o in outcomes) == 5


async def test_the_app_makes_the_dummy_hash_when_it_starts(
    settings: Settings, db: Database
) -> None:
    """The first unknown-user sign-in of a process cost two argon2 runs (the dummy hash was
    made on demand): the app's start makes it, so every sign-in costs one."""
    accounts._dummy_hashes.clear()
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        assert len(accounts._dummy_hashes) == 1
