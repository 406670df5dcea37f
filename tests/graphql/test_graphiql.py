"""GraphiQL from the package's own files (graphql_schema/graphiql.py).

Rules protected: the page at GET /graphql references only same-origin assets, each served
200 with its content type, a year's cache and a versioned path; the page's policy allows
nothing beyond 'self' (no inline code, no eval); GraphiQL and its assets are off with
introspection; the vendored files are the published ones (README's checksums) and ship in
the wheel. In Chromium with every request to another host blocked, GraphiQL renders, runs a
typed query, and a token put in its Headers pane is who the query runs as.
"""

from __future__ import annotations

import configparser
import dataclasses
import hashlib
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from graphql_schema.graphiql import ASSETS, GRAPHIQL_VERSION, STATIC_DIR, STATIC_PATH
from kernel.config import Settings
from kernel.db import Database
from tests.fixtures.stripe import _ServerThread
from tests.graphql.conftest import World
from tiein.app import create_app
from tiein.localstripe import free_port

ROOT = Path(__file__).resolve().parents[2]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


class References(HTMLParser):
    """Every src/href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


async def test_the_page_references_only_same_origin_assets_each_served_with_its_type(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert not re.search(r"(?i)https?:|//[a-z0-9]", page.text), "no absolute URL on the page"
    urls = [url for url in references(page.text) if url != "data:,"]  # no favicon request
    names = {"graphiql.min.js", "graphiql.min.css", "react.production.min.js"}
    assert names | {"react-dom.production.min.js", "tiein-graphiql.js"} <= {
        url.rsplit("/", 1)[1] for url in urls
    }
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith(STATIC_PATH + "/"), url
        asset = await client.get(url, headers={"Accept-Encoding": "identity"})
        name = url.rsplit("/", 1)[1]
        assert asset.status_code == 200, url
        media = asset.headers["content-type"].split(";")[0]
        assert media == CONTENT_TYPES[Path(name).suffix], url
        assert asset.content == (STATIC_DIR / name).read_bytes()
        assert "content-encoding" not in asset.headers
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The path names GraphiQL's version and changes with any served file's bytes.
    assert STATIC_PATH.startswith(f"/graphql/static/graphiql-{GRAPHIQL_VERSION}-")


async def test_the_page_keeps_to_self_and_other_responses_keep_the_apps_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    csp = dict(
        directive.partition(" ")[::2]
        for directive in page.headers["content-security-policy"].split("; ")
    )
    assert csp["script-src"] == "'self'"
    # inline style only with the page's nonce, which rides on our script and changes each time
    nonce = re.fullmatch(r"'self' 'nonce-([\w-]{20,})'", csp["style-src"]).group(1)
    assert f'src="{STATIC_PATH}/tiein-graphiql.js" nonce="{nonce}"' in page.text
    again = await client.get("/graphql", headers={"Accept": "text/html"})
    assert nonce not in again.text and nonce not in again.headers["content-security-policy"]
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert csp["font-src"] == "'self' data:"  # GraphiQL's stylesheet inlines its fonts
    assert "unsafe" not in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "<style" not in page.text and " style=" not in page.text
    health = await client.get("/healthz")
    assert "font-src" not in health.headers["content-security-policy"]


async def test_assets_are_gzipped_on_request_and_revalidate_by_etag(
    client: httpx.AsyncClient,
) -> None:
    url = f"{STATIC_PATH}/graphiql.min.js"
    raw = (STATIC_DIR / "graphiql.min.js").read_bytes()
    zipped = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"]
    assert int(zipped.headers["content-length"]) < len(raw) / 2
    assert zipped.content == raw  # httpx decoded it
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    refused = await client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert plain.headers["etag"] != zipped.headers["etag"]  # two representations
    for response in (plain, zipped):
        again = await client.get(
            url,
            headers={
                "If-None-Match": response.headers["etag"],
                "Accept-Encoding": response.headers.get("content-encoding", "identity"),
            },
        )
        assert again.status_code == 304 and again.content == b""


async def test_unknown_assets_and_other_versions_are_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{STATIC_PATH}/nope.js")).status_code == 404
    assert (await client.get(f"{STATIC_PATH}/LICENSE-graphiql.txt")).status_code == 404
    assert (await client.get(f"{STATIC_PATH}/../endpoint.py")).status_code == 404
    old = "/graphql/static/graphiql-3.8.3/graphiql.min.js"
    assert (await client.get(old)).status_code == 404


async def test_without_introspection_there_is_no_graphiql_nor_its_assets(
    settings: Settings, db: Database
) -> None:
    app = create_app(dataclasses.replace(settings, graphql_introspection=False), database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        page = await c.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        for name in ASSETS:
            assert (await c.get(f"{STATIC_PATH}/{name}")).status_code == 404


def vendored_checksums() -> dict[str, str]:
    """The `sha256  file` lines of static/graphiql/README.md."""
    text = (STATIC_DIR / "README.md").read_text()
    return dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.M)
    )


def test_the_vendored_files_are_the_published_ones_with_their_licences() -> None:
    recorded = vendored_checksums()
    vendored = {"graphiql.min.js", "graphiql.min.css", "react.production.min.js"}
    vendored |= {"react-dom.production.min.js"}
    vendored |= {"LICENSE-graphiql.txt", "LICENSE-react.txt", "LICENSE-react-dom.txt"}
    assert set(recorded) == vendored
    for name, digest in recorded.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (STATIC_DIR / "LICENSE-graphiql.txt").read_text()
    assert f"graphiql@{GRAPHIQL_VERSION}" in (STATIC_DIR / "README.md").read_text()


def test_package_data_ships_every_static_file() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    globs = [g.strip() for g in config["options.package_data"]["graphql_schema"].split(",")]
    package = ROOT / "graphql_schema"
    files = [p.relative_to(package).as_posix() for p in (package / "static").rglob("*")]
    files = [f for f in files if (package / f).is_file()]
    assert len(files) >= 10
    # fnmatch's * also matches "/": compare depths as setuptools' globs do
    shipped = [
        f for f in files if any(fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)
    ]
    missing = sorted(set(files) - set(shipped))
    assert not missing, missing


# --- In a browser, offline ------------------------------------------------------------------

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
def graphiql_server(settings: Settings, world: World) -> Iterator[str]:
    """tiein served by uvicorn on a loopback port, on the test's database with its world."""
    port = free_port()
    live = dataclasses.replace(settings, allowed_hosts=("127.0.0.1", "localhost"))
    server = _ServerThread(create_app(live), port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def editor_text(page: Any, selector: str) -> str:
    return await page.eval_on_selector(f"{selector} .CodeMirror", "e => e.CodeMirror.getValue()")


async def type_into(page: Any, selector: str, text: str) -> None:
    """Type `text` into a GraphiQL editor as a person would (select all, then type; the
    editors close brackets and quotes themselves and step over the ones typed after)."""
    await page.locator(f"{selector} .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.type(text)
    await page.keyboard.press("Escape")  # close any autocomplete list


async def run_and_read(page: Any, previous: str) -> str:
    await page.locator(".graphiql-execute-button").click()
    await page.wait_for_function(
        """previous => {
            const e = document.querySelector('.graphiql-response .CodeMirror');
            const value = e && e.CodeMirror.getValue();
            return value && value !== previous;
        }""",
        arg=previous,
    )
    return await editor_text(page, ".graphiql-response")


@pytest.mark.browser
@pytest.mark.slow
async def test_graphiql_runs_offline_and_takes_a_token_in_its_headers_pane(
    graphiql_server: str, world: World, backend: str, browser_page: Any, browser_artifacts: Path
) -> None:
    page, base = browser_page, graphiql_server
    asked_elsewhere: list[str] = []

    async def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            asked_elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_local)
    await page.goto(f"{base}/graphql")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    assert "Loading GraphiQL" not in await page.inner_text("body")
    # The Headers pane is open and holds the hint, which is not sent as a token.
    headers_pane = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
    assert '"Authorization": "Bearer <token>"' in await editor_text(page, headers_pane)

    await type_into(
        page, ".graphiql-query-editor", "{ films(first: 1) { edges { node { slug } } } }"
    )
    query = await editor_text(page, ".graphiql-query-editor")
    assert re.sub(r"\s+", "", query) == "{films(first:1){edges{node{slug}}}}", query
    result = await run_and_read(page, "")
    assert '"slug": "moon-harbor"' in result or '"slug": "paper-comets"' in result, result
    await page.screenshot(path=str(browser_artifacts / f"{backend}-graphiql-films.png"))

    await type_into(page, ".graphiql-query-editor", "{ viewer { kind name } }")
    anonymous = await run_and_read(page, result)
    assert '"kind": "PUBLIC"' in anonymous, anonymous

    await type_into(page, headers_pane, f'{{"Authorization": "Bearer {world.a.token}"}}')
    merchant = await run_and_read(page, anonymous)
    assert '"kind": "MERCHANT"' in merchant and '"name": "acme token"' in merchant, merchant
    await page.screenshot(path=str(browser_artifacts / f"{backend}-graphiql-viewer.png"))

    # A dialog adds GraphiQL's own <style> element: admitted by the page's nonce.
    await page.get_by_role("button", name="Open settings dialog").click()
    await page.get_by_role("dialog").wait_for()
    await page.keyboard.press("Escape")
    await page.get_by_role("dialog").wait_for(state="detached")

    assert not asked_elsewhere, asked_elsewhere
    assert not page.console_errors, page.console_errors
