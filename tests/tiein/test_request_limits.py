"""Request bodies are limited without being read whole; redirects and links never carry the
Host header (SPEC §11)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from kernel.config import Settings, load_settings, public_url
from kernel.db import Database
from orders.models import Order
from tests.factory import shop_world, staff_member
from tests.storefront.console import confirm, sign_in
from tiein.app import create_app

FIFTY_MB = 50 * 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """A 50 MB body sent in 64 KB chunks, counting how much the server asked for."""

    def __init__(self, start: bytes = b"") -> None:
        self.sent = 0
        self.start = start

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"x" * CHUNK
        if self.start:
            self.sent += len(self.start)
            yield self.start
        while self.sent < FIFTY_MB:
            self.sent += CHUNK
            yield chunk


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/graphql", "application/json"),
        ("/webhooks/stripe", "application/json"),
        ("/cart/add", "application/x-www-form-urlencoded"),
        ("/staff/login", "multipart/form-data; boundary=xyz"),
    ],
)
async def test_a_50_mb_body_is_refused_with_413_after_reading_little_of_it(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    # a body that starts well (a JSON string, a form field, a multipart part) and goes on
    start = {
        "application/json": b'{"query": "',
        "application/x-www-form-urlencoded": b"csrf_token=",
    }.get(content_type, b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n')
    upload = Upload(start)
    response = await client.post(path, content=upload, headers={"Content-Type": content_type})
    assert response.status_code == 413
    limit = Settings().max_body_bytes
    assert upload.sent <= limit + 2 * CHUNK, upload.sent  # not 50 MB


async def test_a_declared_content_length_over_the_limit_is_refused_before_the_app_reads(
    client: httpx.AsyncClient,
) -> None:
    upload = Upload()
    response = await client.post(
        "/graphql",
        content=upload,
        headers={"Content-Type": "application/json", "Content-Length": str(FIFTY_MB)},
    )
    assert response.status_code == 413
    assert upload.sent <= CHUNK


async def test_the_body_limit_is_a_setting(db: Database, database_url: str) -> None:
    settings = load_settings({"TIEIN_DATABASE_URL": database_url, "TIEIN_MAX_BODY_BYTES": "100"})
    assert settings.max_body_bytes == 100
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        small = await c.post("/graphql", json={"query": "{ viewer { kind } }"})
        large = await c.post("/graphql", json={"query": "{ viewer { kind } }" + " " * 200})
    assert small.status_code == 200 and large.status_code == 413


@pytest.fixture
async def evil(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A browser whose requests all name Host: evil.example."""
    await shop_world(db)
    await staff_member(db)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://evil.example", headers={"Host": "evil.example"}
    ) as c:
        yield c


async def test_redirects_and_links_never_carry_the_host_header(
    evil: httpx.AsyncClient, db: Database
) -> None:
    locations = []
    anonymous = await evil.get("/staff/agreements")
    locations.append(anonymous.headers["location"])
    for path in ("/cart/", "/staff/", "/verify?code=NH-TEE-01"):
        response = await evil.get(path)
        assert response.status_code in (303, 404), path
        locations += [response.headers["location"]] if "location" in response.headers else []
    assert (await sign_in(evil)).headers["location"] == "/staff"
    pages = ["/", "/films/night-harbor", "/cart", "/staff", "/staff/agreements", "/staff/periods"]
    pages += ["/staff/approvals", "/staff/orders", "/staff/reports", "/staff/check-in"]
    for page in pages:
        response = await evil.get(page)
        assert response.status_code == 200, page
        assert "evil.example" not in response.text, page
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token
    asked = await evil.post(
        "/staff/periods/close", data={"csrf_token": token.group(1), "period": "2001-Q1"}
    )
    assert "evil.example" not in asked.text  # the confirmation step posts to a path too
    closed = await confirm(evil, asked)
    locations.append(closed.headers["location"])
    assert locations and all(loc.startswith("/") for loc in locations), locations
    assert not any("evil.example" in loc for loc in locations), locations
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0


def test_links_that_leave_the_site_use_the_public_url() -> None:
    assert load_settings({}).public_url == "http://127.0.0.1:8000"
    settings = load_settings({"TIEIN_PUBLIC_URL": "https://shop.example/"})
    assert public_url(settings, "/orders/T-1?key=k") == "https://shop.example/orders/T-1?key=k"


async def test_a_client_hanging_up_mid_body_is_no_server_error(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by a hostile review: an aborted upload was logged as an unhandled error with its
    traceback. The client is gone; it gets a plain 400 and the log no error."""
    app = create_app(settings, database=db)
    sent: list[dict] = []
    messages = iter([{"type": "http.request", "body": b'{"que', "more_body": True}])

    async def receive() -> dict:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("203.0.113.9", 5000),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
    }  # fmt: skip
    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
