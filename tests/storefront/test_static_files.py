"""The storefront's static files, served from memory (storefront/static_files.py).

Rules protected: the same bytes and headers as Starlette's StaticFiles; conditional requests
answer 304; Range requests, unknown paths and paths escaping the directory behave exactly as
StaticFiles does."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from storefront.static_files import PackageStaticFiles
from storefront.web import HERE

STATIC = HERE / "static"


def client_for(app_cls: type[StaticFiles]) -> httpx.AsyncClient:
    if app_cls is PackageStaticFiles:
        static = PackageStaticFiles(STATIC)
    else:
        static = StaticFiles(directory=STATIC)
    app = Starlette(routes=[Mount("/static", app=static, name="static")])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def ours() -> httpx.AsyncClient:
    async with client_for(PackageStaticFiles) as client:
        yield client


@pytest.fixture
async def theirs() -> httpx.AsyncClient:
    async with client_for(StaticFiles) as client:
        yield client


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(STATIC)) for p in STATIC.rglob("*") if p.is_file())
)
async def test_every_file_comes_back_as_staticfiles_sends_it(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, path: str
) -> None:
    mine, reference = await ours.get(f"/static/{path}"), await theirs.get(f"/static/{path}")
    assert mine.status_code == reference.status_code == 200
    assert mine.content == reference.content == (STATIC / path).read_bytes()
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert mine.headers[name] == reference.headers[name], name


async def test_conditional_requests_answer_not_modified(ours: httpx.AsyncClient) -> None:
    first = await ours.get("/static/site.css")
    by_etag = await ours.get("/static/site.css", headers={"if-none-match": first.headers["etag"]})
    by_date = await ours.get(
        "/static/site.css", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert by_etag.status_code == by_date.status_code == 304
    assert by_etag.content == b""


async def test_ranges_unknown_paths_and_escapes_behave_as_staticfiles(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient
) -> None:
    for client in (ours, theirs):
        part = await client.get("/static/site.css", headers={"range": "bytes=0-9"})
        assert part.status_code == 206 and len(part.content) == 10
        assert (await client.get("/static/nope.css")).status_code == 404
        assert (await client.get("/static/../web.py")).status_code == 404
        assert (await client.get("/static/%2e%2e/web.py")).status_code == 404
        assert (await client.post("/static/site.css")).status_code == 405


def test_the_app_serves_the_storefront_static_files_from_memory() -> None:
    from storefront.routes import routes

    mount = next(r for r in routes if isinstance(r, Mount) and r.path == "/static")
    assert isinstance(mount.app, PackageStaticFiles)
    assert Path(mount.app.directory or "") == STATIC
