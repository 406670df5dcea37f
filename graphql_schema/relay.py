"""Relay plumbing: the Node interface, global IDs, and connections with `first`/`after`
(cursors in graphql_schema.cursors), and the loading of their pages.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import graphene
from graphql_relay import from_global_id, to_global_id
from sqlalchemy import Select, func, select

from graphql_schema.cursors import MAX_PAGE, encode_cursor, page_window
from graphql_schema.records import columns, model_of, records
from graphql_schema.selection import PagePlan, page_plans, selected_names
from kernel.parsing import InvalidInput, has_unsafe_characters, parse_id

__all__ = ["MAX_PAGE", "encode_cursor", "page_window"]  # and the names defined below

# model class -> graphene type, filled in by graphql_schema.types
TYPE_FOR_MODEL: dict[type, type[graphene.ObjectType]] = {}
MODEL_FOR_TYPE: dict[str, type] = {}


def register(model: type, gql_type: type[graphene.ObjectType]) -> None:
    """`gql_type` (named as its class) shows objects of `model` (tests/graphql/test_schema.py
    checks the names)."""
    TYPE_FOR_MODEL[model] = gql_type
    MODEL_FOR_TYPE[gql_type.__name__] = model


class Node(graphene.relay.Node):
    """An object with a global ID, which `node(id:)` fetches again."""

    class Meta:
        name = "Node"
        description = "An object with a global ID that `node(id:)` can fetch again."

    @classmethod
    def resolve_type(cls, instance: Any, info: Any) -> Any:
        return TYPE_FOR_MODEL[model_of(instance)]

    @classmethod
    def to_global_id(cls, type_: str, id: Any) -> str:
        """graphene's hook for the `id` field of every node type: `global_id`, remembered."""
        return global_id(type_, id)


@functools.lru_cache(maxsize=65_536)
def global_id(type_name: str, pk: int | str) -> str:
    """base64 of "Type:pk" (graphql_relay's to_global_id), remembered: it is pure, and the
    same objects come back request after request, each with its id."""
    return to_global_id(type_name, str(pk))


