"""Plain ASGI middleware: request ids and security headers on every response."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
    ):
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
