"""Plain ASGI middleware: request ids, security headers on every response, and the limit on
the size of request bodies."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.parsing import InvalidInput, parse_int

TOO_LARGE = "The request body is too large."


class RequestIdMiddleware:
    """Gives every request an id (scope["state"]["request_id"]) and echoes it in a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """CSP (our origin plus the Stripe.js host), no sniffing, no framing, strict referrers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        script_hosts: Iterable[str] = (),
        frame_hosts: Iterable[str] = (),
        connect_hosts: Iterable[str] = (),
        https: bool = False,
    ) -> None:
        self.app = app

        def hosts(*groups: Iterable[str]) -> str:
            return " ".join(["'self'", *sorted({h for g in groups for h in g})])

        self.headers = {
            "Content-Security-Policy": (
                f"default-src 'self'; script-src {hosts(script_hosts)}; "
                f"frame-src {hosts(script_hosts, frame_hosts)}; "
                f"connect-src {hosts(script_hosts, connect_hosts)}; img-src 'self' data:; "
                "style-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                "frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }
        if https:
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised by the limited `receive` once a body passes the limit; the app's handler for
    HTTPException answers it (413) like any other refusal."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


class BodySizeLimitMiddleware:
    """Request bodies of at most `max_bytes`, never read whole to find out.

    A Content-Length over the limit is answered 413 before the app runs. A body without one
    (chunked) is counted as its `http.request` messages arrive: the message that passes the
    limit raises BodyTooLarge inside the app, which answers 413 and reads no further. So a
    50 MB upload costs at most the limit plus one chunk of memory."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        larger: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (path pattern, limit): the few routes that take files (image uploads) allow more
        self.larger = tuple(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        max_bytes = next(
            (limit for pattern, limit in self.larger if pattern.fullmatch(path)),
            self.max_bytes,
        )
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                length = parse_int(declared, field="Content-Length", min=0)
            except InvalidInput:
                await PlainTextResponse("Bad Content-Length.", 400)(scope, receive, send)
                return
            if length > max_bytes:
                response = PlainTextResponse(TOO_LARGE, 413, headers={"Connection": "close"})
                await response(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            response = PlainTextResponse(TOO_LARGE, 413, headers={"Connection": "close"})
            await response(scope, receive, send)
