"""Who is asking (from `Authorization: Bearer <token>`) and the permission decorators.

Permissions are declared next to the field or mutation they guard:

    @staff_only
    async def mutate(root, info, input): ...

An anonymous caller of a guarded field gets UNAUTHENTICATED, a merchant calling a staff field
gets FORBIDDEN. Object visibility is a separate concern: see `graphql_schema.visibility`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
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


def _viewer(args: tuple[Any, ...]) -> Viewer:
    # graphene calls resolvers as (root, info, **kwargs); info is always the second argument.
    return args[1].context.viewer


def signed_in(resolver: F) -> F:
    """Any token (merchant or staff); anonymous callers get UNAUTHENTICATED."""

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _viewer(args).is_anonymous:
            raise unauthenticated()
        return resolver(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def staff_only(resolver: F) -> F:
    """A staff token; anonymous callers get UNAUTHENTICATED, merchants FORBIDDEN."""

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        viewer = _viewer(args)
        if viewer.is_anonymous:
            raise unauthenticated()
        if not viewer.is_staff:
            raise forbidden("Only licensing staff may do this.")
        return resolver(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
