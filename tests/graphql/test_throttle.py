"""The cost budget (SPEC §11): each token, and without a token each client address, holds
up to `graphql_budget` cost points, given back at `graphql_restore_rate` a second. Every
operation that runs spends its cost and reports `extensions.throttle`; one that does not fit
is refused with THROTTLED and when to retry, and does not run. With `TIEIN_REDIS_URL` every
worker spends from the same buckets."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from kernel.config import Settings
from kernel.db import Database
from kernel.ratelimit import RedisBucket
from tests.graphql.conftest import World, gid
from tiein.app import create_app

QUERY = "{ films(first: 10) { nodes { title } } }"  # costs 21
MUTATION = """mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
  product { stock } errors { code } } }"""


@asynccontextmanager
async def serve(app: Starlette, address: str = "203.0.113.7") -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def post(query: str, token: str | None = None, **variables: Any) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"query": query, "variables": variables}
            return await client.post("/graphql", json=body, headers=headers)

        yield post


@pytest.fixture(params=["memory", "redis"])
async def make_app(
    request: pytest.FixtureRequest, settings: Settings, db: Database
) -> AsyncIterator[Callable[[], Starlette]]:
    """Apps (workers) on one database with a budget of 100 points, 1 a second; on Redis they
    share one bucket store under this test's own key prefix."""
    budgeted = dataclasses.replace(settings, graphql_budget=100, graphql_restore_rate=1)
    apps: list[Starlette] = []

    def make() -> Starlette:
        app = create_app(budgeted, database=db)
        if request.param == "redis":
            url, prefix = (
                request.getfixturevalue("redis_url"),
                request.getfixturevalue("redis_prefix"),
            )
            app.state.budget = RedisBucket.from_url(url, 100, 1, prefix=prefix)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.budget.close()


async def test_operations_spend_their_cost_until_throttled(
    make_app: Callable[[], Starlette], world: World
) -> None:
    async with serve(make_app()) as post:
        spent = [(await post(QUERY, world.a.token)).json() for _ in range(4)]
        assert [b["extensions"]["cost"] for b in spent] == [21] * 4
        first = spent[0]["extensions"]["throttle"]
        assert first == {"maximumAvailable": 100, "currentlyAvailable": 79, "restoreRate": 1}
        assert spent[-1]["extensions"]["throttle"]["currentlyAvailable"] in (16, 17)
        refused = await post(QUERY, world.a.token)
        assert refused.status_code == 200
        body = refused.json()
        assert "data" not in body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "THROTTLED"
        assert 3 < error["extensions"]["retryAfter"] <= 5  # 21 - 16 points at 1 a second
        assert refused.headers["retry-after"] in ("4", "5")
        assert body["extensions"]["cost"] == 21
        assert body["extensions"]["throttle"]["currentlyAvailable"] in (16, 17)
        # another token, and the public, have budgets of their own
        assert "errors" not in (await post(QUERY, world.b.token)).json()
        assert "errors" not in (await post(QUERY)).json()


async def test_refused_documents_spend_their_cost_too(
    make_app: Callable[[], Starlette], world: World
) -> None:
    """Validation is work: a caller sending documents that fail it is budgeted like any other
    (their cost, at most REFUSAL_CHARGE), so invalid documents are no free way to load the
    server."""
    invalid = "{ films(first: 10) { nodes { title nope } } }"  # costs 31, fails validation
    async with serve(make_app()) as post:
        answers = [(await post(invalid, world.a.token)).json() for _ in range(4)]
        assert [a["errors"][0]["extensions"]["code"] for a in answers] == [
            "GRAPHQL_VALIDATION_FAILED"
        ] * 3 + ["THROTTLED"]
        assert answers[0]["extensions"]["cost"] == 31
        assert answers[0]["extensions"]["throttle"]["currentlyAvailable"] in (69, 70)


async def test_a_throttled_mutation_does_not_run(
    make_app: Callable[[], Starlette], world: World
) -> None:
    async with serve(make_app()) as post:
        spend = (await post("{ films(first: 48) { nodes { title } } }", world.a.token)).json()
        assert spend["extensions"]["cost"] == 97  # 3 points left, the mutation costs 5
        change = {"input": {"id": gid("Product", world.a.approved_id), "delta": 5}}
        throttled = (await post(MUTATION, world.a.token, **change)).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert "data" not in throttled and throttled["extensions"]["cost"] == 5
        stock = f'{{ product(sku: "{world.a.approved_sku}") {{ stock }} }}'
        assert (await post(stock, world.staff_token)).json()["data"] == {"product": {"stock": 10}}


async def test_anonymous_callers_are_budgeted_per_address(
    make_app: Callable[[], Starlette], db: Database
) -> None:
    app = make_app()
    async with serve(app, "198.51.100.1") as one, serve(app, "198.51.100.2") as two:
        for _ in range(4):
            assert "errors" not in (await one(QUERY)).json()
        assert (await one(QUERY)).json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert "errors" not in (await two(QUERY)).json()


async def test_workers_share_budgets_through_redis(
    settings: Settings, db: Database, world: World, redis_url: str, redis_prefix: str
) -> None:
    """Two workers (apps) spend from the same bucket of a token."""
    budgeted = dataclasses.replace(settings, graphql_budget=100, graphql_restore_rate=1)
    workers = [create_app(budgeted, database=db) for _ in range(2)]
    for app in workers:
        await app.state.budget.close()
        app.state.budget = RedisBucket.from_url(redis_url, 100, 1, prefix=redis_prefix)
    try:
        async with serve(workers[0]) as one, serve(workers[1]) as two:
            for _ in range(2):
                assert "errors" not in (await one(QUERY, world.a.token)).json()
                assert "errors" not in (await two(QUERY, world.a.token)).json()
            refused = (await one(QUERY, world.a.token)).json()
            assert refused["errors"][0]["extensions"]["code"] == "THROTTLED"
    finally:
        for app in workers:
            await app.state.budget.close()


async def test_without_its_redis_the_api_answers_unthrottled(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The budget protects the service; a store that is down must not take the API down."""
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"), db)
    try:
        with caplog.at_level(logging.ERROR, logger="tiein.graphql"):
            async with serve(app) as post:
                body = (await post(QUERY)).json()
        assert body["data"] == {"films": {"nodes": []}} and "throttle" not in body["extensions"]
        assert any("budget store is unavailable" in r.getMessage() for r in caplog.records)
    finally:
        await app.state.budget.close()


async def test_no_budget_means_no_throttle(settings: Settings, db: Database) -> None:
    app = create_app(dataclasses.replace(settings, graphql_budget=0), database=db)
    async with serve(app) as post:
        assert (await post(QUERY)).json()["extensions"] == {"cost": 21}


async def test_a_query_above_what_a_bucket_holds_is_too_costly(
    make_app: Callable[[], Starlette], db: Database
) -> None:
    """With a budget below MAX_COST, a query costing more than the whole bucket could never
    run: it is QUERY_TOO_COSTLY, not THROTTLED, and spends nothing."""
    async with serve(make_app()) as post:
        body = (await post("{ films(first: 50) { nodes { title } } }")).json()  # 101
        assert body["errors"][0]["extensions"] == {
            "code": "QUERY_TOO_COSTLY", "cost": 101, "maxCost": 100
        }  # fmt: skip
        assert body["extensions"]["throttle"]["currentlyAvailable"] == 100
