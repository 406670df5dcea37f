"""Filters declared once: each filter field carries the condition it puts on the query, and
one `apply` narrows any list by any filter.

    class OrderFilter(Filter):
        '''Narrows `orders`.'''
        status = where(sc.OrderStatus, "Only orders in this status.",
                       lambda status, ctx: om.Order.status == status)

    orders = filtered(t.OrderConnection, "Orders, newest first.", OrderFilter)
    ...
    stmt = OrderFilter.apply(stmt, filter, info.context)

A condition is given only the value of a field the caller set (not null); every given one
must hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphene
from sqlalchemy import Select, false, select

from catalog import models as cm
from graphql_schema.errors import from_domain
from graphql_schema.relay import connection_field, decode_pk
from kernel.errors import DomainError

Condition = Callable[[Any, Any], Any]  # (value, request context) -> SQL condition


class FilterField(graphene.InputField):
    """An input field of a filter, with the condition it puts on the query."""

    def __init__(self, type_: Any, description: str, condition: Condition) -> None:
        super().__init__(type_, description=description, default_value=None)
        self.condition = condition


def where(type_: Any, description: str, condition: Condition) -> FilterField:
    return FilterField(type_, description, condition)


class Filter(graphene.InputObjectType):
    """Base of the list filters: `apply` puts every given field's condition on a query."""

    class Meta:
        abstract = True

    @classmethod
    def apply(cls, stmt: Select, value: Any, ctx: Any) -> Select:
        """`stmt` narrowed by the filter `value` (None: unchanged); a value a condition
        refuses (e.g. a malformed period) is BAD_USER_INPUT."""
        if not value:
            return stmt
        for name, field in cls._meta.fields.items():
            given = value.get(name)
            if given is None:
                continue
            try:
                stmt = stmt.where(field.condition(given, ctx))
            except DomainError as exc:
                raise from_domain(exc) from None
        return stmt


def filtered(
    conn: type[graphene.ObjectType], description: str, filter: type[Filter], **extra: Any
) -> graphene.Field:
    """A connection field taking `filter: <filter>`, described once by the filter's type."""
    return connection_field(
        conn,
        description,
        filter=filter(description="Conditions on the list; every given one must hold."),
        **extra,
    )


def is_id(column: Any, global_id: str, type_name: str) -> Any:
    """`column` equals the object a global ID names; an ID of another type or a malformed one
    matches nothing (a filter never errors on an ID the caller may not know)."""
    pk = decode_pk(global_id, type_name)
    return column == pk if pk is not None else false()


def film_by_slug(slug: str | None) -> Any:
    """The ids of the film with this slug (none when there is no such film)."""
    return select(cm.Film.id).where(cm.Film.slug == (slug or "").strip().lower())
