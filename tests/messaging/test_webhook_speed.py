"""Webhook deliveries at speed (both backends): kept connections and one write per delivery.

Rules protected: deliveries posted with `WebhookClients` reuse one keep-alive connection per
host and still each reach the receiver once; two hosts never share a pool (a TLS connection
verified for one host name never carries another's request); `aclose` closes them and the
object works again after; a successful delivery completes its outbox message in the
transaction that records the attempt (the drainer reports nothing more, so no claim is
"lost"); two drainers running 4 deliveries at once each deliver every event exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome, drain
from kernel.outbox import OutboxMessage
from licensing.webhook_urls import check_webhook_url
from messaging.webhooks import WebhookClients, post, webhook_handlers
from tests.messaging.receiver import Receiver
from tests.messaging.test_webhooks import FAST, T0, Clock, deliveries, queue, subscribe


async def test_kept_clients_reuse_one_connection_per_host_and_reopen_after_aclose(
    receiver: Receiver,
) -> None:
    clients = WebhookClients()
    by_ip = await check_webhook_url(receiver.url, allow_private=True)
    by_name = await check_webhook_url(
        receiver.url.replace("127.0.0.1", "localhost"), allow_private=True
    )
    try:
        for n in range(3):
            attempt = await post(by_ip, b'{"n":%d}' % n, {}, clients=clients)
            assert attempt.succeeded
        assert receiver.connections == 1  # kept alive
        assert (await post(by_name, b"{}", {}, clients=clients)).succeeded
        assert receiver.connections == 2  # another host name: a pool of its own
        assert len(clients._pools) == 2
    finally:
        await clients.aclose()
    assert not clients._pools
    assert (await post(by_ip, b"{}", {}, clients=clients)).succeeded  # usable again
    await clients.aclose()
    assert len(receiver.got) == 5 and receiver.connections == 3


async def test_without_kept_clients_each_delivery_has_its_own_connection(
    receiver: Receiver,
) -> None:
    target = await check_webhook_url(receiver.url, allow_private=True)
    for _ in range(2):
        assert (await post(target, b"{}", {})).succeeded
    assert receiver.connections == 2


async def test_a_delivery_completes_its_message_in_the_attempts_transaction(
    db: Database, settings: Settings, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    await queue(db, merchant_id)
    commits: list[str] = []
    event.listen(db.engine.sync_engine, "commit", lambda conn: commits.append("commit"))
    clock = Clock(T0)
    handlers = webhook_handlers(db, settings, now_fn=clock, policy=FAST)

    with caplog.at_level(logging.WARNING, logger="tiein.outbox"):
        outcomes = await drain(
            db, handlers, worker_id="w1", now_fn=clock, policy=FAST, max_batches=1
        )

    assert outcomes == {Outcome.DONE: 1}
    assert "lost" not in caplog.text  # the drainer did not report it again
    assert len(commits) == 2  # the claim, and the attempt with the completion
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    async with db.read_session() as session:
        [message] = (await session.scalars(select(OutboxMessage))).all()
    assert (message.status, message.attempts, message.lease_until) == ("done", 1, None)


async def test_two_drainers_four_at_a_time_deliver_each_event_once(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    events = [await queue(db, merchant_id, n=n) for n in range(30)]
    clock = Clock(T0)

    async def worker(name: str) -> Counter[Outcome]:
        clients = WebhookClients()
        handlers = webhook_handlers(db, settings, now_fn=clock, policy=FAST, clients=clients)
        try:
            return await drain(
                db, handlers, worker_id=name, now_fn=clock, policy=FAST, batch=3, concurrency=4,
                lease=timedelta(minutes=5),
            )  # fmt: skip
        finally:
            await clients.aclose()

    reports = await asyncio.gather(worker("w1"), worker("w2"))

    assert sum(r[Outcome.DONE] for r in reports) == 30
    assert Counter(r.headers["tiein-event-id"] for r in receiver.got) == Counter(events)
    assert {d.status for d in await deliveries(db)} == {"succeeded"}
