"""Running one operation: graphql-core's `execute`, as published, then the end of the
request's reads.

No subclass of graphql-core's executor and none of its private names: the speed comes from
the data layer (one read session per request, records, pages loaded ahead — see
graphql_schema.context, loaders and selection), so that most fields resolve at once from
what is loaded. Of `execute`'s own parameters we pass `is_awaitable`: graphql-core asks it
about every value a field produces, and answering by the value's type is cheaper than its
default's attribute probe.
"""

from __future__ import annotations

from inspect import isawaitable
from types import GeneratorType
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLSchema, execute
from graphql.pyutils import is_awaitable

from graphql_schema.context import Context
from graphql_schema.schema import schema

_AWAITABLE_TYPES: dict[type, bool] = {}


def awaitable_by_type(value: Any) -> bool:
    """Whether `value` can be awaited: whether its type has `__await__` (which is where
    `await` looks), remembered per type; graphql-core's own test for generators, which may
    be old-style coroutines."""
    kind = type(value)
    if kind is GeneratorType:
        return is_awaitable(value)
    found = _AWAITABLE_TYPES.get(kind)
    if found is None:
        found = _AWAITABLE_TYPES[kind] = hasattr(kind, "__await__")
    return found


async def run_operation(
    document: DocumentNode,
    context: Context,
    variables: dict[str, Any],
    operation_name: str | None,
    *,
    hide_suggestions: bool,
    graphql_schema: GraphQLSchema | None = None,
) -> ExecutionResult:
    """Execute one operation, then end the request's reads (`Context.finish`) whatever
    happened: on an error that nulls a parent, graphql-core returns without waiting for the
    parent's other fields (tests/graphql/test_resolvers.py), and those must not read any
    more."""
    try:
        result = execute(
            graphql_schema or schema.graphql_schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            hide_suggestions=hide_suggestions,
            is_awaitable=awaitable_by_type,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        # A copy: a field still running appends its errors to graphql-core's list.
        result = ExecutionResult(result.data, list(result.errors) if result.errors else None)
    finally:
        await context.finish()
    return result
