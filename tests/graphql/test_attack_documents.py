"""Hostile review of `/api/statements/<code>/<period>.pdf` (SPEC §10, §11).

A PDF costs the server far more than a GraphQL read (WeasyPrint lays out a page), yet the
route spent nothing of the caller's budget: one token could keep the CPUs busy making the
same statement again and again. Each document now spends DOCUMENT_COST points of the
token's /graphql budget, as an upload does; past it, 429 with Retry-After and no PDF.
Odd periods and codes are the same 404 as a statement that does not exist."""

from __future__ import annotations

import httpx

from graphql_schema.documents import DOCUMENT_COST
from kernel.ratelimit import MemoryBucket
from tests.graphql.conftest import Gql, World
from tests.graphql.test_statement_documents import bearer, own_document_path


async def test_documents_spend_the_tokens_budget_and_are_throttled_past_it(
    gql: Gql, world: World, client: httpx.AsyncClient
) -> None:
    path = await own_document_path(gql, world)
    # given a budget for two documents that barely refills
    client._transport.app.state.budget = MemoryBucket(  # type: ignore[attr-defined]
        capacity=2 * DOCUMENT_COST, rate=0.001
    )
    for _ in range(2):
        ok = await client.get(path, headers=bearer(world.a.token))
        assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    # when the token asks for a third
    refused = await client.get(path, headers=bearer(world.a.token))
    # then it waits: 429, a Retry-After, no PDF
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert int(refused.headers["retry-after"]) >= 1
    assert b"%PDF" not in refused.content
    # another token's budget is its own
    other = await client.get(path, headers=bearer(world.staff_token))
    assert other.status_code == 200


async def test_odd_periods_and_codes_are_not_found(
    gql: Gql, world: World, client: httpx.AsyncClient
) -> None:
    path = await own_document_path(gql, world)
    code, period = path.split("/")[3], world.period
    for odd in (
        f"/api/statements/{code}/2026-Q9.pdf",
        f"/api/statements/{code}/..%2F..%2Fetc.pdf",
        f"/api/statements/{code}/{'9' * 5000}-Q1.pdf",
        f"/api/statements/{code}/%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-Q1.pdf",
        f"/api/statements/{code}%00/{period}.pdf",
        f"/api/statements/{'x' * 5000}/{period}.pdf",
        f"/api/statements/{code}/{period}%00.pdf",
    ):
        response = await client.get(odd, headers=bearer(world.a.token))
        assert response.status_code == 404, odd  # the route's JSON 404, or no route at all
        assert b"%PDF" not in response.content
