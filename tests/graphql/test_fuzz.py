"""Fuzzing with schemathesis (GraphQL mode): queries and mutations generated from the schema
are sent to the app in-process, as the public and as staff: no 5xx, no unhandled error.

Hypothesis draws the cases (schemathesis strategies, derandomized, a small budget per
operation) and the async client sends them on the test's own event loop, so the app uses
the test database exactly as in production."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query, graphql_sync
from hypothesis import HealthCheck, given, settings
from schemathesis.graphql import from_dict

from graphql_schema.schema import schema
from tests.graphql.conftest import Gql, World

EXAMPLES = 8  # per operation: 32 operations x 8 cases x 2 viewers, ~10 s a backend


def operations() -> list[Any]:
    introspection = graphql_sync(schema.graphql_schema, get_introspection_query())
    api = from_dict(introspection.data)
    return [result.ok() for result in api.get_all_operations()]


def draw_cases(operation: Any, count: int) -> list[dict[str, Any]]:
    """`count` request bodies for one operation, drawn by schemathesis' strategy."""
    bodies: list[dict[str, Any]] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        bodies.append(case.as_transport_kwargs(base_url="http://testserver")["json"])

    collect()
    return bodies


@pytest.mark.slow
async def test_generated_operations_never_fail_unhandled(gql: Gql, world: World) -> None:
    sent = 0
    for operation in operations():
        for body in draw_cases(operation, EXAMPLES):
            for token in (None, world.staff_token):
                response = await gql.raw(body["query"], body.get("variables"), token=token)
                sent += 1
                assert response.status_code < 500, (operation.label, body, response.text)
                answer = response.json()
                codes = {e.get("extensions", {}).get("code") for e in answer.get("errors", [])}
                assert "INTERNAL_SERVER_ERROR" not in codes, (operation.label, body, answer)
                assert all(code for code in codes), answer  # every error carries a code
    assert sent >= 32 * 2
