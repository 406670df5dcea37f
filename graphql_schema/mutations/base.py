"""What every mutation shares: UserError, the write session, lookups through visibility.

A mutation takes one `input` and returns `{ <object>, errors: [UserError!]! }`. It runs in
its own write session (mutations run serially); a DomainError rolls the session back and
becomes UserErrors, with the field named as the input names it (camelCase). An id the
caller may not see is NOT_FOUND with the same message as an id that does not exist, and
nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import graphene
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.loaders import visible
from graphql_schema.relay import decode_pk
from kernel.errors import DomainError, ErrorCode
from kernel.money import check_currency, parse_amount
from licensing.models import Merchant, StaffUser

T = TypeVar("T")

NOT_FOUND = "NOT_FOUND"


class UserError(graphene.ObjectType):
    """A refusal of a mutation's input by a business rule; nothing was changed."""

    field = graphene.String(
        description="The input field at fault (camelCase path, e.g. `lines.2.territory`)."
    )
    code = graphene.String(required=True, description="A stable code naming the rule.")
    message = graphene.String(required=True, description="What went wrong, in plain words.")


class MoneyInput(graphene.InputObjectType):
    """An amount given as a decimal string in major units, with its currency."""

    amount = graphene.String(required=True, description='The amount, e.g. "12.34".')
    currency = graphene.String(required=True, description="The ISO 4217 currency code.")


def errors_field() -> graphene.List:
    return graphene.List(
        graphene.NonNull(UserError),
        required=True,
        description="Why the mutation was refused; empty on success.",
    )


_CAMEL = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def user_error(exc: DomainError, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    field = exc.field
    if field is not None:
        field = (fields or {}).get(field, camel(field))
    return {"field": field, "code": str(exc.code), "message": exc.message}


def domain_errors(exc: DomainError, fields: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """UserErrors of a refusal; a refusal that lists line errors yields one per line."""
    line_errors = getattr(exc, "line_errors", None)
    if line_errors:
        # line 0 stands for the report as a whole (e.g. the channel is not licensed)
        return [
            {
                "field": f"lines.{line_no}.{camel(field)}" if line_no else (camel(field) or None),
                "code": str(code),
                "message": message,
            }
            for line_no, field, code, message in line_errors
        ]
    return [user_error(exc, fields)]


async def run(
    info: Any,
    work: Callable[[AsyncSession], Awaitable[T]],
    fields: Mapping[str, str] | None = None,
) -> tuple[T | None, list[dict[str, Any]]]:
    """Run `work` in its own write transaction: (result, []) or (None, user errors)."""
    ctx = info.context
    try:
        async with ctx.db.session() as session:
            result = await work(session)
    except DomainError as exc:
        return None, domain_errors(exc, fields)
    ctx.reset_loaders()  # what was loaded before this mutation may have changed
    return result, []


def not_found(label: str, field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No such {label}.", field)


async def find(
    session: AsyncSession,
    info: Any,
    model: type,
    global_id: str | None,
    *,
    type_name: str,
    field: str,
) -> Any:
    """The object behind a global id if the viewer may see it, else NOT_FOUND — the same
    answer for an id that does not exist, is malformed, or belongs to someone else."""
    pk = decode_pk(global_id, type_name)
    label = re.sub(r"(?<!^)([A-Z])", r" \1", type_name).lower()
    if pk is None:
        raise not_found(label, field)
    ctx = info.context
    stmt = visible(model, ctx.viewer, ctx.now).where(model.id == pk)
    found = await session.scalar(stmt)
    if found is None:
        raise not_found(label, field)
    return found


def amount(value: Any, field: str) -> tuple[int, str]:
    """(minor units, currency) of a MoneyInput."""

    currency = check_currency(value["currency"])
    return parse_amount(value["amount"], currency, field=field), currency


def optional_amount(value: str | None, currency: str, field: str) -> int | None:
    return None if value is None else parse_amount(value, currency, field=field)


def aware(value: datetime | None, field: str) -> datetime:
    if value is None or value.tzinfo is None:
        raise DomainError(
            ErrorCode.INVALID, "Give a time with its UTC offset, e.g. 2026-05-01T19:30:00Z.", field
        )
    return value


async def actor_name(session: AsyncSession, info: Any) -> str:
    """Who the viewer is, for history and audit columns: a staff username or merchant slug."""
    viewer = info.context.viewer
    if viewer.staff_user_id is not None:
        name = await session.scalar(
            select(StaffUser.username).where(StaffUser.id == viewer.staff_user_id)
        )
        return f"staff:{name}"
    if viewer.merchant_id is not None:
        slug = await session.scalar(select(Merchant.slug).where(Merchant.id == viewer.merchant_id))
        return f"merchant:{slug}"
    return "public"
