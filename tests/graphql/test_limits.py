"""Limits checked before execution: depth ≤ 10, cost ≤ 50,000, ≤ 100 aliases, `first`
required and 1-100 — each refusal with a clear `extensions.code`, nothing executed."""

from __future__ import annotations

from graphql import get_introspection_query, parse

from graphql_schema.limits import MAX_COST, query_cost, static_errors
from graphql_schema.schema import schema
from tests.graphql.conftest import Gql
from tiein.db import Database


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def test_cost_is_one_per_field_times_first_down_the_tree() -> None:
    query = "{ films(first: 50) { edges { node { products(first: 20) { nodes { name } } } } } }"
    cost, errors = query_cost(schema.graphql_schema, parse(query), None, {})
    assert (cost, errors) == (1 + 50 + 50 + 50 + 50 * 20 + 50 * 20, [])
    with_variable = "query($n: Int!) { films(first: $n) { nodes { title } } }"
    assert query_cost(schema.graphql_schema, parse(with_variable), None, {"n": 7})[0] == 15


def test_graphiql_introspection_query_passes_the_limits() -> None:
    document = parse(get_introspection_query(descriptions=True))
    assert static_errors(schema.graphql_schema, document) == []


async def test_too_deep_queries_are_refused(gql: Gql, db: Database) -> None:
    deep = "{ films(first: 1) { nodes { products(first: 1) { nodes { film { products(first: 1) { nodes { film { products(first: 1) { nodes { sku } } } } } } } } } } }"  # noqa: E501
    assert codes(await gql(deep)) == ["QUERY_TOO_DEEP"]
    nested_introspection = (
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    )
    assert codes(await gql(nested_introspection)) == ["QUERY_TOO_DEEP"]


async def test_too_costly_queries_are_refused_with_their_cost(gql: Gql, db: Database) -> None:
    query = """{ films(first: 100) { nodes { products(first: 100) { nodes { sku name
                 merchant { name } } } } } }"""
    body = await gql(query)
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["cost"] > MAX_COST
    assert body["extensions"]["cost"] > MAX_COST and "data" not in body


async def test_too_many_aliases_are_refused(gql: Gql, db: Database) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(101)) + " }"
    assert codes(await gql(query)) == ["TOO_MANY_ALIASES"]
    ok = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(100)) + " }"
    assert "errors" not in await gql(ok)


async def test_page_sizes_must_be_given_and_at_most_100(gql: Gql, db: Database) -> None:
    assert codes(await gql("{ films { totalCount } }")) == ["BAD_USER_INPUT"]
    assert codes(await gql("{ films(first: 101) { totalCount } }")) == ["BAD_USER_INPUT"]
    assert codes(await gql("{ films(first: 0) { totalCount } }")) == ["BAD_USER_INPUT"]
    by_variable = "query($n: Int!) { films(first: $n) { totalCount } }"
    assert codes(await gql(by_variable, {"n": 500})) == ["BAD_USER_INPUT"]
    assert "errors" not in await gql(by_variable, {"n": 100})
    bad_cursor = await gql('{ films(first: 5, after: "bm9wZQ==") { totalCount } }')
    assert codes(bad_cursor) == ["BAD_USER_INPUT"]
