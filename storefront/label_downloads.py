"""`GET /labels/batches/<id>.csv`: a label batch's codes for printing (SPEC §10).

Who may download: the batch's merchant, with an API token holding `read`
(`Authorization: Bearer <token>`, the token that requested it through GraphQL), or staff (a
staff token, or the console's signed-in session). Another merchant's batch, a batch that does
not exist and a malformed id are all the same 404; no credentials is a 401.

The CSV has one row per code, in the order made: `code` (grouped for printing, e.g.
`0EJZ-1GNQ-T6F4-A`), `sku`, `product`, `verify_url` (TIEIN_PUBLIC_URL + `/verify/<code>`, for
a QR code on the hangtag: a link that leaves the site, so it is absolute).

A download with a token spends CSV_COST points of the token's /graphql budget (a batch may
hold 100,000 codes); past it, 429 with Retry-After.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import time

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kernel.config import public_url
from kernel.parsing import InvalidInput, parse_id
from kernel.ratelimit import BucketUnavailable
from licensing.accounts import look_up_token
from licensing.label_batches import batch_codes
from licensing.labels import display
from licensing.models import TokenScope
from storefront.staff.auth import signed_in_staff
from storefront.web import now

NOT_FOUND = "No such label batch."
CSV_COST = 2_500  # budget points one download with a token spends
log = logging.getLogger("tiein.labels")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula, quoted as text."""
    return "'" + text if text[:1] in _FORMULA else text


def _refused(status: int, message: str) -> Response:
    response = PlainTextResponse(message, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tiein"'
    return response


async def _spend(request: Request, token_id: int | None) -> Response | None:
    """429 when the token's budget cannot pay for a download (None: go on; also when there
    is no budget or its store is down)."""
    budget = request.app.state.budget
    if budget is None or token_id is None:
        return None
    try:
        allowed, _, retry_after = await budget.take(f"token:{token_id}", CSV_COST, time.time())
    except BucketUnavailable as exc:
        log.error("label CSV: the budget store is unavailable (%s); not throttling", exc)
        return None
    if allowed:
        return None
    wait = 60 if math.isinf(retry_after) else max(1, math.ceil(retry_after))
    response = _refused(429, f"Too many downloads; retry in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response


async def _merchant_of(request: Request) -> tuple[bool, int | None] | Response:
    """(allowed, merchant id or None for staff) of the caller, or the refusal."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret or len(secret) > 200:
            return _refused(401, "Use the header `Authorization: Bearer <token>`.")
        async with request.app.state.db.read_session() as session:
            use = await look_up_token(session, secret, now=now(request))
        if use is None:
            return _refused(401, "The API token is unknown or revoked.")
        viewer = use.viewer
        if viewer.is_staff:
            return True, None
        if not viewer.has_scope(TokenScope.READ):
            return _refused(404, NOT_FOUND)
        throttled = await _spend(request, viewer.token_id)
        if throttled is not None:
            return throttled
        return True, viewer.merchant_id
    if await signed_in_staff(request) is not None:
        return True, None
    return _refused(401, "Sign in as staff, or send the merchant's API token.")


async def batch_csv(request: Request) -> Response:
    caller = await _merchant_of(request)
    if isinstance(caller, Response):
        return caller
    _, merchant_id = caller
    try:
        batch_id = parse_id(request.path_params.get("batch_id"), field="batch")
    except InvalidInput:
        return _refused(404, NOT_FOUND)
    async with request.app.state.db.read_session() as session:
        found = await batch_codes(session, batch_id, merchant_id=merchant_id)
    if found is None:
        return _refused(404, NOT_FOUND)
    batch, product, codes = found
    settings = request.app.state.settings
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "sku", "product", "verify_url"])
    sku, name = _cell(product.sku), _cell(product.name)
    for code in codes:
        writer.writerow([display(code), sku, name, public_url(settings, f"/verify/{code}")])
    filename = "labels-{}-{}.csv".format(batch.id, re.sub(r"[^A-Za-z0-9-]", "", product.sku))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


routes = [Route("/labels/batches/{batch_id}.csv", batch_csv, methods=["GET"], name="label_csv")]
