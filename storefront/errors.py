"""Friendly error pages for people; JSON for the API and webhook paths."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from kernel.parsing import InvalidInput
from storefront.web import render

log = logging.getLogger("kernel.errors")
_MACHINE_PATHS = ("/graphql", "/webhooks/", "/healthz")


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(_MACHINE_PATHS)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not _wants_html(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    if exc.status_code == 404:
        return render(request, "errors/404.html", 404, detail=None)
    if exc.status_code in (403, 400, 405, 409, 413, 429):
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return render(request, "errors/500.html", exc.status_code, request_id=_request_id(request))


async def invalid_input(request: Request, exc: Exception) -> Response:
    """A value of the request is not of its field's kind (kernel.parsing): a 400 that names
    the field, never a 500."""
    assert isinstance(exc, InvalidInput)
    if not _wants_html(request):
        return JSONResponse(
            {"error": exc.code, "field": exc.field, "message": exc.message}, status_code=400
        )
    return PlainTextResponse(f"{exc.field}: {exc.message}", status_code=400)


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
