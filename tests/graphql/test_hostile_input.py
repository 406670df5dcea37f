"""Hostile values in every mutation argument, global ID and cursor: a coded error or a
UserError inside a well-formed request (HTTP 200), never INTERNAL_SERVER_ERROR (SPEC §11).

The mutations and their input fields are read from the schema, so a new mutation is covered
the day it is added. Runs on SQLite and PostgreSQL (only PostgreSQL refuses NUL bytes)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql_relay import to_global_id
from sqlalchemy import select

from graphql_schema.schema import schema
from kernel.db import Base, Database
from tests.graphql.conftest import Gql, World, gid

NUL_VALUES = ["\x00", "a\x00b", "tee\x00"]
ODD_VALUES = ["²", "٣", "1e3", "-1", "99999999999999999999", "../", "\u202egnp", "🎬", "x" * 10_000]
INT_VALUES: list[Any] = [2**31, -(2**31) - 1, "²", "٣", 1.5, "1e3"]


def unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def real_id(world: World, mutation: str, name: str) -> str:
    """An ID of merchant A's world of the type a field named `name` of `mutation` takes
    (guessed from the names), so that the other fields are checked too."""
    ids = {
        "agreement": ("Agreement", world.a.agreement_id),
        "film": ("Film", world.film_id),
        "cinema": ("Cinema", world.cinema_id),
        "product": ("Product", world.a.draft_id),
        "merchant": ("Merchant", world.a.id),
        "token": ("ApiToken", world.a.token_id),
        "order": ("Order", world.order_id),
        "line": ("OrderLine", world.line_ids["acme"]),
        "report": ("SalesReport", world.report_ids["acme"]),
    }
    words = name.lower().removesuffix("ids").removesuffix("id") or mutation.lower()
    for word, (type_name, pk) in ids.items():
        if word in words:
            return gid(type_name, pk)
    return gid("Product", world.a.draft_id)


def base_value(kind: Any, world: World, mutation: str = "", name: str = "") -> Any:
    """A plausible value of an input type: every field filled, one element per list."""
    if isinstance(kind, GraphQLNonNull):
        return base_value(kind.of_type, world, mutation, name)
    if isinstance(kind, GraphQLList):
        return [base_value(kind.of_type, world, mutation, name)]
    if isinstance(kind, GraphQLInputObjectType):
        return {n: base_value(f.type, world, mutation, n) for n, f in kind.fields.items()}
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    assert isinstance(kind, GraphQLScalarType), kind
    if kind.name == "ID":
        return real_id(world, mutation, name)
    if name == "currency":
        return "USD"
    if name == "amount":
        return "12.00"
    return {
        "String": "x",
        "Int": 1,
        "BigInt": 1,
        "Boolean": False,
        "Date": "2026-01-01",
        "DateTime": "2026-01-01T00:00:00+00:00",
    }[kind.name]


def leaves(kind: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path into the base value, scalar name) of every scalar field, list elements included."""
    if isinstance(kind, GraphQLNonNull):
        yield from leaves(kind.of_type, path)
    elif isinstance(kind, GraphQLList):
        yield from leaves(kind.of_type, (*path, 0))
    elif isinstance(kind, GraphQLInputObjectType):
        for name, f in kind.fields.items():
            yield from leaves(f.type, (*path, name))
    elif isinstance(kind, GraphQLScalarType):
        yield path, kind.name


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        return [replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return {**value, head: replaced(value[head], rest, new)}


def mutations() -> list[tuple[str, GraphQLField]]:
    mutation = schema.graphql_schema.mutation_type
    assert mutation is not None
    return sorted(mutation.fields.items())


def operation(name: str, field: GraphQLField) -> str:
    args = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    return f"mutation({args}) {{ {name}({passed}) {{ errors {{ field code message }} }} }}"


def check_answer(body: dict[str, Any], where: Any) -> bool:
    """No internal error, every error coded; True when the operation was refused."""
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, (where, body)
    assert all(codes), (where, body)
    data = body.get("data") or {}
    user_errors = [e for payload in data.values() if payload for e in payload.get("errors", [])]
    return bool(codes or user_errors)


async def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table as text, but when a token was last used (any request that
    carries one moves it)."""
    rows: dict[str, list[str]] = {}
    async with db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "last_used_at"]
            result = await session.execute(select(*columns))
            rows[table.name] = sorted(repr(tuple(r)) for r in result.all())
    return rows


@pytest.mark.slow
async def test_every_mutation_argument_refuses_hostile_values_with_a_code(
    gql: Gql, world: World, db: Database
) -> None:
    ops = mutations()
    assert len(ops) >= 10
    before = await snapshot(db)
    cases = 0
    for name, field in ops:
        query = operation(name, field)
        base = {a: base_value(arg.type, world, name, a) for a, arg in field.args.items()}
        for arg_name, arg in field.args.items():
            for path, scalar in leaves(arg.type, (arg_name,)):
                if scalar not in ("String", "ID"):
                    continue
                for value in NUL_VALUES:
                    for token in (world.a.token, world.staff_token):
                        response = await gql.raw(query, replaced(base, path, value), token=token)
                        cases += 1
                        assert response.status_code == 200, (name, path, response.text)
                        assert check_answer(response.json(), (name, path)), (name, path, value)
    assert cases > 50
    assert await snapshot(db) == before

    # odd but possible values: no internal error, merchant or staff (success is allowed)
    for name, field in ops:
        query = operation(name, field)
        base = {a: base_value(arg.type, world, name, a) for a, arg in field.args.items()}
        for arg_name, arg in field.args.items():
            for path, scalar in leaves(arg.type, (arg_name,)):
                values = {
                    "String": ODD_VALUES,
                    "ID": [*ODD_VALUES, gid("Product", world.b.draft_id), gid("Film", 2**40)],
                    "Int": INT_VALUES,
                    "BigInt": [*INT_VALUES[2:], 2**70],
                }.get(scalar, [])
                for value in values:
                    variables = replaced(base, path, value)
                    for token in (world.a.token, world.staff_token):
                        response = await gql.raw(query, variables, token=token)
                        assert response.status_code == 200, (name, path, response.text)
                        check_answer(response.json(), (name, path, str(value)[:12]))


async def test_nul_in_a_string_literal_is_a_coded_error(gql: Gql, world: World) -> None:
    for literal in ('"moon\\u0000harbor"', '"moon\x00harbor"', '"""moon\x00harbor"""'):
        body = await gql(f"{{ film(slug: {literal}) {{ title }} }}")
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


HOSTILE_IDS = [
    to_global_id("Film", "²"),
    to_global_id("Film", "٣"),
    to_global_id("Film", "99999999999"),
    to_global_id("Film", "-1"),
    to_global_id("Film", " 1"),  # another spelling of an existing film's ID names nothing
    to_global_id("Film", "01"),
    to_global_id("Film", "1\x00"),
    to_global_id("Fi\x00lm", "1"),
    to_global_id("RoyaltyStatement", "².2026-Q1"),
    to_global_id("RoyaltyStatement", "99999999999.2026-Q1"),
    to_global_id("RoyaltyStatement", "1.٢٠٢٦-Q1"),
    "²",
    "%%%",
    "x" * 10_000,
]


async def test_hostile_global_ids_are_not_found(gql: Gql, world: World) -> None:
    for value in HOSTILE_IDS:
        for token in (None, world.a.token, world.staff_token):
            body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": value}, token=token)
            assert check_answer(body, value[:20]) is ("\x00" in value), (value[:20], body)
            assert body["data"] in (None, {"node": None}), (value[:20], body)
    # the same through a filter that takes a Merchant ID
    for value in HOSTILE_IDS:
        body = await gql(
            "query($m: ID) { products(first: 5, filter: {merchantId: $m}) { totalCount } }",
            {"m": value},
            token=world.staff_token,
        )
        check_answer(body, value[:20])


HOSTILE_CURSORS = [
    "²",
    b64("offset:²"),
    b64("offset:٣"),
    b64("offset:-1"),
    b64("offset:99999999999999999999"),
    b64("offset:1e3"),
    b64("offset:1\x00"),
    "x" * 10_000,
]


async def test_hostile_cursors_are_a_coded_error(gql: Gql, world: World) -> None:
    for value in HOSTILE_CURSORS:
        body = await gql(
            "query($after: String) { films(first: 2, after: $after) { totalCount } }",
            {"after": value},
        )
        assert body["data"] is None, (value[:20], body)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (value[:20], body)
