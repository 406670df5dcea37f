"""Merchant webhooks delivered to a real receiver on a loopback port (SPEC §8), both backends.

Rules protected: a failing receiver is retried until it answers 2xx (three attempts for
500, 500, 200) and the delivery succeeds once; a redelivery carries the same event id; the
signature verifies with the README's code; redirects are not followed; at most 1 KB of an
answer is kept; a URL refused at delivery time is not contacted; a subscription failing for
the horizon is disabled and its merchant told, and gets no more events."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome, RetryPolicy, drain
from kernel.errors import DomainError
from kernel.outbox import OutboxMessage, OutboxStatus
from licensing.webhooks import (
    DELIVERIES_PER_EVENT,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    create_subscription,
    queue_event,
    redeliver,
)
from messaging.webhooks import signature, webhook_handlers
from tests.factory.builders import make_merchant
from tests.fixtures.smtp import SmtpSink
from tests.messaging.receiver import Answer, Receiver

KEY = "test-secret-key"  # the settings' TIEIN_SECRET_KEY
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


def readme_verify() -> Any:
    """The `verify` function of the README's example, run as printed there."""
    text = README.read_text()
    code = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", text, re.S)
    assert code is not None, "the README lost its verification example"
    assert len(code.group(1).strip().splitlines()) <= 13
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["verify"]


async def subscribe(
    db: Database, url: str, events: list[str], *, merchant_id: int | None = None
) -> tuple[int, int, str]:
    """(merchant id, subscription id, secret) of a new subscription."""
    async with db.session() as session:
        if merchant_id is None:
            merchant_id = (await make_merchant(session, slug="acme")).id
        subscription, secret = await create_subscription(
            session, merchant_id=merchant_id, url=url, events=events, key=KEY, now=T0,
            allow_private=True,
        )  # fmt: skip
    return merchant_id, subscription.id, secret


async def queue(
    db: Database, merchant_id: int, event: str = "stock.low", now: datetime = T0, **data: Any
) -> str:
    async with db.session() as session:
        event_id = await queue_event(
            session, merchant_id=merchant_id, event=event, data=data or {"n": 1}, now=now
        )
    assert event_id is not None
    return event_id


async def pending(db: Database) -> int:
    async with db.read_session() as session:
        rows = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING.value)
        )
        return len(rows.all())


async def run_until_quiet(
    db: Database,
    settings: Settings,
    clock: Clock,
    *,
    policy: RetryPolicy,
    step: timedelta = timedelta(seconds=1),
    rounds: int = 40,
) -> None:
    """Drain, move the clock on by `step`, and again, until nothing is pending."""
    handlers = webhook_handlers(db, settings, now_fn=clock, policy=policy)
    for _ in range(rounds):
        await drain(db, handlers, worker_id="w1", now_fn=clock, policy=policy)
        if not await pending(db):
            return
        clock.advance(step)
    raise AssertionError("the outbox did not drain")


async def deliveries(db: Database) -> list[WebhookDelivery]:
    async with db.read_session() as session:
        rows = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows.all())


FAST = RetryPolicy(
    first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=1), horizon=timedelta(days=3)
)


async def test_a_receiver_failing_twice_gets_three_attempts_and_one_success(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, secret = await subscribe(db, receiver.url, ["stock.low"])
    event_id = await queue(db, merchant_id, sku="0001-TEE")
    receiver.answer(Answer(500), Answer(500), Answer(200))

    await run_until_quiet(db, settings, Clock(), policy=FAST)

    assert len(receiver.got) == 3
    assert {r.headers["tiein-event-id"] for r in receiver.got} == {event_id}
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.SUCCEEDED.value, 3, 200,
    )  # fmt: skip
    body = json.loads(receiver.got[-1].body)
    assert body == {
        "id": event_id, "type": "stock.low", "created_at": T0.isoformat(),
        "data": {"sku": "0001-TEE"},
    }  # fmt: skip
    assert receiver.got[-1].headers["content-type"] == "application/json"
    stamps = [int(r.headers["tiein-signature"][2:].split(",")[0]) for r in receiver.got]
    assert stamps == sorted(stamps) and stamps[0] == int(T0.timestamp())  # the attempt's time
    assert [r.headers["tiein-signature"] for r in receiver.got] == [
        signature(secret, t, r.body) for t, r in zip(stamps, receiver.got, strict=True)
    ]


