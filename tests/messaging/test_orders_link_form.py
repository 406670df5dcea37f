"""The "e-mail me my orders" form (SPEC §8): the same answer for any address, an e-mail only
for an address with paid orders, a CSRF-checked form, throttled per address and per client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy import select

from kernel.db import Database
from kernel.drainer import Outcome
from kernel.outbox import OutboxMessage
from tests.factory import make_order
from tests.fixtures.smtp import SmtpSink
from tests.storefront.console import csrf


async def ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    token = await csrf(client, "/my-orders")
    return await client.post("/my-orders", data={"csrf_token": token, "email": email})


async def test_the_footer_links_to_the_form(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert 'href="/my-orders"' in home.text
    page = await client.get("/my-orders")
    assert page.status_code == 200 and 'name="email"' in page.text


async def test_known_and_unknown_addresses_get_the_same_page_and_only_the_known_one_mail(
    db: Database, now: datetime, client: httpx.AsyncClient, smtp: SmtpSink, send_mail: Callable
) -> None:
    async with db.session() as s:
        order = await make_order(s, now=now, email="fan@example.com", total_minor=1200)

    known = await ask(client, "fan@example.com")
    unknown = await ask(client, "stranger@example.com")

    assert known.status_code == unknown.status_code == 200
    assert "on its way" in known.text
    assert known.text.replace("fan@example.com", "@") == unknown.text.replace(
        "stranger@example.com", "@"
    )
    async with db.read_session() as s:
        queued = list(await s.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)))
    assert queued == [{"email": "fan@example.com"}, {"email": "stranger@example.com"}]

    assert await send_mail() == {Outcome.DONE: 2}
    [message] = smtp.messages
    assert message["To"].addresses[0].addr_spec == "fan@example.com"
    assert order.number in message.get_body(("plain",)).get_content()


async def test_the_form_needs_its_csrf_token_and_an_address(
    db: Database, client: httpx.AsyncClient
) -> None:
    await client.get("/my-orders")
    refused = await client.post("/my-orders", data={"email": "fan@example.com"})
    assert refused.status_code == 403
    for bad in ("", "fan", "fan@", "a b@example.com", "fan@example.com\r\nBcc: x@example.com"):
        answer = await ask(client, bad)
        assert answer.status_code == 400, bad
    async with db.read_session() as s:
        assert list(await s.scalars(select(OutboxMessage.id))) == []


async def test_one_address_is_throttled_after_three_requests(
    db: Database, client: httpx.AsyncClient
) -> None:
    for _ in range(3):
        assert (await ask(client, "fan@example.com")).status_code == 200
    throttled = await ask(client, "FAN@example.com")  # the same address in other letters
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "on its way" not in throttled.text
    assert (await ask(client, "other@example.com")).status_code == 200
    async with db.read_session() as s:
        assert len(list(await s.scalars(select(OutboxMessage.id)))) == 4


async def test_one_client_is_throttled_after_ten_requests(client: httpx.AsyncClient) -> None:
    for n in range(10):
        assert (await ask(client, f"fan{n}@example.com")).status_code == 200
    assert (await ask(client, "fan10@example.com")).status_code == 429
