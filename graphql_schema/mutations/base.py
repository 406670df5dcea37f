"""What every mutation shares: UserError, the base class, the write session, lookups.

A mutation takes one `input` and returns `{ <object>, errors: [UserError!]! }`. A subclass
declares who may call it (`permissions`: a token scope such as MERCHANT_WRITE, or STAFF; see
graphql_schema.auth), its input type and its payload fields, and one
`perform(session, info, input)` that returns the payload's object (or a dict of its fields).
`perform` runs in its own write session (mutations run serially); a DomainError — or several
at once, collected with `kernel.errors.Checks` — rolls the session back and becomes
UserErrors, each with the field named as the input names it (camelCase, list positions from
1). An id the caller may not see is NOT_FOUND with the same message as an id that does not
exist, and nothing changes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import graphene
from graphene.types.mutation import MutationOptions
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.auth import MERCHANT_WRITE, Permission, require
from graphql_schema.errors import ErrorCodeEnum
from graphql_schema.loaders import visible
from graphql_schema.relay import decode_pk
from kernel.errors import Checks, DomainError, DomainErrors, ErrorCode
from kernel.money import check_currency, parse_amount
from licensing import label_models as lb
from licensing import models as lm
from licensing import webhooks as wh
from licensing.models import Merchant, StaffUser
from orders import fulfilment_models as fm
from orders import models as om

T = TypeVar("T")


class UserError(graphene.ObjectType):
    """A refusal of a mutation's input by a business rule; nothing was changed. A mutation
    lists every field it refuses, not only the first."""

    field = graphene.String(
        description="The input field at fault, as a dotted camelCase path inside `input`, "
        "e.g. `price` or `lines.2.territory`. Positions in lists count from 1 (the second "
        "line is `lines.2`), unlike the 0-based `path` of GraphQL's own errors. Null when "
        "the refusal is about the input as a whole."
    )
    code = graphene.Field(
        graphene.NonNull(ErrorCodeEnum), description="A stable code naming the rule."
    )
    message = graphene.String(required=True, description="What went wrong, in plain words.")


class MoneyInput(graphene.InputObjectType):
    """An amount given as a decimal string in major units, with its currency."""

    amount = graphene.String(required=True, description='The amount, e.g. "12.34".')
    currency = graphene.String(required=True, description="The ISO 4217 currency code.")


def errors_field() -> graphene.List:
    return graphene.List(
        graphene.NonNull(UserError),
        required=True,
        description="Why the mutation was refused, every refused field; empty on success.",
    )


_CAMEL = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def api_field(field: str | None, fields: Mapping[str, str] | None = None) -> str | None:
    """A service's field name as the input names it (`price_minor` → `price`)."""
    if field is None:
        return None
    return (fields or {}).get(field, camel(field))


def domain_errors(exc: DomainError, fields: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """UserErrors of a refusal: one per collected refusal, and one per bad line of a report."""
    if isinstance(exc, DomainErrors):
        return [e for one in exc.errors for e in domain_errors(one, fields)]
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
    return [{"field": api_field(exc.field, fields), "code": str(exc.code), "message": exc.message}]


@contextmanager
def unless_refused(checks: Checks, fields: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run a service after the input was parsed with `checks`: its refusals join the parse
    refusals, but for fields already refused (whose parsed value was a stand-in)."""
    refused = {(api_field(e.field, fields) or "").split(".")[0] for e in checks.errors}
    later = Checks()
    with later:
        yield
    for error in later.errors:
        if (api_field(error.field, fields) or "").split(".")[0] not in refused:
            checks.add(error)


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


class MutationBase(graphene.Mutation):
    """A mutation: declared `permissions`, `input_type`, payload fields and one `perform`.

        class AdjustStock(MutationBase):
            '''Add or remove stock.'''
            permissions = (MERCHANT_WRITE,)
            input_type = AdjustStockInput
            input_description = "The change."
            fields = PRODUCT_FIELDS
            product = graphene.Field(t.Product, description="The product.")
            errors = errors_field()

            @classmethod
            async def perform(cls, session, info, input): ...

    The payload type is named `<Name>Payload`; `perform`'s result fills the payload's first
    field, or its fields when it returns a dict.
    """

    # Every mutation declares its own; a change needs the `write` scope unless it says more.
    permissions: ClassVar[tuple[Permission, ...]] = (MERCHANT_WRITE,)
    input_type: ClassVar[type[graphene.InputObjectType]]
    input_description: ClassVar[str] = ""
    fields: ClassVar[Mapping[str, str]] = {}  # service field names → input field names

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, _meta: Any = None, **options: Any) -> None:
        options.setdefault("name", f"{cls.__name__}Payload")
        options.setdefault(
            "arguments",
            {
                "input": graphene.Argument(
                    graphene.NonNull(cls.input_type), description=cls.input_description
                )
            },
        )
        super().__init_subclass_with_meta__(_meta=_meta or MutationOptions(cls), **options)

    @classmethod
    def field(cls) -> graphene.Field:
        """The root Mutation's field of this mutation, described by its docstring."""
        return cls.Field(description=inspect.cleandoc(cls.__doc__ or ""))

    @classmethod
    async def mutate(cls, root: Any, info: Any, input: Any) -> Any:
        ctx = info.context
        require(ctx.caller, cls.permissions)
        with ctx.acting():
            payload = await cls.execute(info, input)
        if ctx.reader is not ctx.caller:
            _hide_from_the_public(payload, cls._meta.fields)
        return payload

    @classmethod
    async def execute(cls, info: Any, input: Any) -> Any:
        """Perform in one write transaction; a refusal becomes the payload's errors."""
        result, errors = await run(info, lambda s: cls.perform(s, info, input), cls.fields)
        return cls.payload(result, errors)

    @classmethod
    def payload(cls, result: Any, errors: list[dict[str, Any]]) -> Any:
        if isinstance(result, dict):
            return cls(**result, errors=errors)
        main = next(name for name in cls._meta.fields if name != "errors")
        return cls(**{main: result}, errors=errors)

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        raise NotImplementedError


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
    """A time given with its UTC offset, as UTC; a time with none, or one whose UTC moment
    falls outside the years 1 to 9999 (`0001-01-01T00:00:00+14:00`), is refused on `field`."""
    if value is None or value.tzinfo is None:
        raise DomainError(
            ErrorCode.INVALID, "Give a time with its UTC offset, e.g. 2026-05-01T19:30:00Z.", field
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise DomainError(
            ErrorCode.INVALID, "Give a time between the years 1 and 9999 in UTC.", field
        ) from None


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


# Objects the public never sees (SPEC §7): a token without `read` reads as the public, so a
# mutation's payload does not hand them back to it (found by a hostile review: a write-only
# token's payloads held event data, or asked non-null fields of objects it cannot see and
# got an internal error). Its API tokens stay: issuing them is what the `tokens` scope is for.
PRIVATE_TO_THE_PUBLIC: tuple[type, ...] = (
    lm.Agreement,
    lm.RoyaltyStatement,
    lm.SalesReport,
    lb.LabelBatch,
    om.Order,
    fm.Fulfilment,
    fm.Shipment,
    wh.WebhookDelivery,
    wh.WebhookSubscription,
)


def _hide_from_the_public(payload: Any, fields: Any) -> None:
    for name in fields:
        if name != "errors" and isinstance(getattr(payload, name, None), PRIVATE_TO_THE_PUBLIC):
            setattr(payload, name, None)
