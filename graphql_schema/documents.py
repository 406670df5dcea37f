"""Documents for API callers: `RoyaltyStatement.documentUrl` points here.

    GET /api/statements/<agreement code>/<period>.pdf
    Authorization: Bearer <token>

The URL alone grants nothing: the caller sends the same bearer token as to `/graphql`, and
the agreement is looked up through the agreements it may see (`load_queries.visible`, the
helper every GraphQL read uses), so a merchant gets its own statements only and another
merchant's answer is the same 404 as an agreement that does not exist. Answers are JSON
errors shaped like GraphQL's: 401 UNAUTHENTICATED without a token (or with a bad one),
403 FORBIDDEN for a token without `read`, 404 NOT_FOUND, 503 when this server cannot make
PDFs (WeasyPrint's libraries missing; the message names them). A PDF is costly to make: each
request spends DOCUMENT_COST points of the token's /graphql budget (kernel.ratelimit), and
past it the answer is 429 THROTTLED with Retry-After.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graphql_schema.auth import BadToken, viewer_from_request
from graphql_schema.errors import FORBIDDEN, THROTTLED, UNAUTHENTICATED
from graphql_schema.load_queries import visible
from kernel.clock import now_utc
from kernel.config import public_url
from kernel.errors import DomainError
from kernel.pdf import PdfUnavailable
from kernel.periods import check_period
from kernel.ratelimit import BucketUnavailable
from licensing.models import Agreement, TokenScope
from reports.statement_document import (
    statement_document,
    statement_pdf,
    statement_receivable,
    studio_party,
)

NOT_FOUND = "NOT_FOUND"
PDF_UNAVAILABLE = "PDF_UNAVAILABLE"
MAX_CODE = 80
DOCUMENT_COST = 2_500  # budget points one document spends (a second's refill by default)
log = logging.getLogger("tiein.documents")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tiein"'}


def statement_path(agreement_code: str, period: str) -> str:
    """The path of a statement's document (what `documentUrl` makes absolute)."""
    return f"/api/statements/{quote(agreement_code, safe='')}/{quote(period, safe='')}.pdf"


DOCUMENT_URL = (
    "The statement as a PDF (marked provisional while the period is open). The URL grants "
    "nothing by itself: GET it with the same `Authorization: Bearer` token; a token that may "
    "not see the statement gets 404, no token 401."
)


def resolve_document_url(root: Any, info: Any) -> str:
    """`RoyaltyStatement.documentUrl`: the absolute URL (TIEIN_PUBLIC_URL) of its document."""
    figures = root.figures
    return public_url(info.context.settings, statement_path(figures.agreement_code, figures.period))


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers or None)


async def _throttled(request: Request, token_id: int | None) -> Response | None:
    """The 429 when the token's budget cannot pay for a document; None when it can (or when
    there is no budget, or its store is down: the budget protects the service)."""
    budget = request.app.state.budget
    if budget is None or token_id is None:
        return None
    try:
        allowed, _, retry_after = await budget.take(f"token:{token_id}", DOCUMENT_COST, time.time())
    except BucketUnavailable as exc:
        log.error("documents: the budget store is unavailable (%s); not throttling", exc)
        return None
    if allowed:
        return None
    wait = 60 if math.isinf(retry_after) else max(1, math.ceil(retry_after))
    message = f"Too many documents; retry in {wait} s."
    return _error(429, THROTTLED, message, **{"Retry-After": str(wait)})


def _not_found() -> Response:
    return _error(404, NOT_FOUND, "No such statement, or one you may not see.")


async def statement_document_view(request: Request) -> Response:
    db = request.app.state.db
    now = now_utc()
    try:
        viewer = await viewer_from_request(request, db, now=now)
    except BadToken as exc:
        return _error(401, UNAUTHENTICATED, str(exc), **CHALLENGE)
    if viewer.is_anonymous:
        return _error(
            401,
            UNAUTHENTICATED,
            "Send the API token that read this URL: `Authorization: Bearer <token>`.",
            **CHALLENGE,
        )
    if not viewer.has_scope(TokenScope.READ):
        return _error(403, FORBIDDEN, "This token lacks the scope `read`.")
    throttled = await _throttled(request, viewer.token_id)
    if throttled is not None:
        return throttled
    code = str(request.path_params.get("code", ""))
    try:
        period = check_period(str(request.path_params.get("period", "")))
    except DomainError:
        return _not_found()
    if not code or len(code) > MAX_CODE or not code.isprintable():
        return _not_found()
    async with db.read_session() as session:
        query = visible(Agreement, viewer.reading(), now).where(Agreement.code == code)
        agreement_id = await session.scalar(query.with_only_columns(Agreement.id))
        if agreement_id is None:
            return _not_found()
        receivable = await statement_receivable(session, agreement_id, period, today=now.date())
        document = await statement_document(
            session,
            agreement_id,
            period,
            studio=studio_party(request.app.state.settings),
            now=now,
            receivable=receivable,
        )
    try:
        data = await statement_pdf(document)
    except PdfUnavailable as missing:
        return _error(503, PDF_UNAVAILABLE, str(missing))
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


routes = [
    Route(
        "/api/statements/{code}/{period}.pdf",
        statement_document_view,
        methods=["GET"],
        name="api_statement_pdf",
    ),
]
