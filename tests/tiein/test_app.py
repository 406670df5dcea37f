"""The application shell: health, security headers, request ids."""

from __future__ import annotations

import httpx

from kernel.config import Settings
from kernel.db import Database
from tiein.app import create_app


async def test_healthz_reports_a_reachable_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_reports_an_unreachable_database() -> None:
    # Nothing listens on port 1. (A failed aiosqlite connect leaves a worker thread behind that
    # later trips over the closed event loop, so the unreachable database is a PostgreSQL one.)
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/nothing"
    database = Database(url)
    app = create_app(Settings(database_url=url), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/healthz")
    await database.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_every_response_carries_security_headers_and_a_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert len(response.headers["x-request-id"]) == 16


async def test_an_unknown_page_gets_the_friendly_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_the_csp_allows_real_stripe_js_and_its_frames_only(db: Database) -> None:
    app = create_app(Settings(stripe_js_url="https://js.stripe.com/v3/"), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        csp = (await c.get("/healthz")).headers["content-security-policy"]
    assert "script-src 'self' https://js.stripe.com;" in csp
    assert "frame-src 'self' https://hooks.stripe.com https://js.stripe.com;" in csp
    assert "connect-src 'self' https://api.stripe.com https://js.stripe.com;" in csp
    assert "frame-ancestors 'none'" in csp
