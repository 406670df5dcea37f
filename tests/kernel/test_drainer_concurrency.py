"""The drainer running several messages at once, and its batched reports (both backends).

Rules protected: two drainers running 4 at a time run every message exactly once, never
more than 4 at once each; completions that end together are written in one statement, each
checked by holder and attempt (a claim taken over meanwhile is LOST and keeps the new
holder's state); a handler that completes its claim in its own transaction is not reported
again; an error in a report lets the messages running finish, then is raised; the default
(one at a time) still runs messages in due order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from kernel import drainer
from kernel.db import Database
from kernel.drainer import Claim, Outcome, claim, complete, complete_all, drain
from kernel.outbox import OutboxMessage, enqueue

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KIND = "webhook.delivery"


async def queue(db: Database, count: int) -> list[int]:
    async with db.session() as session:
        ids = [await enqueue(session, KIND, {"n": n}, now=T0) for n in range(count)]
    return [i for i in ids if i is not None]


async def statuses(db: Database) -> dict[int, tuple[str, int]]:
    async with db.read_session() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    return {m.id: (m.status, m.attempts) for m in rows}


def count_done_updates(db: Database) -> list[str]:
    """The statements that mark outbox rows done, as they run."""
    seen: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE outbox SET status"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_two_drainers_four_at_a_time_run_every_message_exactly_once(db: Database) -> None:
    await queue(db, 60)
    runs: list[int] = []
    running = {"w0": 0, "w1": 0}
    most = {"w0": 0, "w1": 0}

    async def handler(held: Claim) -> None:
        running[held.worker_id] += 1
        most[held.worker_id] = max(most[held.worker_id], running[held.worker_id])
        await asyncio.sleep(0.002)  # the other drainer claims meanwhile
        runs.append(held.payload["n"])
        running[held.worker_id] -= 1

    reports = await asyncio.gather(
        *(
            drain(db, {KIND: handler}, worker_id=f"w{n}", now_fn=lambda: T0, batch=3, concurrency=4)
            for n in range(2)
        )
    )

    assert sorted(runs) == list(range(60))  # each once
    assert sum(r[Outcome.DONE] for r in reports) == 60
    assert all(r[Outcome.DONE] for r in reports)  # both took part
    assert set((await statuses(db)).values()) == {("done", 1)}
    assert 1 < max(most.values()) <= 4


async def test_completions_that_end_together_are_written_in_one_statement(db: Database) -> None:
    await queue(db, 8)
    release = asyncio.Event()

    async def handler(held: Claim) -> None:
        await release.wait()

    updates = count_done_updates(db)
    run = asyncio.create_task(
        drain(db, {KIND: handler}, worker_id="w", now_fn=lambda: T0, batch=8, concurrency=8)
    )
    await asyncio.sleep(0.05)
    release.set()  # all eight end at once
    assert await run == {Outcome.DONE: 8}
    assert 1 <= len(updates) <= 2  # the first report alone, then the seven that queued behind it
    assert set((await statuses(db)).values()) == {("done", 1)}


async def test_complete_all_checks_each_claim_by_holder_and_attempt(db: Database) -> None:
    first, second, third = await queue(db, 3)
    held = await claim(db, "w", now=T0, lease=timedelta(seconds=10))
    later = T0 + timedelta(seconds=20)
    [taken] = await claim(db, "other", now=later, limit=1)  # w's lease ran out: retaken
    assert taken.id == first

    outcomes = await complete_all(db, held, now=later)

    assert outcomes == {first: Outcome.LOST, second: Outcome.DONE, third: Outcome.DONE}
    found = await statuses(db)
    assert found[first] == ("pending", 2)  # the new holder's claim stands
    assert found[second] == found[third] == ("done", 1)
    assert await complete(db, taken, now=later) is Outcome.DONE
    assert await complete_all(db, [], now=later) == {}


async def test_a_handler_that_completes_its_claim_itself_is_not_reported_again(
    db: Database,
) -> None:
    await queue(db, 3)

    async def handler(held: Claim) -> Outcome:
        async with db.session() as session:  # its own bookkeeping would go here too
            return await complete(session, held, now=T0)

    updates = count_done_updates(db)
    outcomes = await drain(db, {KIND: handler}, worker_id="w", now_fn=lambda: T0, concurrency=3)

    assert outcomes == {Outcome.DONE: 3}
    assert len(updates) == 3  # the handlers' own, none from the drainer
    assert set((await statuses(db)).values()) == {("done", 1)}


async def test_a_failing_report_lets_the_running_messages_finish_then_is_raised(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await queue(db, 4)
    finished: list[int] = []
    real = drainer.complete_all

    async def failing(target: Database, claims: list[Claim], *, now: datetime) -> object:
        if any(c.payload["n"] == 0 for c in claims):
            raise ConnectionError("the database went away")
        return await real(target, claims, now=now)

    monkeypatch.setattr(drainer, "complete_all", failing)

    async def handler(held: Claim) -> None:
        if held.payload["n"]:
            await asyncio.sleep(0.02)  # still running when the first report fails
        finished.append(held.payload["n"])

    with pytest.raises(ConnectionError):
        await drain(db, {KIND: handler}, worker_id="w", now_fn=lambda: T0, concurrency=4)
    assert sorted(finished) == [0, 1, 2, 3]
    found = await statuses(db)
    assert found[ids[0]] == ("pending", 1)  # run again once its lease runs out
    assert [found[i] for i in ids[1:]] == [("done", 1)] * 3


async def test_one_at_a_time_runs_in_due_order(db: Database) -> None:
    async with db.session() as session:
        for n, minutes in enumerate([3, 1, 2]):
            await enqueue(session, KIND, {"n": n}, now=T0 - timedelta(minutes=minutes))
    order: list[int] = []

    async def handler(held: Claim) -> None:
        order.append(held.payload["n"])

    assert await drain(db, {KIND: handler}, worker_id="w", now_fn=lambda: T0) == {Outcome.DONE: 3}
    assert order == [0, 2, 1]
