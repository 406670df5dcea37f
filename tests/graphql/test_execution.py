"""The fast executor gives exactly graphql-core's answers (data and errors)."""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

from graphql import ExecutionResult, execute, parse

from graphql_schema.context import Context
from graphql_schema.execution import FastExecutionContext, fast_is_awaitable
from graphql_schema.schema import schema
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import PUBLIC, Viewer
from tests.graphql.conftest import NOW, World
from tests.graphql.test_loaders import CATALOG, add_films

ORDERS = """{ orders(first: 5) { nodes { number email total { amount } status
  lines { kind quantity unitPrice { amount } product { sku merchant { slug } } } } } }"""


async def run(db: Database, settings: Settings, viewer: Viewer, query: str, fast: bool) -> Any:
    context = Context(db=db, settings=settings, viewer=viewer, now=NOW)
    extra: dict[str, Any] = (
        {"execution_context_class": FastExecutionContext, "is_awaitable": fast_is_awaitable}
        if fast
        else {}
    )
    result = execute(schema.graphql_schema, parse(query), context_value=context, **extra)
    if isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    return result.data, [e.formatted for e in result.errors or []]


async def test_fast_executor_answers_like_graphql_core(
    db: Database, settings: Settings, world: World
) -> None:
    await add_films(db, world, 3)
    merchant = Viewer(merchant_id=world.a.id, name="acme")
    staff = Viewer(staff_user_id=1, name="lena")
    cases = [(staff, CATALOG), (PUBLIC, CATALOG), (merchant, CATALOG), (merchant, ORDERS),
             (PUBLIC, ORDERS)]  # fmt: skip
    for viewer, query in cases:
        slow = await run(db, settings, viewer, query, fast=False)
        quick = await run(db, settings, viewer, query, fast=True)
        assert quick == slow
    assert (await run(db, settings, PUBLIC, ORDERS, fast=True))[1][0]["message"]
