"""GraphiQL from the package's own files: GET /graphql in a browser works without internet.

The page loads React and ReactDOM 18.3.1 and GraphiQL 3.9.0 (their UMD builds, vendored in
`static/graphiql/` with their licences; the README there says where they came from and how to
refresh them), then `tiein-graphiql.js`, which renders GraphiQL with its Headers pane open for
the bearer token. Every asset is served from memory under one path that names GraphiQL's
version and a digest of the files' bytes (`/graphql/static/graphiql-3.9.0-<digest>/...`), so
browsers may keep them a year: a changed file is a new URL. (storefront/static_files.py is
the other front door's, and front doors do not import each other; five known files need no
StaticFiles.)

The page has no inline script or style, so its policy allows our own origin only (`'self'`),
plus `font-src data:` for the fonts GraphiQL's stylesheet carries inline and a per-page nonce
for the one <style> element GraphiQL adds itself (while a dialog is open). Whether GraphiQL is
served at all is the endpoint's rule (only with introspection on); the assets follow it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

GRAPHIQL_VERSION = "3.9.0"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Assets are only ever fetched by their versioned URL, so they never need revalidating.
ASSET_CACHE = "public, max-age=31536000, immutable"


def page_csp(nonce: str) -> str:
    """The policy of the page: nothing beyond our own origin and no inline code; the one
    exception is a <style> element carrying the page's nonce (GraphiQL's dialogs add one to
    hide the page's scroll bar while open)."""
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
        "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets(directory: Path) -> dict[str, Asset]:
    """The scripts and stylesheets of `directory` by file name (licences and notes stay in
    the package, unserved)."""
    assets = {}
    for path in sorted(directory.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        assets[path.name] = Asset(body, content_type, etag)
    return assets


ASSETS = load_assets(STATIC_DIR)
DIGEST = hashlib.sha256(
    b"".join(name.encode() + b"\0" + asset.etag.encode() for name, asset in ASSETS.items())
).hexdigest()[:10]
STATIC_PATH = f"/graphql/static/graphiql-{GRAPHIQL_VERSION}-{DIGEST}"
_gzipped: dict[str, bytes] = {}


def asset_url(name: str) -> str:
    """The same-origin URL of one of the vendored files."""
    if name not in ASSETS:
        raise KeyError(f"no GraphiQL asset named {name!r}")
    return f"{STATIC_PATH}/{name}"


def page_html(nonce: str) -> str:
    """The page: the vendored stylesheets and scripts, no inline code. The nonce rides on
    `tiein-graphiql.js`, which hands it to GraphiQL for its <style> element (the policy does
    not admit scripts by nonce)."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>tiein GraphQL</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{asset_url("graphiql.min.css")}">
  <link rel="stylesheet" href="{asset_url("tiein-graphiql.css")}">
</head>
<body>
  <div id="graphiql" data-endpoint="/graphql">Loading GraphiQL…</div>
  <noscript><p class="graphiql-offline">GraphiQL needs JavaScript. Without it, POST
    operations to /graphql as JSON.</p></noscript>
  <script src="{asset_url("react.production.min.js")}"></script>
  <script src="{asset_url("react-dom.production.min.js")}"></script>
  <script src="{asset_url("graphiql.min.js")}"></script>
  <script src="{asset_url("tiein-graphiql.js")}" nonce="{nonce}"></script>
</body>
</html>
"""


def graphiql_page() -> Response:
    """The GraphiQL page, with a fresh nonce (the caller decides whether GraphiQL is on)."""
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        page_html(nonce),
        headers={"Content-Security-Policy": page_csp(nonce), "Cache-Control": "no-store"},
    )


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower().removeprefix("q=").strip()
            return quality not in ("0", "0.0", "0.00", "0.000")
    return False


async def serve_asset(request: Request) -> Response:
    """One vendored file, gzipped when the client accepts it; 304 when its ETag matches; 404
    for an unknown name or while GraphiQL is off."""
    name = request.path_params["name"]
    asset = ASSETS.get(name)
    if asset is None or not request.app.state.settings.graphql_introspection:
        return PlainTextResponse("Not found.", 404)
    body, etag = asset.body, asset.etag
    headers = {"Cache-Control": ASSET_CACHE, "Vary": "Accept-Encoding"}
    if _accepts_gzip(request.headers.get("accept-encoding", "")):
        if name not in _gzipped:
            # once per file and process, off the event loop (the largest takes ~30 ms)
            _gzipped[name] = await asyncio.to_thread(gzip.compress, body, 6, mtime=0)
        body, etag = _gzipped[name], etag[:-1] + '-gzip"'
        headers["Content-Encoding"] = "gzip"
    headers["ETag"] = etag
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=asset.content_type, headers=headers)


routes: list = [Route(STATIC_PATH + "/{name}", serve_asset, methods=["GET"])]
