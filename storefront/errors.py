"""Friendly error pages for people; JSON for the API and webhook paths."""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from kernel.i18n import N_
from kernel.parsing import InvalidInput
from storefront.shop.refusals import refusal_words
from storefront.web import render, t

log = logging.getLogger("kernel.errors")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_MACHINE_PATHS = ("/graphql", "/webhooks/", "/healthz")
# The staff console answers refusals in plain English text; shoppers get a page in their
# language, headed by what went wrong.
_STAFF_PATHS = ("/staff",)
HEADINGS = {
    400: N_("This request could not be read"),
    403: N_("This was refused"),
    405: N_("This page does not take that request"),
    409: N_("This clashes with a change made meanwhile"),
    413: N_("What was sent is too large"),
    429: N_("Too many tries: please wait a moment"),
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(_MACHINE_PATHS)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not _wants_html(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    if exc.status_code == 404:
        return render(request, "errors/404.html", 404, detail=None)
    if 400 <= exc.status_code < 500:
        if request.url.path.startswith(_STAFF_PATHS):
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        return _refused(request, exc.status_code, exc.detail, exc.headers)
    return render(request, "errors/500.html", exc.status_code, request_id=_request_id(request))


async def invalid_input(request: Request, exc: Exception) -> Response:
    """A value of the request is not of its field's kind (kernel.parsing): a 400 that names
    the field, never a 500."""
    assert isinstance(exc, InvalidInput)
    if not _wants_html(request):
        return JSONResponse(
            {"error": exc.code, "field": exc.field, "message": exc.message}, status_code=400
        )
    if request.url.path.startswith(_STAFF_PATHS):
        return PlainTextResponse(f"{exc.field}: {exc.message}", status_code=400)
    return _refused(request, 400, f"{exc.field}: {refusal_words(request, exc)}")


def _refused(
    request: Request, status: int, detail: str | None, headers: dict[str, str] | None = None
) -> Response:
    """A refusal as a page in the shopper's language (the detail comes translated from the
    view, through `t`; Starlette's own English phrases are left out)."""
    if detail and detail == _PHRASES.get(status):
        detail = None
    response = render(
        request,
        "errors/refused.html",
        status,
        heading=t(request, HEADINGS.get(status, HEADINGS[403])),
        detail=detail,
    )
    response.headers.update(headers or {})
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error (request %s)", _request_id(request), exc_info=exc)
    if not _wants_html(request):
        return JSONResponse({"error": "internal server error"}, status_code=500)
    return render(request, "errors/500.html", 500, request_id=_request_id(request))


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its body arrived: nobody to answer, nothing to log as ours."""
    log.info("client disconnected mid-request (request %s)", _request_id(request))
    return PlainTextResponse("The request body did not arrive.", status_code=400)


def _request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


exception_handlers = {
    HTTPException: http_error,
    InvalidInput: invalid_input,
    ClientDisconnect: client_gone,
    500: server_error,
}
