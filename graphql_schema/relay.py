"""Relay plumbing: the Node interface, global IDs, and connections with `first`/`after`.

Cursors are opaque offsets. `first` (1-100) is required on every connection; the limits rule
refuses a missing or oversized `first` before execution, and `page_window` checks again for
values that arrive through variables.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import graphene
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from graphql_relay import from_global_id, to_global_id
from sqlalchemy import Select, func, select

from graphql_schema.errors import bad_user_input
from kernel.parsing import InvalidInput, has_unsafe_characters, parse_id, parse_int

MAX_PAGE = 100
MAX_OFFSET = 999_999_999
_CURSOR_PREFIX = "offset:"

# model class -> graphene type, filled in by graphql_schema.types
TYPE_FOR_MODEL: dict[type, type[graphene.ObjectType]] = {}
MODEL_FOR_TYPE: dict[str, type] = {}


def register(model: type, gql_type: type[graphene.ObjectType]) -> None:
    TYPE_FOR_MODEL[model] = gql_type
    MODEL_FOR_TYPE[gql_type._meta.name] = model


class Node(graphene.relay.Node):
    """An object with a global ID, which `node(id:)` fetches again."""

    class Meta:
        name = "Node"
        description = "An object with a global ID that `node(id:)` can fetch again."

    @classmethod
    def resolve_type(cls, instance: Any, info: Any) -> Any:
        return TYPE_FOR_MODEL[type(instance)]

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


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) of a page; BAD_USER_INPUT for a missing or out-of-range `first` or a
    cursor this API did not hand out."""
    if first is None or not 1 <= first <= MAX_PAGE:
        raise bad_user_input(f"`first` must be between 1 and {MAX_PAGE}.", argument="first")
    if after is None:
        return 0, first
    try:
        text = base64.urlsafe_b64decode(after[:64].encode()).decode() if len(after) <= 64 else ""
        if not text.startswith(_CURSOR_PREFIX):
            raise InvalidInput("not a cursor", "after")
        offset = parse_int(text.removeprefix(_CURSOR_PREFIX), field="after", min=0, max=MAX_OFFSET)
    except (ValueError, binascii.Error, UnicodeError, InvalidInput):
        raise bad_user_input(
            "`after` is not a cursor of this connection.", argument="after"
        ) from None
    return offset + 1, first


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
    count: Callable[[], Awaitable[int]]

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
    name = node_type._meta.name

    async def resolve_total_count(root: Page, info: Any) -> int:
        return await root.count()

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


def selected_names(info: Any) -> set[str]:
    """Every field name selected below the current field (fragments followed): enough to
    decide which related objects to prefetch for a page."""
    names: set[str] = set()
    seen: set[str] = set()
    stack = [node.selection_set for node in info.field_nodes if node.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.selection_set:
                    stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return names


async def paginate(
    info: Any,
    stmt: Select[Any],
    order_by: Sequence[Any],
    first: int | None,
    after: str | None,
) -> Page:
    """A page of a root connection: one statement for the rows, one more only if
    `totalCount` is asked for, each in the request's read session (see context.py)."""
    offset, limit = page_window(first, after)
    ctx = info.context
    async with ctx.read_session() as session:
        rows = list(
            (await session.scalars(stmt.order_by(*order_by).offset(offset).limit(limit + 1))).all()
        )
    ctx.loaders.remember(rows[:limit])
    await ctx.loaders.prefetch(rows[:limit], selected_names(info))

    async def count() -> int:
        async with ctx.read_session() as session:
            total = await session.scalar(
                select(func.count()).select_from(stmt.order_by(None).subquery())
            )
        return int(total or 0)

    return Page(rows[:limit], offset, len(rows) > limit, count)


async def child_page(
    info: Any, relation: str, parent_id: int, first: int | None, after: str | None
) -> Page:
    """A page of a nested connection, batched over every parent by the request's loaders."""
    offset, limit = page_window(first, after)
    loaders = info.context.loaders
    wanted = frozenset(selected_names(info))
    found = await loaders.page(relation).load((parent_id, offset, limit, wanted))

    async def count() -> int:
        return await loaders.count(relation).load(parent_id)

    return Page(found.rows, offset, found.has_next, count)
