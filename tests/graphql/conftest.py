"""Fixtures of the GraphQL tests: the GraphQL world (two merchants, staff, films, products,
an order and sales reports; see tests.factory.graphql_world) and a `gql` helper that posts
one operation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql_relay import to_global_id

from kernel.db import Database
from tests.factory import GraphqlWorld as World
from tests.factory import graphql_world


class Gql:
    """Posts operations to /graphql with an optional bearer token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of an operation that must succeed without errors."""
        body = await self(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    return Gql(client)


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, str(pk))


NOW = datetime.now(UTC)


@pytest.fixture
async def world(db: Database) -> World:
    """The GraphQL world (tests.factory.graphql_world) at NOW, committed."""
    return await graphql_world(db, now=NOW)
