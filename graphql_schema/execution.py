"""graphql-core's executor with fast paths for the fields of big lists.

1. A leaf read from an attribute by graphene's default resolver (or a Relay global id),
   without arguments: read and serialize it directly.
2. Any other field without arguments: call its resolver with a light resolve info that
   carries what our resolvers use (`context`, `schema`, `variable_values`…) but not the
   field's own path and nodes, which graphql-core would build for every field.

Both skip building the resolve info and coercing absent arguments. Anything unusual (a null
in a non-null field, a value the scalar refuses, a resolver that raises) goes through
graphql-core's own path, so results and errors are the same. About half the CPU of the
catalog query goes away (bench/bench_graphql.py). Resolvers without arguments must
therefore use only `info.context` (and the other execution-wide attributes).
"""

from __future__ import annotations

import functools
from asyncio import gather
from types import CoroutineType
from typing import Any

from graphene.relay.node import GlobalID
from graphene.types.resolver import dict_or_attr_resolver
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
)
from graphql.error import located_error
from graphql.execution import ExecutionContext
from graphql.pyutils import Path
from graphql_relay import to_global_id

_ATTR, _GLOBAL_ID, _RESOLVER = 1, 2, 3
_NO_PLAN = (0, "", None, None, False)
_PLAIN = frozenset({str, int, bool, type(None), float, list, dict, tuple})


_AWAITABLE_TYPES: dict[type, bool] = {kind: False for kind in _PLAIN}
_AWAITABLE_TYPES[CoroutineType] = True


def fast_is_awaitable(value: Any) -> bool:
    """graphql-core's test, answered by the value's type (`await` looks `__await__` up on
    the type too), remembered per type."""
    kind = type(value)
    found = _AWAITABLE_TYPES.get(kind)
    if found is None:
        found = _AWAITABLE_TYPES[kind] = hasattr(kind, "__await__")
    return found


@functools.lru_cache(maxsize=65536)
def _global_id(type_name: str, pk: str) -> str:
    """graphql_relay's to_global_id (base64 of "Type:pk"), remembered: the same objects
    come back in every request."""
    return to_global_id(type_name, pk)


@functools.cache
def _plan(parent_type: GraphQLObjectType, name: str) -> tuple[int, str, Any, Any, bool]:
    field = parent_type.fields.get(name)
    if field is None or field.args:
        return _NO_PLAN
    leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    non_null = isinstance(field.type, GraphQLNonNull)
    resolve = field.resolve
    light = (_RESOLVER, "", field, None, non_null)
    if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
        return light if resolve is not None else _NO_PLAN
    if not isinstance(resolve, functools.partial):
        return light if resolve is not None else _NO_PLAN
    if resolve.func is dict_or_attr_resolver and len(resolve.args) == 2:
        return (_ATTR, resolve.args[0], resolve.args[1], leaf, non_null)
    if (
        resolve.func is GlobalID.id_resolver
        and not resolve.keywords.get("parent_type_name")
        and isinstance(resolve.args[0], functools.partial)
        and resolve.args[0].func is dict_or_attr_resolver
    ):
        return (_GLOBAL_ID, resolve.args[0].args[0], None, leaf, non_null)
    return light


class LightInfo:
    """The execution-wide part of a resolve info (see the module docstring)."""

    __slots__ = (
        "context",
        "fragments",
        "is_awaitable",
        "operation",
        "root_value",
        "schema",
        "variable_values",
    )

    def __init__(self, execution: ExecutionContext) -> None:
        self.context = execution.context_value
        self.fragments = execution.fragments
        self.is_awaitable = execution.is_awaitable
        self.operation = execution.operation
        self.root_value = execution.root_value
        self.schema = execution.schema
        self.variable_values = execution.variable_values


