"""Hostile review of merchant webhooks (issue 11): another tenant's ids through `node`, a
name server that answers slowly or answers private addresses, receivers that never answer
or drip their answer, odd ports, and what a refusal tells about the internal network."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kernel.db import Database
from kernel.errors import DomainError
from licensing import webhook_urls
from licensing.webhook_urls import WebhookTarget, check_webhook_url
from licensing.webhooks import queue_event
from messaging import webhooks as delivery
from tests.conftest import count_queries
from tests.factory import GraphqlWorld as World
from tests.graphql.conftest import NOW, Gql, gid
from tests.messaging.receiver import Receiver
from tests.messaging.test_webhook_api import CREATE, DELETE, DELIVERIES, create

NODE = """query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on WebhookSubscription { url events }
    ... on WebhookDelivery { eventId payload }
  }
}"""


async def test_node_never_shows_another_merchants_subscription_or_delivery(
    gql: Gql, db: Database, world: World, receiver: Receiver
) -> None:
    """Attack: B asks `node` for A's subscription and delivery (and A for its own deleted
    subscription); the public asks too. Nothing comes back, not even the URL."""
    made = await create(gql, world.a.token, url=receiver.url, events=["stock.low"])
    sub_id = made["webhookSubscription"]["id"]
    async with db.session() as session:
        await queue_event(session, merchant_id=world.a.id, event="stock.low", data={}, now=NOW)
    [found] = (await gql.data(DELIVERIES, token=world.a.token))["webhookDeliveries"]["nodes"]
    for global_id in (sub_id, found["id"]):
        for token in (world.b.token, None):
            body = await gql(NODE, {"id": global_id}, token=token)
            assert body["data"]["node"] is None, body
            assert receiver.url not in str(body)
        mine = await gql.data(NODE, {"id": global_id}, token=world.a.token)
        assert mine["node"]["id"] == global_id
    await gql.data(DELETE, {"id": sub_id}, world.a.token)
    assert (await gql.data(NODE, {"id": sub_id}, token=world.a.token))["node"] is None


def _write_lock_free_sqlite(url: str) -> bool:
    """Whether another connection may begin writing now (nobody holds SQLite's write lock)."""
    path = make_url(url).database
    probe = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


async def _open_transactions_pg(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
            or 0
        )


@pytest.mark.parametrize("as_staff", [False, True])
async def test_the_url_is_resolved_outside_the_write_transaction(
    gql: Gql,
    db: Database,
    world: World,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    as_staff: bool,
) -> None:
    """Attack: a merchant names its own `merchantId` (or staff name a merchant) so a write
    transaction begins, then gives a host whose name server answers slowly (up to the 10 s
    lookup timeout). The lookup must not hold the write transaction: on SQLite that is the
    one write lock of the whole shop (checkouts wait), on PostgreSQL a pooled connection
    idle in transaction."""
    seen: list[bool] = []
    real = webhook_urls.resolve

    async def slow_resolve(host: str, port: int) -> list[str]:
        if db.engine.dialect.name == "sqlite":
            seen.append(_write_lock_free_sqlite(db.url))
        else:
            seen.append(await _open_transactions_pg(db) == 0)
        return await real(host, port)

    monkeypatch.setattr(webhook_urls, "resolve", slow_resolve)
    token = world.staff_token if as_staff else world.a.token
    made = await create(
        gql, token, url=receiver.url, events=["stock.low"], merchantId=gid("Merchant", world.a.id)
    )
    assert made["errors"] == []
    assert seen and all(seen), seen


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8:0/hooks", "https://8.8.8.8:00/hooks", "https://[2001:4860::8888]:0/"]
)
async def test_port_zero_is_refused_not_rewritten(url: str) -> None:
    """Attack/confusion: `:0` was accepted and silently sent to 443, so the URL shown to the
    merchant and the port contacted differed."""
    with pytest.raises(DomainError) as refused:
        await check_webhook_url(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == ("INVALID_URL", "url")


async def test_a_refused_name_does_not_tell_its_internal_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attack (reconnaissance): a merchant subscribes `https://db.corp.internal/` to learn
    what the shop's name server says about internal names. The refusal names the kind of
    address, never the address itself; a literal address may be echoed (it was given)."""

    async def internal(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.20.30.40"]  # public and private: refused as a whole

    monkeypatch.setattr(webhook_urls, "resolve", internal)
    with pytest.raises(DomainError) as refused:
        await check_webhook_url("https://db.corp.internal/", allow_private=False)
    assert refused.value.code == "URL_NOT_ALLOWED"
    assert "10.20.30.40" not in refused.value.message
    assert "private" in refused.value.message


class Stalling:
    """A receiver that accepts, reads the request and then answers `mode`: "never" (no
    byte), or "drip" (the status line, then a header byte every 0.1 s forever)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            if self.mode == "drip":
                writer.write(b"HTTP/1.1 200 OK\r\n")
                while True:
                    writer.write(b"X")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            await asyncio.sleep(3600)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def stalling(request: pytest.FixtureRequest) -> AsyncIterator[Stalling]:
    server = Stalling(request.param)
    await server.start()
    yield server
    await server.stop()


@pytest.mark.parametrize("stalling", ["never", "drip"], indirect=True)
async def test_a_stalling_receiver_is_given_up_on_at_the_timeout(
    stalling: Stalling, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: a receiver that never answers, or drips its headers a byte at a time so
    that no single read times out. One attempt ends at the timeout, whatever it does."""
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.5)
    target = WebhookTarget(
        url=f"http://127.0.0.1:{stalling.port}/",
        scheme="http",
        host="127.0.0.1",
        port=stalling.port,
        target="/",
        addresses=("127.0.0.1",),
    )
    started = asyncio.get_running_loop().time()
    attempt = await asyncio.wait_for(delivery.post(target, b"{}", {}), timeout=5)
    took = asyncio.get_running_loop().time() - started
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error
    assert took < 2


async def test_many_checked_addresses_that_all_stall_take_one_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attack: a name with many addresses that all black-hole the connection; the attempt
    must not take one timeout per address."""
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    # 192.0.2.0/24 (TEST-NET-1) is not routed: connecting hangs or fails at once
    addresses = tuple(f"192.0.2.{n}" for n in range(1, 21))
    target = WebhookTarget("https://x.test/", "https", "x.test", 443, "/", addresses)
    started = asyncio.get_running_loop().time()
    attempt: Any = await asyncio.wait_for(delivery.post(target, b"{}", {}), timeout=30)
    took = asyncio.get_running_loop().time() - started
    assert not attempt.succeeded
    assert took < 3, took


async def test_the_subscription_limit_holds_under_concurrent_creates(
    gql: Gql, db: Database, world: World, receiver: Receiver
) -> None:
    """Attack: 25 createWebhookSubscription at once to pass the 20 per merchant (each
    event fans out to every subscription)."""
    bodies = await asyncio.gather(
        *(
            gql(CREATE, {"input": {"url": receiver.url, "events": ["stock.low"]}}, world.a.token)
            for _ in range(25)
        )
    )
    made = [b for b in bodies if b["data"]["createWebhookSubscription"]["errors"] == []]
    assert len(made) == 20
    listed = await gql.data(
        "{ webhookSubscriptions(first: 100) { totalCount } }", token=world.a.token
    )
    assert listed["webhookSubscriptions"]["totalCount"] == 20


DEEP = """{
  webhookDeliveries(first: 100) {
    totalCount
    nodes { id eventId status payload subscription { id url merchant { name } } }
  }
  webhookSubscriptions(first: 100) { nodes { id url merchant { name } } }
}"""


async def test_listing_deliveries_takes_the_same_statements_for_2_or_40(
    gql: Gql, db: Database, world: World, receiver: Receiver
) -> None:
    """Attack (cost): a long list of deliveries, each with its subscription and merchant,
    must not cost a statement per delivery."""
    for side in (world.a, world.b):
        await create(gql, side.token, url=receiver.url, events=["stock.low"])

    async def queue(times: int) -> None:
        async with db.session() as session:
            for _ in range(times):
                for side in (world.a, world.b):
                    await queue_event(
                        session, merchant_id=side.id, event="stock.low", data={}, now=NOW
                    )

    async def counted() -> int:
        with count_queries(db) as counter:
            body = await gql.data(DEEP, token=world.staff_token)
        assert body["webhookDeliveries"]["nodes"]
        return counter.count

    await queue(1)
    await counted()  # warm the caches
    few = await counted()
    await queue(19)
    assert await counted() == few


@pytest.mark.parametrize("field", ["webhookDeliveries", "webhookSubscriptions", "fulfilments"])
async def test_the_new_connections_need_a_bounded_first(gql: Gql, world: World, field: str) -> None:
    """Attack (cost): the new connections without `first`, or with 0, -1 or 10,000."""
    for first in ("", "(first: 0)", "(first: -1)", "(first: 10000)"):
        body = await gql(f"{{ {field}{first} {{ totalCount }} }}", token=world.a.token)
        assert body.get("data") is None, (first, body)
        assert body["errors"][0]["extensions"]["code"] in (
            "BAD_USER_INPUT",
            "GRAPHQL_VALIDATION_FAILED",
        ), body
