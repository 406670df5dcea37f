"""Who is asking (from `Authorization: Bearer <token>`) and the permission declarations.

Permissions are declared next to the field or mutation they guard:

    @requires(MERCHANT_READ)
    async def resolve_agreements(root, info, first, after=None): ...

    @requires(STAFF)
    async def resolve_royalty_report(root, info, period, group_by): ...

    class AdjustStock(MutationBase):
        permissions = (MERCHANT_WRITE,)

An anonymous caller of a guarded field gets UNAUTHENTICATED; a token that is not enough gets
FORBIDDEN, naming what it lacks: the staff role, or the token scope (`read`, `write`,
`tokens`; SPEC §7) in `extensions.scope`. Staff tokens hold every scope. Fields that declare
nothing are open to everyone (the public catalog). Object visibility is a separate concern:
see `graphql_schema.visibility` (and `Viewer.reading`: a token without `read` reads what
the public reads).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from starlette.requests import Request

from graphql_schema.errors import FORBIDDEN, ApiError, forbidden, unauthenticated
from kernel.db import Database
from licensing.accounts import PUBLIC, Viewer, look_up_token, record_token_use
from licensing.models import TokenScope

F = TypeVar("F", bound=Callable[..., Any])


class BadToken(Exception):
    """The request carried credentials that do not stand for anyone."""


async def viewer_from_request(request: Request, db: Database, *, now: datetime) -> Viewer:
    """The viewer of a request; PUBLIC without a token, BadToken for a bad or revoked one.

    The lookup reads only; the token's last use is written (in a short write session) at
    most once a minute, so requests do not queue behind each other for a write lock.
    """
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise BadToken("Use the header `Authorization: Bearer <token>`.")
    async with db.read_session() as session:
        use = await look_up_token(session, secret, now=now)
    if use is None:
        raise BadToken("The API token is unknown or revoked.")
    if use.needs_recording and use.viewer.token_id is not None:
        async with db.session() as session:
            await record_token_use(session, use.viewer.token_id, now=now)
    return use.viewer


class Permission(StrEnum):
    """What a caller needs: a token holding a scope (MERCHANT_READ `read`, MERCHANT_WRITE
    `write`, MANAGE_TOKENS `tokens`: a merchant acts on its own objects, staff on any), a
    staff token (STAFF), or any token at all (SIGNED_IN)."""

    SIGNED_IN = "signed_in"
    STAFF = "staff"
    MERCHANT_READ = TokenScope.READ.value
    MERCHANT_WRITE = TokenScope.WRITE.value
    MANAGE_TOKENS = TokenScope.TOKENS.value


SIGNED_IN = Permission.SIGNED_IN
STAFF = Permission.STAFF
MERCHANT_READ = Permission.MERCHANT_READ
MERCHANT_WRITE = Permission.MERCHANT_WRITE
MANAGE_TOKENS = Permission.MANAGE_TOKENS
SCOPE_OF: dict[Permission, TokenScope] = {
    MERCHANT_READ: TokenScope.READ,
    MERCHANT_WRITE: TokenScope.WRITE,
    MANAGE_TOKENS: TokenScope.TOKENS,
}


def missing_scope(scope: TokenScope) -> ApiError:
    """FORBIDDEN for a token without `scope`, naming it (`extensions.scope`)."""
    return ApiError(
        f"This token lacks the scope `{scope.value}`; ask for a token that holds it.",
        FORBIDDEN,
        scope=scope.value,
    )


def require(viewer: Viewer, permissions: Iterable[Permission]) -> None:
    """Refuse a viewer lacking one of `permissions`: UNAUTHENTICATED without a token,
    FORBIDDEN with a token that is not enough (staff hold every scope)."""
    needed = set(permissions)
    if needed and viewer.is_anonymous:
        raise unauthenticated()
    if STAFF in needed and not viewer.is_staff:
        raise forbidden("Only licensing staff may do this.")
    for permission, scope in SCOPE_OF.items():
        if permission in needed and not viewer.has_scope(scope):
            raise missing_scope(scope)


def caller(info: Any) -> Viewer:
    """Who the request's token stands for, with its scopes (the context's `caller`; its
    `viewer` is who the reads are made for)."""
    return info.context.caller


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Declare what a resolver needs; the declaration is kept on the resolver as
    `permissions` (tests walk the schema and read it)."""

    def decorate(resolver: F) -> F:
        @functools.wraps(resolver)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # graphene calls resolvers as (root, info, **kwargs)
            require(caller(args[1]), permissions)
            return resolver(*args, **kwargs)

        wrapper.permissions = permissions  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def permissions_of(resolver: Any) -> tuple[Permission, ...]:
    """What a resolver declared with `requires` (nothing: open to everyone)."""
    return tuple(getattr(resolver, "permissions", ()))


# A read of merchant data: a token holding `read` (what `signed_in` meant before scopes).
signed_in = requires(MERCHANT_READ)
staff_only = requires(STAFF)
