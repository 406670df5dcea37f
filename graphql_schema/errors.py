"""GraphQL errors with a stable `extensions.code`, and the mapping of domain refusals.

Resolvers raise `ApiError` (or a subclass) for refusals that are part of the API contract;
anything else that escapes a resolver is unexpected and the endpoint turns it into a
generic INTERNAL_SERVER_ERROR (logged with the request id, never shown to the client).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from kernel.errors import DomainError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_REPEATS = "TOO_MANY_REPEATS"
BAD_REQUEST = "BAD_REQUEST"
THROTTLED = "THROTTLED"


class ApiError(GraphQLError):
    """A deliberate refusal with a code clients can rely on."""

    def __init__(self, message: str, code: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code, **extra})


def unauthenticated(message: str = "Sign in with an API token.") -> ApiError:
    return ApiError(message, UNAUTHENTICATED)


def forbidden(message: str = "You may not do this.") -> ApiError:
    return ApiError(message, FORBIDDEN)


def bad_user_input(message: str, **extra: Any) -> ApiError:
    return ApiError(message, BAD_USER_INPUT, **extra)


def from_domain(error: DomainError) -> ApiError:
    """A DomainError raised outside a mutation (e.g. a bad period argument) as BAD_USER_INPUT."""
    extra: dict[str, Any] = {"reason": error.code}
    if error.field:
        extra["field"] = error.field
    return ApiError(error.message, BAD_USER_INPUT, **extra)
