"""The /graphql endpoint: our own small Starlette endpoint around graphql-core's execute.

POST runs one operation given as JSON `{query, variables, operationName}`; a JSON array
(batching) is refused. GET serves GraphiQL (when introspection is on). Each document is
parsed and validated once and cached by its text (LRU); the limits of `limits.py` run
before execution. With introspection off, no error suggests names. Every response carries
`extensions.cost`; an operation that runs spends its cost from the caller's budget
(`kernel.ratelimit`) and reports `extensions.throttle`. An unexpected exception
becomes a generic INTERNAL_SERVER_ERROR, logged with the request id; the client never
sees a traceback. Execution is graphql-core's `execute` as published (graphql_schema.operation);
the speed comes from the data layer (graphql_schema.context, loaders, records, selection).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSyntaxError,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graphql_schema import errors as codes
from graphql_schema import graphiql as graphiql_ui
from graphql_schema.auth import BadToken, viewer_from_request
from graphql_schema.context import Context
from graphql_schema.errors import ApiError
from graphql_schema.limits import query_cost, static_errors
from graphql_schema.operation import run_operation
from graphql_schema.scalars import check_text_inputs
from graphql_schema.schema import schema
from kernel.clock import now_utc
from kernel.errors import DomainError
from kernel.ratelimit import BucketUnavailable, TokenBucket, client_network
from licensing.accounts import Viewer

log = logging.getLogger("tiein.graphql")

MAX_QUERY_BYTES = 100_000  # characters of `query` (SPEC §11: documents have a size limit)
REFUSAL_CHARGE = 1_000  # budget points a document refused before execution spends, at most
MAX_TOKENS = 20_000  # parsing stops past this many tokens (GRAPHQL_PARSE_FAILED)
CACHE_SIZE = 512


@dataclass(frozen=True)
class Prepared:
    """A parsed document and its validation errors (empty when it may run)."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class DocumentCache:
    """Parse + validate once per distinct (text, introspection allowed); least recently used
    documents are dropped past `size`."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, bool], Prepared] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def prepare(self, text: str, introspection: bool) -> Prepared:
        found = self._cached(text, introspection)
        if found is None:
            found = self._keep(text, introspection, self._prepare(text, introspection))
        return found

    async def prepare_off_loop(self, text: str, introspection: bool) -> Prepared:
        """`prepare`, with a new document parsed and validated in a worker thread: graphql-
        core's validation is quadratic in repeated fields (OverlappingFieldsCanBeMerged), so
        an unlucky document takes a while, and the event loop must go on serving meanwhile.
        The default executor's few threads also bound how many such documents run at once.
        The cache itself is only touched on the loop."""
        found = self._cached(text, introspection)
        if found is None:
            prepared = await asyncio.to_thread(self._prepare, text, introspection)
            found = self._keep(text, introspection, prepared)
        return found

    def _cached(self, text: str, introspection: bool) -> Prepared | None:
        key = (text, introspection)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def _keep(self, text: str, introspection: bool, prepared: Prepared) -> Prepared:
        self._items[(text, introspection)] = prepared
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return prepared

    @staticmethod
    def _prepare(text: str, introspection: bool) -> Prepared:
        try:
            document = parse(text, max_tokens=MAX_TOKENS)
        except GraphQLSyntaxError as exc:
            exc.extensions = {"code": codes.GRAPHQL_PARSE_FAILED}
            return Prepared(None, (exc,))
        limit_errors = static_errors(schema.graphql_schema, document)
        if limit_errors:
            return Prepared(document, tuple(limit_errors))
        rules = list(specified_rules)
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        # Without introspection, suggestions ("Did you mean 'agreements'?") would let a
        # caller map the schema one guess at a time (SPEC §11); coercion of variables gets the
        # same switch in `graphql_post`.
        errors = validate(
            schema.graphql_schema,
            document,
            rules,
            max_errors=50,
            hide_suggestions=not introspection,
        )
        for error in errors:
            error.extensions = {**(error.extensions or {}), "code": codes.GRAPHQL_VALIDATION_FAILED}
        return Prepared(document, tuple(errors))


documents = DocumentCache()


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers
    )


def _request_error(message: str, status: int = 400, code: str = codes.BAD_REQUEST) -> Response:
    return _json(
        {"errors": [{"message": message, "extensions": {"code": code}}], "extensions": {"cost": 0}},
        status,
    )


def _format_errors(errors: list[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    """Formatted errors; unexpected exceptions are logged and replaced by a generic error."""
    out = []
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            error = GraphQLError(
                original.message,
                error.nodes,
                path=error.path,
                extensions={"code": codes.BAD_USER_INPUT, "reason": original.code},
            )
        elif original is not None and not isinstance(original, GraphQLError):
            log.error(
                "graphql: unexpected error (request_id=%s, path=%s)",
                request_id,
                error.path,
                exc_info=(type(original), original, original.__traceback__),
            )
            error = GraphQLError(
                f"Internal server error (request id {request_id}).",
                error.nodes,
                path=error.path,
                extensions={"code": codes.INTERNAL_SERVER_ERROR, "requestId": request_id},
            )
        elif not (error.extensions or {}).get("code"):
            # e.g. a variable of the wrong type, reported by the executor
            error.extensions = {**(error.extensions or {}), "code": codes.BAD_USER_INPUT}
        out.append(error.formatted)
    return out


async def _parse_body(request: Request) -> dict[str, Any] | Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _request_error("Send the operation as application/json.", 415)
    body = await request.body()
    if len(body) > MAX_QUERY_BYTES * 2:
        return _request_error("The request is too large.", 413)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _request_error("The body is not valid JSON.")
    if isinstance(payload, list):
        return _request_error("Batched requests (a JSON array) are not supported.")
    if not isinstance(payload, dict):
        return _request_error("Send a JSON object with `query`.")
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        return _request_error("`query` must be a non-empty string.")
    if len(query) > MAX_QUERY_BYTES:
        return _request_error("The query is too long.", 413)
    variables = payload.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return _request_error("`variables` must be a JSON object.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return _request_error("`operationName` must be a string.")
    return {"query": query, "variables": variables, "operation_name": operation_name or None}


def _budget_key(request: Request, viewer: Viewer) -> str:
    """Whose budget a request spends: its token's; without a token, its client address's
    (behind a reverse proxy, name it with `tiein serve --forwarded-allow-ips` so that is the
    client's own)."""
    if viewer.token_id is not None:
        return f"token:{viewer.token_id}"
    return f"address:{client_network(request.client.host) if request.client else 'unknown'}"


async def _spend(
    budget: TokenBucket, key: str, cost: int, extensions: dict[str, Any]
) -> GraphQLError | None:
    """Take the operation's cost from the caller's bucket (SPEC §11), adding
    `extensions.throttle`; an error when the bucket does not hold it yet (THROTTLED, with
    `retryAfter` seconds) or never can (QUERY_TOO_COSTLY). If the shared store is down the
    request goes by unthrottled, logged: the budget protects the service, it must not stop it.
    """
    try:
        allowed, available, retry_after = await budget.take(key, cost, time.time())
    except BucketUnavailable as exc:
        log.error("graphql: the cost budget store is unavailable (%s); not throttling", exc)
        return None
    extensions["throttle"] = {
        "maximumAvailable": budget.capacity,
        "currentlyAvailable": int(available),
        "restoreRate": budget.rate,
    }
    if allowed:
        return None
    if math.isinf(retry_after):
        return GraphQLError(
            f"The query costs {cost}; a caller may spend at most {budget.capacity} at once.",
            extensions={"code": codes.QUERY_TOO_COSTLY, "cost": cost, "maxCost": budget.capacity},
        )
    wait = math.ceil(retry_after * 1000) / 1000
    return GraphQLError(
        f"Throttled: the query costs {cost} and {int(available)} points are available; "
        f"{budget.rate} come back each second. Retry in {wait} s.",
        extensions={"code": codes.THROTTLED, "cost": cost, "retryAfter": wait},
    )


async def graphql_post(request: Request) -> Response:
    settings = request.app.state.settings
    db = request.app.state.db
    request_id = request.scope.get("state", {}).get("request_id", "")
    parsed = await _parse_body(request)
    if isinstance(parsed, Response):
        return parsed
    now = now_utc()
    try:
        viewer = await viewer_from_request(request, db, now=now)
    except BadToken as exc:
        return _json(
            {
                "errors": [{"message": str(exc), "extensions": {"code": codes.UNAUTHENTICATED}}],
                "extensions": {"cost": 0},
            },
            401,
            headers={"WWW-Authenticate": 'Bearer realm="tiein"'},
        )
    prepared = await documents.prepare_off_loop(parsed["query"], settings.graphql_introspection)
    if prepared.document is None:
        errors = _format_errors(list(prepared.errors), request_id)
        return _json({"errors": errors, "extensions": {"cost": 0}})
    cost, cost_errors = query_cost(
        schema.graphql_schema, prepared.document, parsed["operation_name"], parsed["variables"]
    )
    extensions: dict[str, Any] = {"cost": cost}
    refused = list(prepared.errors or cost_errors)
    budget = request.app.state.budget
    if budget is not None:
        # A refused document spends too (at most REFUSAL_CHARGE): analysing it was work, and
        # a caller sending invalid documents must not go unbudgeted.
        charge = min(cost, REFUSAL_CHARGE) if refused else cost
        refusal = await _spend(budget, _budget_key(request, viewer), charge, extensions)
        if refusal is not None:
            retry = refusal.extensions.get("retryAfter") if refusal.extensions else None
            return _json(
                {"errors": [refusal.formatted], "extensions": extensions},
                headers={"Retry-After": str(math.ceil(retry))} if retry is not None else None,
            )
    if refused:
        return _json({"errors": _format_errors(refused, request_id), "extensions": extensions})
    context = Context(
        db=db, settings=settings, viewer=viewer, now=now, request_id=request_id, app=request.app
    )
    try:
        check_text_inputs(parsed["query"], prepared.document, parsed["variables"])
        result = await run_operation(
            prepared.document,
            context,
            parsed["variables"],
            parsed["operation_name"],
            hide_suggestions=not settings.graphql_introspection,
        )
    except ApiError as exc:  # raised outside a resolver, e.g. while coercing
        await context.finish()
        result = ExecutionResult(None, [exc])
    payload: dict[str, Any] = {}
    if result.errors:
        payload["errors"] = _format_errors(list(result.errors), request_id)
    payload["data"] = result.data
    payload["extensions"] = extensions
    return _json(payload)


async def graphiql(request: Request) -> Response:
    if not request.app.state.settings.graphql_introspection:
        return _request_error("GraphiQL is off on this server.", 404, "NOT_FOUND")
    return graphiql_ui.graphiql_page()


routes: list = [
    Route("/graphql", graphql_post, methods=["POST"]),
    Route("/graphql", graphiql, methods=["GET"]),
    *graphiql_ui.routes,
]
