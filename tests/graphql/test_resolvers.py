"""Resolvers run on graphql-core's executor as published: every resolver gets the full
resolve info and is called once; a field still running when an error ends the operation
cannot read after the response."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import graphene
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)
from graphql.pyutils import is_awaitable
from sqlalchemy import event

from graphql_schema.context import Context
from graphql_schema.operation import awaitable_by_type, run_operation
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import PUBLIC
from tests.graphql.conftest import NOW, Gql, World
from tests.graphql.test_loaders import add_films


def probe_schema(calls: list[str]) -> graphene.Schema:
    """A small schema whose resolvers take no arguments: they read `info.parent_type` or
    raise, at the root and below a list."""

    class Item(graphene.ObjectType):
        where = graphene.String()
        boom = graphene.String()

        @staticmethod
        def resolve_where(root: Any, info: Any) -> str:
            path = "/".join(map(str, info.path.as_list()))
            return f"{info.parent_type.name}.{info.field_name}@{path}"

        @staticmethod
        def resolve_boom(root: Any, info: Any) -> str:
            calls.append(f"item {root}")
            raise ValueError("boom")

    class Query(graphene.ObjectType):
        where = graphene.String()
        boom = graphene.String()
        items = graphene.List(Item)

        @staticmethod
        def resolve_where(root: Any, info: Any) -> str:
            return info.parent_type.name

        @staticmethod
        def resolve_boom(root: Any, info: Any) -> str:
            calls.append("root")
            raise ValueError("boom")

        @staticmethod
        def resolve_items(root: Any, info: Any) -> list[int]:
            return [1, 2]

    return graphene.Schema(query=Query)


async def run_probe(db: Database, settings: Settings, query: str, calls: list[str]) -> Any:
    context = Context(db=db, settings=settings, viewer=PUBLIC, now=NOW)
    return await run_operation(
        parse(query),
        context,
        {},
        None,
        hide_suggestions=False,
        graphql_schema=probe_schema(calls).graphql_schema,
    )


async def test_a_resolver_without_arguments_reads_the_parent_type(
    db: Database, settings: Settings
) -> None:
    """The forked executor gave argument-less resolvers a reduced info: reading
    `info.parent_type` gave null and an internal error."""
    result = await run_probe(db, settings, "{ where items { where } }", [])
    assert result.errors is None
    assert result.data == {
        "where": "Query",
        "items": [{"where": "Item.where@items/0/where"}, {"where": "Item.where@items/1/where"}],
    }


async def test_a_sync_resolver_that_raises_is_called_once(db: Database, settings: Settings) -> None:
    """The forked executor called a raising sync resolver a second time to report its error."""
    calls: list[str] = []
    result = await run_probe(db, settings, "{ boom items { boom } }", calls)
    assert calls == ["root", "item 1", "item 2"]
    assert result.data == {"boom": None, "items": [{"boom": None}, {"boom": None}]}
    assert [e.path for e in result.errors or []] == [
        ["boom"],
        ["items", 0, "boom"],
        ["items", 1, "boom"],
    ]


async def test_graphql_core_returns_before_the_siblings_of_a_failed_non_null_field() -> None:
    """Why the endpoint ends a request's reads itself (Context.finish): graphql-core 3.2
    gathers sibling fields without waiting for the others when one raises through a non-null
    field, so `execute` returns while a sibling is still running."""
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(root: Any, info: Any) -> str:
        started.set()
        await release.wait()
        finished.append("slow")
        return "late"

    async def fail(root: Any, info: Any) -> str:
        await started.wait()
        raise ValueError("no")

    query = GraphQLObjectType(
        "Query",
        {
            "slow": GraphQLField(GraphQLString, resolve=slow),
            "fail": GraphQLField(GraphQLNonNull(GraphQLString), resolve=fail),
        },
    )
    result = execute(GraphQLSchema(query), parse("{ slow fail }"))
    assert not isinstance(result, dict)
    result = await result  # type: ignore[misc]
    assert result.data is None and result.errors and result.errors[0].message == "no"
    assert finished == []  # `slow` has not finished, yet execute has returned
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert finished == ["slow"]


async def test_fields_still_running_after_an_error_do_not_read_after_the_response(
    gql: Gql, world: World, db: Database
) -> None:
    """Given an operation whose first root field fails (a non-null connection with a bad
    cursor) while its sibling goes on loading films and their products, the response is
    sent with the request's session handed back, and no statement runs after it."""
    await add_films(db, world, 3)
    late: list[str] = []
    answered = False

    def after_response(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if answered:
            late.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", after_response)
    try:
        body = await gql(
            """{ bad: films(first: 1, after: "nope") { totalCount }
                 films(first: 5) { nodes { slug products(first: 5) {
                   nodes { sku merchant { name } } } } } }"""
        )
        answered = True
        assert db.engine.pool.checkedout() == 0
        for _ in range(20):
            await asyncio.sleep(0.01)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", after_response)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert late == []
    assert db.engine.pool.checkedout() == 0


async def test_awaitables_are_told_by_their_type() -> None:
    """The `is_awaitable` given to graphql-core's execute agrees with graphql-core's own."""

    @types.coroutine
    def old_style() -> Any:
        yield

    async def coroutine() -> None:
        return None

    def generator() -> Any:
        yield 1

    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    running = coroutine()
    cases = [running, future, old_style(), generator(), "text", 1, None, [1], {"a": 1}, Gql]
    for value in cases:
        assert awaitable_by_type(value) is is_awaitable(value), value
    assert [awaitable_by_type(v) for v in cases[:4]] == [True, True, True, False]
    await running
    await future
