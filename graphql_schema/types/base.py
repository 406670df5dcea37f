"""Helpers shared by the object types: related objects and nested connections."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import graphene
from graphene.types.resolver import set_default_resolver

from graphql_schema.relay import child_page, global_id, page_args


def read_attribute(attname: str, default_value: Any, root: Any, info: Any, **args: Any) -> Any:
    """The resolver of a field without its own: the key of a dict root, else the attribute
    — graphene's default (`dict_or_attr_resolver`) in one call instead of two, since most of
    the fields of an answer are read this way."""
    if isinstance(root, dict):
        return root.get(attname, default_value)
    return getattr(root, attname, default_value)


# graphene's public switch; it applies to the types of the schema built after this import
set_default_resolver(read_attribute)


class NodeObject(graphene.ObjectType):
    """An object type of the Node interface (its `Meta` names it): the `id` field declared
    once more here, so that it is read in one call (graphene's GlobalID field takes five)."""

    class Meta:
        abstract = True

    id = graphene.ID(required=True, description="The ID of the object")

    @staticmethod
    def resolve_id(root: Any, info: Any) -> str:
        return global_id(info.parent_type.name, root.id)


def _load(info: Any, model: type, pk: int | None) -> Any:
    """The object `pk` of `model` (None if not visible): from memory when this request has
    loaded it already, else through the request's loader."""
    return info.context.loaders.load(model, pk)


def _page(relation: str, what: str, conn: Any) -> graphene.Field:
    """A nested connection field paged per parent by a windowed, batched statement; its
    page is usually loaded ahead with its parent's (graphql_schema.selection.PagePlan)."""

    def resolve(root: Any, info: Any, first: int, after: str | None = None) -> Any:
        return child_page(info, relation, root.id, first, after)

    resolve.page_relation = relation  # type: ignore[attr-defined]  # read by selection.py
    return graphene.Field(
        graphene.NonNull(conn), description=f"The {what}.", resolver=resolve, **page_args()
    )


def _lazy(name: str) -> Callable[[], Any]:
    """A type of the package by name, looked up when the schema is built (types of one
    domain refer to another's without import cycles)."""
    return lambda: getattr(importlib.import_module("graphql_schema.types"), name)
