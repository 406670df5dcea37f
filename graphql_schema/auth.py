"""Who is asking (from `Authorization: Bearer <token>`) and the permission decorators.

Permissions are declared next to the field or mutation they guard:

    @staff_only
    async def resolve_royalty_report(root, info, period, group_by): ...

    class CreateCinema(MutationBase):
        permissions = (STAFF,)

An anonymous caller of a guarded field gets UNAUTHENTICATED, a merchant calling a staff field
gets FORBIDDEN. Object visibility is a separate concern: see `graphql_schema.visibility`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from starlette.requests import Request

from graphql_schema.errors import forbidden, unauthenticated
from kernel.db import Database
from licensing.accounts import PUBLIC, Viewer, look_up_token, record_token_use

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
    """What a caller needs: any token (SIGNED_IN: a merchant acts on its own objects, staff on
    any), or a staff token (STAFF)."""

    SIGNED_IN = "signed_in"
    STAFF = "staff"


SIGNED_IN = Permission.SIGNED_IN
STAFF = Permission.STAFF


def require(viewer: Viewer, permissions: Iterable[Permission]) -> None:
    """Refuse a viewer lacking one of `permissions`: UNAUTHENTICATED without a token,
    FORBIDDEN with a token that is not enough."""
    needed = set(permissions)
    if needed and viewer.is_anonymous:
        raise unauthenticated()
    if STAFF in needed and not viewer.is_staff:
        raise forbidden("Only licensing staff may do this.")


def _viewer(args: tuple[Any, ...]) -> Viewer:
    # graphene calls resolvers as (root, info, **kwargs); info is always the second argument.
    return args[1].context.viewer


def signed_in(resolver: F) -> F:
    """Any token (merchant or staff); anonymous callers get UNAUTHENTICATED."""

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require(_viewer(args), (SIGNED_IN,))
        return resolver(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def staff_only(resolver: F) -> F:
    """A staff token; anonymous callers get UNAUTHENTICATED, merchants FORBIDDEN."""

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require(_viewer(args), (STAFF,))
        return resolver(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