def split_id(value: object) -> tuple[str, str] | None:
    """(type name, raw key) of a global ID — base64 of "Type:key" — or None when it is not
    one: too long, not base64, or with a type name or key that is not clean text."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        kind, raw = from_global_id(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not kind or has_unsafe_characters(kind) or has_unsafe_characters(raw):
        return None
    return kind, raw


def decode_id(value: str | None, type_name: str | None = None) -> tuple[str, int] | None:
    """(type name, primary key) of a global ID, or None when it is malformed (the key must
    be a database id: ASCII digits, 1 to 2**31 - 1) or of another type than `type_name`;
    callers answer "not found" in both cases."""
    found = split_id(value)
    if found is None:
        return None
    kind, raw = found
    if type_name is not None and kind != type_name:
        return None
    try:
        pk = parse_id(raw, field="id")
    except InvalidInput:
        return None
    # One spelling per object: the ID as issued ("Product: 1" or "Product:01" name nothing).
    return (kind, pk) if str(pk) == raw else None


def decode_pk(value: str | None, type_name: str) -> int | None:
    decoded = decode_id(value, type_name)
    return decoded[1] if decoded else None


@dataclass(frozen=True)
class Edge:
    node: Any
    cursor: str


@dataclass(frozen=True)
class PageInfoValue:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass
class Page:
    """One page of a connection, as the connection types read it."""

    items: list[Any]
    offset: int
    has_next: bool
    count: Callable[[], int | Awaitable[int]]  # at once when loaded already

    @property
    def nodes(self) -> list[Any]:
        return self.items

    @property
    def edges(self) -> list[Edge]:
        return [Edge(item, encode_cursor(self.offset + i)) for i, item in enumerate(self.items)]

    @property
    def page_info(self) -> PageInfoValue:
        last = self.offset + len(self.items) - 1
        return PageInfoValue(
            has_next_page=self.has_next,
            has_previous_page=self.offset > 0,
            start_cursor=encode_cursor(self.offset) if self.items else None,
            end_cursor=encode_cursor(last) if self.items else None,
        )


def connection(node_type: type[graphene.ObjectType], what: str) -> type[graphene.ObjectType]:
    """The `<Type>Connection` of a node type, with `edges`, `nodes`, `pageInfo`, `totalCount`."""
    name = node_type.__name__

    def resolve_total_count(root: Page, info: Any) -> int | Awaitable[int]:
        return root.count()

    meta = type("Meta", (), {"node": node_type, "description": f"A page of {what}."})
    return type(
        f"{name}Connection",
        (graphene.relay.Connection,),
        {
            "Meta": meta,
            "nodes": graphene.List(
                graphene.NonNull(node_type),
                required=True,
                description=f"The {what} of this page (a shortcut for `edges {{ node }}`).",
            ),
            "total_count": graphene.Int(
                required=True, description=f"How many {what} the caller may see, on all pages."
            ),
            "resolve_total_count": staticmethod(resolve_total_count),
        },
    )


def page_args() -> dict[str, graphene.Argument]:
    return {
        "first": graphene.Int(
            required=True, description=f"How many items to return: 1 to {MAX_PAGE}."
        ),
        "after": graphene.String(
            description="Return the items after this cursor (`pageInfo.endCursor`)."
        ),
    }


def connection_field(
    conn: type[graphene.ObjectType], description: str, **extra: Any
) -> graphene.Field:
    return graphene.Field(graphene.NonNull(conn), description=description, **page_args(), **extra)


async def paginate(
    info: Any,
    stmt: Select[Any],
    order_by: Sequence[Any],
    first: int | None,
    after: str | None,
) -> Page:
    """A page of a root connection of `stmt` (a select of one model): records of the model
    from one statement, and one more only if `totalCount` is asked for, each in the
    request's read session (see context.py). What the fields below the page will read —
    related objects, nested pages — is loaded before it is returned, for all its nodes at
    once, so that those fields resolve at once."""
    offset, limit = page_window(first, after)
    ctx = info.context
    model = stmt.column_descriptions[0]["entity"]
    page = stmt.with_only_columns(*columns(model)).order_by(*order_by)
    async with ctx.read_session() as session:
        rows = records(model, (await session.execute(page.offset(offset).limit(limit + 1))).all())
    shown = rows[:limit]
    ctx.loaders.remember(shown)
    await ctx.loaders.prefetch_below(shown, selected_names(info), page_plans(info))

    async def count() -> int:
        async with ctx.read_session() as session:
            total = await session.scalar(
                select(func.count()).select_from(stmt.order_by(None).subquery())
            )
        return int(total or 0)

    return Page(shown, offset, len(rows) > limit, count)


def child_page(
    info: Any, relation: str, parent_id: int, first: int | None, after: str | None
) -> Page | Awaitable[Page]:
    """A page of a nested connection: at once when it was loaded with its parent's page
    (a PagePlan), else an awaitable of it from the request's page loader, batched over
    every parent (with what is selected below it)."""
    offset, limit = page_window(first, after)
    loaders = info.context.loaders
    found = loaders.ready_page(relation, parent_id, offset, limit)
    if found is None:
        return _load_child_page(info, relation, parent_id, offset, limit)
    count = functools.partial(loaders.count_of, relation, parent_id)
    return Page(found.rows, offset, found.has_next, count)


async def _load_child_page(
    info: Any, relation: str, parent_id: int, offset: int, limit: int
) -> Page:
    loaders = info.context.loaders
    wanted = frozenset(selected_names(info))
    plan = PagePlan(relation, offset, limit, wanted, False, page_plans(info))
    found = await loaders.page(relation).load((parent_id, plan))
    count = functools.partial(loaders.count_of, relation, parent_id)
    return Page(found.rows, offset, found.has_next, count)
