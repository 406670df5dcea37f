"""The outbox queue (DESIGN §6, SPEC §8), on SQLite and PostgreSQL.

Rules protected: a message exists exactly when its cause's transaction commits; a dedupe key
queues a cause once; concurrent claimers never share a message and together take them all;
a dead worker's message is claimed again after its lease, and the late worker cannot undo the
new holder's work; retries back off exponentially up to a cap and stop at the horizon (3 days
by default); a kind no handler knows waits for a worker that has one, and a handler's error
is recorded, never lost; the drainer runs messages in due order, outside the claim's
transaction."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kernel.db import Database
from kernel.drainer import (
    DEFAULT_POLICY,
    LEASE_RAN_OUT,
    Claim,
    GiveUp,
    Outcome,
    RetryPolicy,
    claim,
    complete,
    drain,
    fail,
    retry_later,
    run_one,
)
from kernel.outbox import ERROR_MAX, InvalidMessage, OutboxMessage, OutboxStatus, enqueue, prune

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


async def queue(db: Database, kind: str = "email.receipt", payload: Any = None, **kw: Any) -> int:
    """Queue one message in a transaction of its own (at T0 unless `now` is given)."""
    kw.setdefault("now", T0)
    async with db.session() as session:
        message_id = await enqueue(session, kind, payload or {"order": 1}, **kw)
    assert message_id is not None
    return message_id


async def message(db: Database, message_id: int) -> OutboxMessage:
    async with db.read_session() as session:
        found = await session.get(OutboxMessage, message_id)
    assert found is not None
    return found


async def count(db: Database) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


# --- enqueue ---------------------------------------------------------------------------


async def test_a_message_queued_in_a_transaction_that_rolls_back_leaves_nothing(
    db: Database,
) -> None:
    async with db.sessions() as session:
        transaction = await session.begin()
        assert await enqueue(session, "email.receipt", {"order": 7}, now=T0) is not None
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        await transaction.rollback()

    assert await count(db) == 0


async def test_a_committed_message_is_pending_and_due_at_once_with_its_payload_as_json(
    db: Database,
) -> None:
    payload = {"order": 7, "lines": ("a", "b"), "name": "Zoë \U0001f3ac", "nul": "a\x00b"}
    message_id = await queue(db, "webhook.fulfilment.created", payload)

    row = await message(db, message_id)
    assert row.kind == "webhook.fulfilment.created"
    assert row.payload == {
        "order": 7,
        "lines": ["a", "b"],
        "name": "Zoë \U0001f3ac",
        "nul": "a\x00b",
    }
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert row.created_at == row.available_at == row.next_attempt_at == T0


async def test_a_dedupe_key_queues_its_cause_once_and_keeps_the_first_message(
    db: Database,
) -> None:
    async with db.session() as session:
        first = await enqueue(session, "email.receipt", {"v": 1}, now=T0, dedupe_key="order:7")
        again = await enqueue(session, "email.receipt", {"v": 2}, now=T0, dedupe_key="order:7")
        other = await enqueue(session, "email.receipt", {"v": 3}, now=T0, dedupe_key="order:8")
        keyless = [await enqueue(session, "email.receipt", {"v": 4}, now=T0) for _ in range(2)]
    async with db.session() as session:
        later = await enqueue(session, "email.receipt", {"v": 5}, now=T0 + S, dedupe_key="order:7")

    assert first is not None and other is not None and None not in keyless
    assert again is None and later is None
    assert await count(db) == 4
    assert (await message(db, first)).payload == {"v": 1}


@pytest.mark.parametrize(
    ("kind", "payload", "options"),
    [
        ("Email.Receipt", {}, {}),
        ("email..receipt", {}, {}),
        ("email receipt", {}, {}),
        ("", {}, {}),
        ("e" * 81, {}, {}),
        ("email.receipt", ["not", "an", "object"], {}),
        ("email.receipt", {"at": T0}, {}),
        ("email.receipt", {"x": float("nan")}, {}),
        ("email.receipt", {"big": "x" * 300_000}, {}),
        ("email.receipt", {}, {"dedupe_key": ""}),
        ("email.receipt", {}, {"dedupe_key": "k" * 201}),
        ("email.receipt", {}, {"dedupe_key": "bad\x00key"}),
        ("email.receipt", {}, {"available_at": datetime(2026, 12, 1)}),
    ],
)
async def test_enqueue_refuses_what_it_cannot_queue_and_writes_nothing(
    db: Database, kind: str, payload: Any, options: dict[str, Any]
) -> None:
    async with db.session() as session:
        with pytest.raises(InvalidMessage):
            await enqueue(session, kind, payload, now=T0, **options)
        # the caller's transaction is untouched and still usable
        assert await enqueue(session, "email.receipt", {}, now=T0) is not None

    assert await count(db) == 1


# --- claims ----------------------------------------------------------------------------


async def test_concurrent_claimers_never_share_a_message_and_together_take_them_all(
    db: Database,
) -> None:
    async with db.session() as session:
        ids = {await enqueue(session, "email.receipt", {"n": n}, now=T0) for n in range(60)}

    start = asyncio.Event()
    sizes: list[int] = []

    async def claimer(name: str) -> list[int]:
        async with db.read_session() as warm:  # each claimer has its connection ready
            await warm.execute(select(1))
        await start.wait()
        taken: list[int] = []
        while claims := await claim(db, name, now=T0, limit=4):
            sizes.append(len(claims))
            taken += [c.id for c in claims]
            await asyncio.sleep(0.001)  # let the others in between two claims
        return taken

    claimers = asyncio.gather(*(claimer(f"worker-{n}") for n in range(6)))
    await asyncio.sleep(0.2)
    start.set()
    taken = await claimers

    everything = [i for part in taken for i in part]
    assert len(everything) == len(set(everything)) == 60
    assert set(everything) == ids
    assert max(sizes) <= 4  # a claim takes at most its limit, under contention too
    assert sum(1 for part in taken if part) >= 2  # the claimers really did run side by side


@pytest.mark.postgresql
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_on_postgresql_a_claim_skips_a_locked_message_instead_of_waiting(
    db: Database,
) -> None:
    first = await queue(db, available_at=T0 - S)
    second = await queue(db)
    async with db.sessions() as holder, holder.begin():
        await holder.execute(
            select(OutboxMessage.id).where(OutboxMessage.id == first).with_for_update()
        )
        claims = await asyncio.wait_for(claim(db, "w", now=T0), timeout=5)
        assert [c.id for c in claims] == [second]

    assert [c.id for c in await claim(db, "w", now=T0)] == [first]


async def test_a_claim_in_the_callers_transaction_is_undone_by_its_rollback(db: Database) -> None:
    message_id = await queue(db)
    async with db.sessions() as session:
        transaction = await session.begin()
        assert [c.id for c in await claim(session, "w", now=T0)] == [message_id]
        await transaction.rollback()

    again = await claim(db, "w", now=T0)
    assert [(c.id, c.attempt) for c in again] == [(message_id, 1)]


async def test_a_message_not_yet_due_is_not_claimed(db: Database) -> None:
    message_id = await queue(db, available_at=T0 + 10 * S)

    assert await claim(db, "w", now=T0 + 9 * S) == []
    assert [c.id for c in await claim(db, "w", now=T0 + 10 * S)] == [message_id]


async def test_a_dead_workers_message_is_claimed_again_after_its_lease(db: Database) -> None:
    message_id = await queue(db)
    lease = timedelta(seconds=60)
    [held_by_a] = await claim(db, "worker-a", now=T0, lease=lease)

    assert await claim(db, "worker-b", now=T0 + 59 * S, lease=lease) == []
    [held_by_b] = await claim(db, "worker-b", now=T0 + 60 * S, lease=lease)

    assert (held_by_b.id, held_by_b.attempt) == (message_id, 2)
    # worker A comes back late: its reports change nothing, the new holder's stand
    assert await retry_later(db, held_by_a, "late", now=T0 + 61 * S) is Outcome.LOST
    assert await complete(db, held_by_a, now=T0 + 61 * S) is Outcome.LOST
    row = await message(db, message_id)
    assert (row.status, row.claimed_by, row.last_error) == ("pending", "worker-b", LEASE_RAN_OUT)
    assert await complete(db, held_by_b, now=T0 + 62 * S) is Outcome.DONE
    row = await message(db, message_id)
    assert (row.status, row.completed_at, row.attempts) == ("done", T0 + 62 * S, 2)
    assert await claim(db, "worker-c", now=T0 + 1000 * S) == []


async def test_a_report_names_the_attempt_so_an_old_claim_of_the_same_worker_is_lost(
    db: Database,
) -> None:
    await queue(db)
    [first] = await claim(db, "w", now=T0, lease=60 * S)
    [second] = await claim(db, "w", now=T0 + 60 * S, lease=60 * S)

    assert await fail(db, first, "stale", now=T0 + 61 * S) is Outcome.LOST
    assert await complete(db, second, now=T0 + 61 * S) is Outcome.DONE


async def test_a_message_that_kills_its_workers_fails_at_its_horizon_without_running(
    db: Database,
) -> None:
    policy = RetryPolicy(first_delay=60 * S, horizon=timedelta(hours=1))
    message_id = await queue(db)
    # the last retry, on the horizon, is claimed and its worker dies
    async with db.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(next_attempt_at=T0 + timedelta(hours=1), attempts=9)
        )
    await claim(db, "dies", now=T0 + timedelta(hours=1), lease=60 * S)
    ran: list[int] = []

    async def send(held: Claim) -> None:
        ran.append(held.id)

    later = T0 + timedelta(hours=1) + 60 * S
    outcomes = await drain(
        db, {"email.receipt": send}, worker_id="w", now_fn=lambda: later, policy=policy
    )

    assert outcomes == Counter({Outcome.FAILED: 1}) and ran == []
    row = await message(db, message_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 11, LEASE_RAN_OUT)


async def test_attempts_whose_workers_died_count_towards_max_attempts(db: Database) -> None:
    policy = RetryPolicy(first_delay=S, max_attempts=2)
    message_id = await queue(db)
    [first] = await claim(db, "dies", now=T0, lease=60 * S)
    assert first.last_error is None
    [second] = await claim(db, "dies too", now=T0 + 60 * S, lease=60 * S)
    assert second.last_error == LEASE_RAN_OUT  # the claim says the last attempt was lost
    ran: list[int] = []

    async def send(held: Claim) -> None:
        ran.append(held.id)

    outcomes = await drain(
        db, {"email.receipt": send}, worker_id="w", now_fn=lambda: T0 + 120 * S, policy=policy
    )

    assert outcomes == Counter({Outcome.FAILED: 1}) and ran == []
    assert (await message(db, message_id)).status == "failed"


async def test_a_claim_is_reported_on_once(db: Database) -> None:
    await queue(db)
    [held] = await claim(db, "w", now=T0)

    assert await fail(db, held, "no", now=T0) is Outcome.FAILED
    assert await complete(db, held, now=T0) is Outcome.LOST
    assert (await message(db, held.id)).status == "failed"


# --- back-off and giving up --------------------------------------------------------------


async def test_retries_back_off_exponentially_up_to_the_cap(db: Database) -> None:
    policy = RetryPolicy(first_delay=10 * S, factor=2, max_delay=60 * S, horizon=timedelta(days=1))
    message_id = await queue(db)
    now = T0
    gaps = []
    for attempt in range(1, 6):
        [held] = await claim(db, "w", now=now)
        assert held.attempt == attempt
        assert (
            await retry_later(db, held, f"down {attempt}", now=now, policy=policy) is Outcome.RETRY
        )
        row = await message(db, message_id)
        gaps.append(row.next_attempt_at - now)
        assert row.last_error == f"down {attempt}" and row.lease_until is None
        assert await claim(db, "w", now=row.next_attempt_at - S) == []  # not before its time
        now = row.next_attempt_at

    assert gaps == [10 * S, 20 * S, 40 * S, 60 * S, 60 * S]


def test_jitter_is_bounded_and_a_function_of_the_message_and_the_attempt() -> None:
    policy = RetryPolicy(first_delay=10 * S, jitter=0.5)

    delays = [policy.delay(message_id, 3) for message_id in range(1, 21)]

    assert all(40 * S <= d <= 60 * S for d in delays)
    assert len(set(delays)) > 10  # spread over messages
    assert [policy.delay(m, 3) for m in range(1, 21)] == delays  # same inputs, same delay


def test_a_policy_refuses_a_schedule_that_cannot_work() -> None:
    for bad in (
        {"first_delay": timedelta(0)},
        {"first_delay": 10 * S, "max_delay": 5 * S},
        {"factor": 0.5},
        {"jitter": 2.0},
        {"max_attempts": 0},
    ):
        with pytest.raises(ValueError):
            RetryPolicy(**bad)


async def test_retries_stop_at_the_three_day_horizon_with_the_last_one_on_it(
    db: Database,
) -> None:
    start = T0 + timedelta(hours=1)  # queued at T0 for later: the horizon counts from start
    message_id = await queue(db, available_at=start)
    now, attempts_at = start, []
    while True:
        [held] = await claim(db, "w", now=now)
        attempts_at.append(now)
        outcome = await retry_later(db, held, "HTTP 500", now=now)
        if outcome is Outcome.FAILED:
            break
        now = (await message(db, message_id)).next_attempt_at

    assert DEFAULT_POLICY.horizon == timedelta(days=3)  # SPEC §8
    assert attempts_at[-1] == start + timedelta(days=3)
    assert max(b - a for a, b in itertools.pairwise(attempts_at)) <= timedelta(hours=6)
    row = await message(db, message_id)
    assert (row.status, row.failed_at, row.last_error) == ("failed", attempts_at[-1], "HTTP 500")
    assert await claim(db, "w", now=now + timedelta(days=30)) == []


async def test_max_attempts_gives_up_after_that_many_claims(db: Database) -> None:
    policy = RetryPolicy(first_delay=S, max_attempts=3)
    message_id = await queue(db)
    outcomes, now = [], T0
    for _ in range(3):
        [held] = await claim(db, "w", now=now)
        outcomes.append(await retry_later(db, held, "no", now=now, policy=policy))
        now += timedelta(minutes=1)

    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    assert (await message(db, message_id)).status == "failed"


# --- the drainer -------------------------------------------------------------------------


async def test_the_drainer_runs_due_messages_in_due_order_and_leaves_the_rest(
    db: Database,
) -> None:
    for second in (3, 1, 2):
        await queue(db, payload={"second": second}, available_at=T0 + second * S)
    later = await queue(db, payload={"second": 600}, available_at=T0 + 600 * S)
    seen: list[int] = []

    async def record(held: Claim) -> None:
        seen.append(held.payload["second"])

    outcomes = await drain(
        db, {"email.receipt": record}, worker_id="w", now_fn=lambda: T0 + 5 * S, batch=2
    )

    assert seen == [1, 2, 3]
    assert outcomes == Counter({Outcome.DONE: 3})
    assert (await message(db, later)).status == "pending"


async def test_a_drainer_leaves_kinds_it_has_no_handler_for_to_a_worker_that_has_one(
    db: Database,
) -> None:
    """An older worker in a rolling deploy (or a partial map in a test) must not fail the
    messages of a kind it does not know: it never claims them."""
    unknown = await queue(db, "webhook.stock.low", available_at=T0 - S)
    known = await queue(db, "email.receipt")
    ran: list[int] = []

    async def send(held: Claim) -> None:
        ran.append(held.id)

    outcomes = await drain(db, {"email.receipt": send}, worker_id="w", now_fn=lambda: T0)

    assert outcomes == Counter({Outcome.DONE: 1})
    assert ran == [known]
    row = await message(db, unknown)
    assert row.status == "pending" and row.attempts == 0
    assert await drain(db, {"webhook.stock.low": send}, worker_id="v", now_fn=lambda: T0) == (
        Counter({Outcome.DONE: 1})
    )
    assert ran == [known, unknown]


async def test_a_claimed_message_of_an_unknown_kind_fails_with_a_clear_error(
    db: Database,
) -> None:
    unknown = await queue(db, "webhook.stock.low", available_at=T0 - S)
    [held] = await claim(db, "w", now=T0)
    assert await run_one(db, {}, held, now_fn=lambda: T0) == Outcome.FAILED
    row = await message(db, unknown)
    assert row.status == "failed" and row.failed_at == T0
    assert row.last_error == "no handler for the kind 'webhook.stock.low'"


async def test_a_handlers_error_is_recorded_and_the_message_retried_then_done(
    db: Database,
) -> None:
    message_id = await queue(db)
    calls = 0

    async def flaky(held: Claim) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("smtp down\r\nsecond line " + "x" * 5000)

    first = await drain(db, {"email.receipt": flaky}, worker_id="w", now_fn=lambda: T0)
    row = await message(db, message_id)
    assert first == Counter({Outcome.RETRY: 1})
    assert row.status == "pending" and row.next_attempt_at == T0 + 30 * S
    assert row.last_error is not None and len(row.last_error) == ERROR_MAX
    assert row.last_error.startswith("ConnectionError: smtp down second line xxx")

    second = await drain(db, {"email.receipt": flaky}, worker_id="w", now_fn=lambda: T0 + 30 * S)
    row = await message(db, message_id)
    assert second == Counter({Outcome.DONE: 1}) and calls == 2
    assert (row.status, row.attempts, row.last_error) == ("done", 2, None)


async def test_a_handler_that_gives_up_fails_its_message_at_once(db: Database) -> None:
    message_id = await queue(db)

    async def refuse(held: Claim) -> None:
        raise GiveUp("550 no such mailbox")

    outcomes = await drain(db, {"email.receipt": refuse}, worker_id="w", now_fn=lambda: T0)

    assert outcomes == Counter({Outcome.FAILED: 1})
    row = await message(db, message_id)
    assert (row.status, row.last_error) == ("failed", "GiveUp: 550 no such mailbox")


async def test_a_handler_runs_outside_the_claims_transaction(db: Database) -> None:
    """The handler can lock its own row and write: the claim holds no lock while it runs."""
    await queue(db)

    async def follow_up(held: Claim) -> None:
        async with db.session() as session:
            await session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.id == held.id)
                .with_for_update(nowait=True)
            )
            await enqueue(session, "email.follow_up", {"of": held.id}, now=T0)

    handlers = {"email.receipt": follow_up, "email.follow_up": follow_up}
    outcomes = await asyncio.wait_for(
        drain(db, handlers, worker_id="w", now_fn=lambda: T0, max_batches=1), timeout=10
    )

    assert outcomes == Counter({Outcome.DONE: 1})
    assert await count(db) == 2


async def test_a_handler_that_outlives_its_lease_is_stopped_and_retried(db: Database) -> None:
    message_id = await queue(db, now=datetime.now(UTC))

    async def hang(held: Claim) -> None:
        await asyncio.sleep(30)

    outcomes = await asyncio.wait_for(
        drain(db, {"email.receipt": hang}, worker_id="w", lease=timedelta(seconds=0.3)), 10
    )

    assert outcomes == Counter({Outcome.RETRY: 1})
    row = await message(db, message_id)
    assert row.last_error is not None and row.last_error.startswith("TimeoutError: ran past")


async def test_a_claim_whose_lease_ran_out_before_its_turn_is_not_run(db: Database) -> None:
    await queue(db)
    [held] = await claim(db, "w", now=T0, lease=60 * S)
    ran = []

    async def send(held: Claim) -> None:
        ran.append(held.id)

    outcome = await run_one(db, {"email.receipt": send}, held, now_fn=lambda: T0 + 60 * S)

    assert outcome is Outcome.LOST and ran == []
    assert [c.attempt for c in await claim(db, "other", now=T0 + 60 * S)] == [2]


async def test_two_drainers_run_every_message_exactly_once(db: Database) -> None:
    async with db.session() as session:
        for n in range(40):
            await enqueue(session, "webhook.fulfilment.created", {"event": n}, now=T0)
    runs: list[int] = []

    async def deliver(held: Claim) -> None:
        runs.append(held.payload["event"])
        await asyncio.sleep(0)

    handlers = {"webhook.fulfilment.created": deliver}
    reports = await asyncio.gather(
        *(drain(db, handlers, worker_id=f"w{n}", now_fn=lambda: T0, batch=3) for n in range(2))
    )

    assert sorted(runs) == list(range(40))
    assert sum(r[Outcome.DONE] for r in reports) == 40
    async with db.read_session() as session:
        statuses = (await session.scalars(select(OutboxMessage.status))).all()
    assert set(statuses) == {"done"}


async def test_a_stale_lease_in_the_table_does_not_hide_a_message(db: Database) -> None:
    """A row left claimed by a crashed worker (lease in the past) is due like any other."""
    message_id = await queue(db)
    async with db.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                claimed_by="crashed", claimed_at=T0 - 600 * S, lease_until=T0 - 300 * S, attempts=1
            )
        )

    [held] = await claim(db, "w", now=T0)
    assert (held.id, held.attempt, held.worker_id) == (message_id, 2, "w")


async def test_prune_deletes_old_finished_messages_and_never_pending_ones(db: Database) -> None:
    """Done messages are kept 30 days, failed ones 90; pending ones always (they are work)."""
    ids = {}
    for name in ("done_old", "done_new", "failed_old", "failed_new", "pending_old"):
        ids[name] = await queue(db, f"email.{name.replace('_', '.')}", available_at=T0)
    async with db.session() as session:
        for name, status, at in (
            ("done_old", OutboxStatus.DONE, T0 - timedelta(days=31)),
            ("done_new", OutboxStatus.DONE, T0 - timedelta(days=29)),
            ("failed_old", OutboxStatus.FAILED, T0 - timedelta(days=91)),
            ("failed_new", OutboxStatus.FAILED, T0 - timedelta(days=89)),
        ):
            row = await session.get(OutboxMessage, ids[name])
            assert row is not None
            row.status, row.next_attempt_at = status.value, at
            row.completed_at = at if status == OutboxStatus.DONE else None
            row.failed_at = at if status == OutboxStatus.FAILED else None
        pending = await session.get(OutboxMessage, ids["pending_old"])
        assert pending is not None
        pending.next_attempt_at = T0 - timedelta(days=400)
    async with db.session() as session:
        assert await prune(session, now=T0) == 2
    async with db.read_session() as session:
        left = set(await session.scalars(select(OutboxMessage.id)))
    assert left == {ids["done_new"], ids["failed_new"], ids["pending_old"]}
