"""The ASGI application factory: routes, middleware and lifespan."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graphql_schema.documents import routes as document_routes
from graphql_schema.endpoint import routes as graphql_routes
from graphql_schema.uploads import MAX_REQUEST_BYTES
from graphql_schema.uploads import routes as upload_routes
from kernel.config import Settings, load_settings
from kernel.db import Database
from kernel.installation import SecretKey, SessionCookieMiddleware
from kernel.ratelimit import bucket_for
from licensing.accounts import warm_up_sign_in
from orders.payments import configured_gateway
from orders.webhooks import routes as webhook_routes
from storefront.errors import exception_handlers
from storefront.routes import routes as storefront_routes
from tiein.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from tiein.worker import Worker


async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        async with request.app.state.db.read_session() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


# The routes that take an image file (POST /uploads, the staff poster form) may be larger
# than other requests; they count the file again themselves.
UPLOAD_PATHS = (re.compile(r"/uploads"), re.compile(r"/staff/films/[^/]+/poster"))


def _routes() -> list:
    return [
        Route("/healthz", healthz),
        *graphql_routes,
        *upload_routes,
        *document_routes,
        *webhook_routes,
        *storefront_routes,
    ]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """Build tiein. Pass a `database` to share one (tests); otherwise the app owns its own.
    The app owns one Stripe gateway (`app.state.gateway`, None without a secret key), shared
    by the views, the GraphQL mutations and the worker, and closed at shutdown.
    With `settings.jobs` the lifespan also runs the worker (`tiein.worker`: the outbox and
    the periodic jobs) as `app.state.worker`, stopped before the gateway is closed."""
    settings = settings or load_settings()
    # TIEIN_SECRET_KEY when set; otherwise the installation's key, loaded by the lifespan.
    secret_key = SecretKey(settings.secret_key)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = database is None
        app.state.db = database or Database(settings.database_url)
        await secret_key.load(app.state.db)
        await warm_up_sign_in()
        # Everything loaded at start-up lives as long as the process: keep it out of the
        # cyclic collector's way, so full collections only walk what requests create.
        gc.freeze()
        worker = (
            Worker(app.state.db, settings, gateway=app.state.gateway) if settings.jobs else None
        )
        app.state.worker = worker
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if app.state.gateway is not None:
                await app.state.gateway.close()
            if app.state.budget is not None:
                await app.state.budget.close()
            if owned:
                await app.state.db.dispose()

    script_hosts, frame_hosts, connect_hosts = [], [], []
    if settings.stripe_js_url.startswith("http"):
        parts = urlsplit(settings.stripe_js_url)
        script_hosts.append(f"{parts.scheme}://{parts.netloc}")
        if parts.netloc == "js.stripe.com":
            # Real Stripe.js talks to its API and opens 3-D Secure frames from these hosts.
            frame_hosts += ["https://hooks.stripe.com"]
            connect_hosts += ["https://api.stripe.com"]
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(
            BodySizeLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            larger=[(pattern, MAX_REQUEST_BYTES) for pattern in UPLOAD_PATHS],
        ),
        Middleware(
            SecurityHeadersMiddleware,
            script_hosts=script_hosts,
            frame_hosts=frame_hosts,
            connect_hosts=connect_hosts,
            https=settings.https_only,
        ),
        Middleware(
            SessionCookieMiddleware,
            key=secret_key,
            session_cookie="tiein_session",
            same_site="lax",
            https_only=settings.https_only,
            max_age=14 * 24 * 3600,
        ),
    ]

    app = Starlette(
        routes=_routes(),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=exception_handlers,
    )
    # Starlette's trailing-slash redirect answers with an absolute URL built from the Host
    # header; redirects of ours are relative paths, so a stray slash is a plain 404.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.secret_key = secret_key
    # One connection pool to Stripe for the app's lifetime (made here, not in the lifespan,
    # so that an app driven without its lifespan, as in tests, has it too).
    app.state.gateway = configured_gateway(settings)
    # the /graphql cost budget of each token (or address): in Redis when configured
    app.state.budget = bucket_for(
        settings.graphql_budget, settings.graphql_restore_rate, settings.redis_url
    )
    app.state.worker = None  # the lifespan's, with settings.jobs
    if database is not None:
        app.state.db = database
    return app