class FastExecutionContext(ExecutionContext):
    """See the module docstring."""

    _light_info: LightInfo | None = None
    _field_plans: dict[int, tuple[Any, list[tuple[Any, ...]]]] | None = None

    def _plans_of(
        self, parent_type: GraphQLObjectType, fields: dict[str, list[FieldNode]]
    ) -> list[tuple[Any, ...]]:
        """The plan of every field of a selection, per (type, selection) of this request:
        graphql-core hands out the same `fields` dict for every object of one list."""
        if self._field_plans is None:
            self._field_plans = {}
        key = id(fields)
        found = self._field_plans.get(key)
        if found is not None and found[0] is fields:
            return found[1]
        plans = []
        for response_name, field_nodes in fields.items():
            node = field_nodes[0]
            kind, attname, default, leaf, non_null = _plan(parent_type, node.name.value)
            if kind == _RESOLVER or node.arguments or self.middleware_manager:
                kind = 0
            plans.append((response_name, field_nodes, kind, attname, default, leaf, non_null))
        # keep `fields` alive with its plan, so that its id is not reused meanwhile
        self._field_plans[key] = (fields, plans)
        return plans

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        fields: dict[str, list[FieldNode]],
    ) -> Any:
        """graphql-core's execute_fields, with the leaves read from an attribute done inline
        (no path, no call) when their value is there and serializes; else the usual way."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        is_dict = isinstance(source_value, dict)
        type_name = parent_type.name
        for response_name, field_nodes, kind, attname, default, leaf, non_null in self._plans_of(
            parent_type, fields
        ):
            if kind:
                if is_dict:
                    value = source_value.get(attname, default)
                else:
                    value = getattr(source_value, attname, default)
                if value is not None:
                    if kind == _GLOBAL_ID:
                        results[response_name] = _global_id(type_name, str(value))
                        continue
                    if leaf is GraphQLString and type(value) is str:
                        results[response_name] = value
                        continue
                    try:
                        serialized = leaf.serialize(value)
                    except Exception:  # let graphql-core report it the usual way
                        serialized = None
                    if serialized is not None and serialized is not Undefined:
                        results[response_name] = serialized
                        continue
                elif not non_null:
                    results[response_name] = None
                    continue
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, type_name)
            )
            if result is not Undefined:
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            results.update(
                zip(
                    awaitable_fields,
                    await gather(*(results[field] for field in awaitable_fields)),
                    strict=True,
                )
            )
            return results

        return get_results()

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path,
    ) -> Any:
        node = field_nodes[0]
        kind, attname, default, leaf, non_null = _plan(parent_type, node.name.value)
        if not kind or node.arguments or self.middleware_manager:
            return super().execute_field(parent_type, source, field_nodes, path)
        if kind == _RESOLVER:
            return self._resolve_light(parent_type, source, field_nodes, path, default)
        if isinstance(source, dict):
            value = source.get(attname, default)
        else:
            value = getattr(source, attname, default)
        if value is None:
            if non_null:
                return super().execute_field(parent_type, source, field_nodes, path)
            return None
        if kind == _GLOBAL_ID:
            return _global_id(parent_type.name, str(value))
        try:
            serialized = leaf.serialize(value)
        except Exception:  # let graphql-core report it the usual way
            return super().execute_field(parent_type, source, field_nodes, path)
        if serialized is None or serialized is Undefined:
            return super().execute_field(parent_type, source, field_nodes, path)
        return serialized

    def _resolve_light(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path,
        field: GraphQLField,
    ) -> Any:
        if self._light_info is None:
            self._light_info = LightInfo(self)
        info: Any = self._light_info
        return_type = field.type
        try:
            result = field.resolve(source, info)  # type: ignore[misc]
        except Exception:  # report it the usual way, with the full resolve info
            return super().execute_field(parent_type, source, field_nodes, path)
        if self.is_awaitable(result):

            async def await_result() -> Any:
                try:
                    completed = self.complete_value(
                        return_type, field_nodes, info, path, await result
                    )
                    return await completed if self.is_awaitable(completed) else completed
                except Exception as raw_error:
                    self._failed(raw_error, field_nodes, path, return_type)
                    return None

            return await_result()
        try:
            completed = self.complete_value(return_type, field_nodes, info, path, result)
        except Exception as raw_error:
            self._failed(raw_error, field_nodes, path, return_type)
            return None
        if self.is_awaitable(completed):

            async def await_completed() -> Any:
                try:
                    return await completed
                except Exception as raw_error:
                    self._failed(raw_error, field_nodes, path, return_type)
                    return None

            return await_completed()
        return completed

    def _failed(
        self, raw_error: Exception, field_nodes: list[FieldNode], path: Path, return_type: Any
    ) -> None:
        error = located_error(raw_error, field_nodes, path.as_list())
        self.handle_field_error(error, return_type, path)
