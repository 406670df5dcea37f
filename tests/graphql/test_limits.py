"""Limits checked before execution: depth ≤ 10, cost ≤ 50,000, ≤ 100 aliases, `first`
required and 1-100 — each refusal with a clear `extensions.code`, nothing executed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from graphql import Node, SelectionSetNode, get_introspection_query, parse

from graphql_schema import endpoint, limits
from graphql_schema.limits import MAX_COST, MAX_FIELD_REPEATS, query_cost, static_errors
from graphql_schema.schema import schema
from kernel.db import Database
from tests.graphql.conftest import Gql


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


def _doubling(n: int, on: str, leaf: str, spread: str = "...F{i} ...F{i}") -> str:
    """Fragments F1..Fn, each spreading the one below it twice: 2^n paths, a ~1.7 KB text at
    n = 30."""
    parts = [f"fragment F0 on {on} {{ {leaf} }}"]
    for i in range(1, n + 1):
        parts.append(f"fragment F{i} on {on} {{ {spread.format(i=i - 1)} }}")
    return "\n".join(parts)


FAN_OUTS = {
    "spreads": ("{{ ...F{n} }}", "Query", "viewer { kind }", "...F{i} ...F{i}", "QUERY_TOO_COSTLY"),
    "inline fragments": (
        "{{ ...F{n} }}", "Query", "viewer { kind }", "... on Query {{ ...F{i} }} ... {{ ...F{i} }}",
        "QUERY_TOO_COSTLY",
    ),
    "connections": (
        "{{ films(first: 2) {{ ...F{n} }} }}", "FilmConnection", "nodes { title }",
        "...F{i} ...F{i}", "QUERY_TOO_COSTLY",
    ),
    "aliases": ("{{ ...F{n} }}", "Query", "me: viewer { kind }", "...F{i} ...F{i}",
                "TOO_MANY_ALIASES"),
}  # fmt: skip


@pytest.mark.timeout(60)  # the old, path-by-path walk never finished at n = 30
@pytest.mark.parametrize("n", [30, 60])
@pytest.mark.parametrize("shape", list(FAN_OUTS))
async def test_exponential_fan_out_is_refused_at_once(
    gql: Gql, db: Database, monkeypatch: pytest.MonkeyPatch, shape: str, n: int
) -> None:
    """SPEC §11: the analysis is linear in the document and stops at the first limit, so a
    small document that fans out to 2^n paths is refused after a number of steps that grows
    with the document, not with its 2^n paths (counted, not timed: counts are deterministic)."""
    operation, on, leaf, spread, code = FAN_OUTS[shape]
    query = operation.format(n=n) + "\n" + _doubling(n, on, leaf, spread)
    assert len(query) < 4_000
    visits = 0
    walk = limits._Walk.selections

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal visits
        visits += 1
        return walk(self, *args, **kwargs)

    monkeypatch.setattr(limits._Walk, "selections", counted)
    body = await gql(query)
    assert codes(body) == [code] and "data" not in body
    selection_sets = sum(1 for _ in _selection_sets(parse(query)))
    assert 0 < visits <= 4 * selection_sets, (visits, selection_sets)
    if code == "QUERY_TOO_COSTLY":
        assert MAX_COST < body["extensions"]["cost"] <= 100 * MAX_COST


def _selection_sets(node: Any) -> Iterator[SelectionSetNode]:
    """Every selection set of a document, each once."""
    if isinstance(node, SelectionSetNode):
        yield node
    for key in getattr(node, "keys", ()):
        value = getattr(node, key, None)
        for child in value if isinstance(value, tuple | list) else (value,):
            if isinstance(child, Node):
                yield from _selection_sets(child)


def test_fragment_costs_are_the_sum_over_every_place_they_are_spread() -> None:
    """Remembering a fragment's figures changes nothing: spread at the root, under a page of
    50 and twice under a page of 3, it counts once per path, times the pages above it."""
    query = """
        fragment T on Film { title status }
        fragment P on ProductConnection { nodes { name } }
        { film(slug: "x") { ...T products(first: 4) { ...P } }
          films(first: 50) { nodes { ...T products(first: 3) { ...P ...P } } } }
    """
    cost, errors = query_cost(schema.graphql_schema, parse(query), None, {})
    film = 1 + 2 + (1 + 4 * (1 + 1))  # film, T, products(first: 4) { nodes { name } }
    films = 1 + 50 * (1 + 2 + (1 + 3 * (2 + 2)))
    assert (cost, errors) == (film + films, [])
    small = "{ ...F10 }\n" + _doubling(10, "Query", "viewer { kind }")
    assert query_cost(schema.graphql_schema, parse(small), None, {}) == (2 * 2**10, [])
    assert static_errors(schema.graphql_schema, parse(small)) == []


async def test_fragments_past_the_depth_limit_are_refused_wherever_spread(
    gql: Gql, db: Database
) -> None:
    """A fragment that is shallow enough at one place but too deep at another is refused."""
    query = """
        fragment Deep on Film { products(first: 1) { nodes { film { products(first: 1) {
          nodes { film { title } } } } } } }
        { film(slug: "x") { ...Deep }
          films(first: 1) { nodes { products(first: 1) { nodes { film { ...Deep } } } } } }
    """
    assert codes(await gql(query)) == ["QUERY_TOO_DEEP"]
    assert "errors" not in await gql(query.split("films(first: 1)")[0] + "}")


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents graphql-core's `validate` was run on, in this test."""
    seen: list[str] = []
    validate = endpoint.validate

    def counted(schema: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(document.loc.source.body if document.loc else "")
        return validate(schema, document, *args, **kwargs)

    monkeypatch.setattr(endpoint, "validate", counted)
    return seen


def _repeated(count: int, how: str) -> str:
    if how == "fields":
        return "{ " + " viewer { kind }" * count + " }"
    if how == "inline fragments":
        return "{ " + " ... on Query { viewer { kind } }" * count + " }"
    fragments = " ".join(f"fragment R{i} on Query {{ viewer {{ kind }} }}" for i in range(count))
    return "{ " + " ".join(f"...R{i}" for i in range(count)) + " } " + fragments


@pytest.mark.parametrize("how", ["fields", "inline fragments", "named fragments"])
async def test_one_field_repeated_at_one_place_is_bounded(
    gql: Gql, db: Database, validations: list[str], how: str
) -> None:
    """SPEC §11: graphql-core compares the fields of one response name pairwise, so 2,000
    `viewer { kind }` in one small document would cost seconds of validation; past
    MAX_FIELD_REPEATS at one place (however they get there) the document is refused before
    graphql-core validates it."""
    allowed = await gql(_repeated(MAX_FIELD_REPEATS, how))
    assert "errors" not in allowed and allowed["data"]["viewer"]["kind"]
    validated = len(validations)  # 1, or 0 when an earlier test cached the document
    refused = await gql(_repeated(2_000 if how != "named fragments" else 1_000, how))
    assert codes(refused) == ["TOO_MANY_REPEATS"] and "data" not in refused
    assert "'viewer'" in refused["errors"][0]["message"]
    assert len(validations) == validated  # refused before validation
    assert codes(await gql(_repeated(MAX_FIELD_REPEATS + 1, how))) == ["TOO_MANY_REPEATS"]


async def test_a_fragment_spread_twice_at_one_place_counts_once(gql: Gql, db: Database) -> None:
    spreads, fields = " ...Many" * 10, " viewer { kind }" * 40
    query = f"{{ {spreads} }} fragment Many on Query {{ {fields} }}"
    body = await gql(query)
    assert "errors" not in body and body["data"]["viewer"]["kind"]


@pytest.mark.parametrize(
    "nested",
    [
        "{ " + ("viewer { " + "merchant { name } " * 50 + "} ") * 50 + "}",
        "{ " + ("films(first: 1) { edges { node { " + "title " * 50 + "} } } ") * 50 + "}",
    ],
)
async def test_repeats_nested_in_repeats_are_bounded(
    gql: Gql, db: Database, validations: list[str], nested: str
) -> None:
    """Within 50 repeats at every place, repeats of repeats still make graphql-core compare
    50² pairs of fields, each with 50² pairs of sub-fields (seconds of CPU for a 40 KB
    document, budget or not): their overlap work is bounded, and refused before validation."""
    body = await gql(nested)
    assert codes(body) == ["TOO_MANY_REPEATS"] and "data" not in body
    assert validations == []