async def test_the_signature_verifies_with_the_readme_code(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, secret = await subscribe(db, receiver.url, ["stock.low"])
    # the real clock: the README's check refuses a timestamp older than 5 minutes
    clock = Clock(datetime.now(UTC))
    await queue(db, merchant_id, now=clock())
    await run_until_quiet(db, settings, clock, policy=FAST)

    verify = readme_verify()
    [got] = receiver.got
    header = got.headers["tiein-signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(secret, header, got.body)
    assert not verify(secret, header, got.body + b" ")
    assert not verify("whsec_other", header, got.body)
    stale = re.sub(r"t=\d+", f"t={int(datetime.now(UTC).timestamp()) - 3600}", header)
    assert not verify(secret, stale, got.body)


async def test_a_redelivery_carries_the_same_event_id(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    event_id = await queue(db, merchant_id)
    await run_until_quiet(db, settings, Clock(), policy=FAST)
    [first] = await deliveries(db)
    async with db.session() as session:
        again = await redeliver(session, first.id, merchant_id=merchant_id, now=T0)
    await run_until_quiet(db, settings, Clock(), policy=FAST)

    assert again.id != first.id and again.event_id == event_id
    assert [r.headers["tiein-event-id"] for r in receiver.got] == [event_id, event_id]
    assert receiver.got[0].body == receiver.got[1].body  # the same snapshot
    assert [d.status for d in await deliveries(db)] == ["succeeded", "succeeded"]


async def test_redeliveries_wait_for_the_pending_one_and_stop_at_the_cap(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    """A hostile merchant cannot turn redeliverWebhook into a request cannon: no second
    redelivery while one is pending, and no more than DELIVERIES_PER_EVENT in all."""
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    await queue(db, merchant_id)
    await run_until_quiet(db, settings, Clock(), policy=FAST)
    [first] = await deliveries(db)
    async with db.session() as session:
        await redeliver(session, first.id, merchant_id=merchant_id, now=T0)
    with pytest.raises(DomainError) as waiting:
        async with db.session() as session:
            await redeliver(session, first.id, merchant_id=merchant_id, now=T0)
    assert (waiting.value.code, waiting.value.field) == ("REDELIVERY_REFUSED", "deliveryId")
    assert len(await deliveries(db)) == 2  # the refusal stored nothing

    for _ in range(DELIVERIES_PER_EVENT - 2):
        await run_until_quiet(db, settings, Clock(), policy=FAST)
        async with db.session() as session:
            await redeliver(session, first.id, merchant_id=merchant_id, now=T0)
    await run_until_quiet(db, settings, Clock(), policy=FAST)
    with pytest.raises(DomainError) as capped:
        async with db.session() as session:
            await redeliver(session, first.id, merchant_id=merchant_id, now=T0)
    assert capped.value.code == "REDELIVERY_REFUSED"
    assert len(await deliveries(db)) == DELIVERIES_PER_EVENT
    assert len(receiver.got) == DELIVERIES_PER_EVENT


async def test_redirects_are_not_followed(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    await queue(db, merchant_id)
    elsewhere = f"http://127.0.0.1:{receiver.port}/elsewhere"
    receiver.default = Answer(302, b"", (("location", elsewhere),))
    policy = RetryPolicy(
        first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=1), max_attempts=2
    )
    await run_until_quiet(db, settings, Clock(), policy=policy)

    assert [r.path for r in receiver.got] == ["/hooks", "/hooks"]  # never /elsewhere
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "failed", 2, 302,
    )  # fmt: skip
    assert "redirects are not followed" in (delivery.last_error or "")


async def test_no_more_than_1_kb_of_an_answer_is_kept(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    merchant_id, _, _ = await subscribe(db, receiver.url, ["stock.low"])
    await queue(db, merchant_id)
    receiver.answer(Answer(500, b"x" * 50_000))
    await run_until_quiet(db, settings, Clock(), policy=FAST)

    [delivery] = await deliveries(db)
    assert delivery.status == "succeeded" and delivery.attempts == 2
    assert delivery.last_response_body == "ok"
    receiver.default = Answer(500, "é".encode() * 5000)
    async with db.session() as session:
        await redeliver(session, delivery.id, merchant_id=merchant_id, now=T0)
    policy = RetryPolicy(first_delay=timedelta(seconds=1), max_attempts=1)
    await run_until_quiet(db, settings, Clock(), policy=policy)
    kept = (await deliveries(db))[-1]
    assert kept.last_response_code == 500 and kept.status == "failed"
    assert kept.last_response_body is not None
    assert 0 < len(kept.last_response_body.encode()) <= 1100  # 1 KB read, undecodable tail "?"
    assert len(kept.last_response_body) <= 1024


async def test_a_url_refused_at_delivery_time_is_not_contacted(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    https = receiver.url.replace("http:", "https:")  # allowed when made, with the flag on
    merchant_id, _, _ = await subscribe(db, https, ["stock.low"])
    await queue(db, merchant_id)
    strict = Settings(database_url=settings.database_url, secret_key=KEY)  # flag off
    await run_until_quiet(db, strict, Clock(), policy=FAST)

    assert receiver.got == []
    [delivery] = await deliveries(db)
    assert delivery.status == "failed"
    assert "refused" in (delivery.last_error or "") and "loopback" in (delivery.last_error or "")


async def test_a_subscription_failing_for_three_days_is_disabled_and_its_merchant_told(
    db: Database, settings: Settings, receiver: Receiver, smtp: SmtpSink, send_mail: Callable
) -> None:
    merchant_id, subscription_id, _ = await subscribe(db, receiver.url, ["stock.low"])
    await queue(db, merchant_id)
    receiver.default = Answer(503, b"down")
    policy = RetryPolicy(
        first_delay=timedelta(hours=1), max_delay=timedelta(hours=6), horizon=timedelta(days=3)
    )
    clock = Clock()
    handlers = webhook_handlers(db, settings, now_fn=clock, policy=policy)
    for _ in range(40):
        await drain(db, handlers, worker_id="w1", now_fn=clock, policy=policy)
        async with db.read_session() as session:
            subscription = await session.get(WebhookSubscription, subscription_id)
        assert subscription is not None
        if subscription.disabled_at is not None:
            break
        assert clock() - T0 < timedelta(days=3)  # not disabled before the horizon
        clock.advance(timedelta(hours=2))
    assert subscription.disabled_at is not None
    assert subscription.disabled_at - T0 >= timedelta(days=3)

    [delivery] = await deliveries(db)
    assert delivery.status == "failed" and delivery.last_response_code == 503
    assert delivery.attempts == len(receiver.got) > 5
    async with db.read_session() as session:
        emails = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "email.webhook_disabled")
            )
        ).all()
    assert [e.payload for e in emails] == [{"subscription_id": subscription_id}]
    assert await send_mail(now_fn=clock) == {Outcome.DONE: 1}
    [told] = smtp.messages
    assert told["To"].addresses[0].addr_spec == "acme@example.com"
    assert told["Subject"] == "A webhook subscription was disabled"
    assert receiver.url in told.get_body(("plain",)).get_content()
    async with db.session() as session:  # a disabled subscription gets no more events
        assert (
            await queue_event(session, merchant_id=merchant_id, event="stock.low", data={}, now=T0)
            is None
        )
