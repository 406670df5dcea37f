"""Attacks on "e-mail me my orders" (hostile review of issues 10-11): the per-client throttle
cannot be dodged by naming another client in a header, nor by walking the addresses of one
IPv6 network (a single subscriber is given a /64, 2**64 addresses)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from kernel.config import Settings
from kernel.db import Database
from tests.storefront.console import csrf
from tiein.app import create_app

Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_at(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """httpx clients on one app, each connecting from the address given."""
    app = create_app(settings, database=db)
    made: list[httpx.AsyncClient] = []

    def make(host: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(host, 50000))
        made.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return made[-1]

    async with app.router.lifespan_context(app):
        yield make
    for client in made:
        await client.aclose()


async def ask(client: httpx.AsyncClient, email: str, **headers: str) -> int:
    token = await csrf(client, "/my-orders")
    data = {"csrf_token": token, "email": email}
    return (await client.post("/my-orders", data=data, headers=headers)).status_code


async def test_a_forwarded_for_header_from_an_untrusted_client_changes_nothing(
    client_at: Client,
) -> None:
    client = client_at("203.0.113.7")
    answers = [
        await ask(client, f"fan{n}@example.com", **{"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(11)
    ]
    assert answers == [200] * 10 + [429]


async def test_one_ipv6_network_shares_one_client_budget(client_at: Client) -> None:
    answers = [
        await ask(client_at(f"2001:db8:1:2::{n:x}"), f"fan{n}@example.com") for n in range(11)
    ]
    assert answers == [200] * 10 + [429]
    assert await ask(client_at("2001:db8:1:3::1"), "other@example.com") == 200  # next /64
    assert await ask(client_at("203.0.113.8"), "other2@example.com") == 200
