"""The storefront's own static files, served from memory.

They are package data (a few tens of kilobytes, fixed for the life of the process, the same
in every worker), so they are read once when the app is built. Starlette's StaticFiles goes
to a thread four or five times per request (stat, open, read, close); this serves a known
file with no thread and no system call. Conditional requests (ETag, Last-Modified) answer
304 exactly as StaticFiles does; Range requests and unknown paths go to StaticFiles itself.
Files that every page names (the favicon) are named by a versioned URL, `?v=` and the
first hex digits of their content's SHA-256 (`versioned_url`): asked for with the current
version they are sent with a year's immutable `Cache-Control`, since a changed file gets a
new URL; asked for without it (or with an old version) they carry no `Cache-Control` and
browsers revalidate them by ETag, as any other static file.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The files pages name by a versioned URL, which browsers may then keep a year.
VERSIONED = frozenset({"favicon.svg"})
LONG_CACHE = "public, max-age=31536000, immutable"


@cache
def version_of(name: str) -> str:
    """The version of a static file in its URL: 12 hex digits of its content's SHA-256."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def versioned_url(static_path: str, name: str) -> str:
    """`static_path` (the file's URL path) with the file's version: `…/favicon.svg?v=…`."""
    return f"{static_path}?v={version_of(name)}"


class PackageStaticFiles(StaticFiles):
    """StaticFiles over `directory`, with every regular file under it held in memory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory=directory)
        self._files: dict[str, tuple[bytes, dict[str, str]]] = {}
        self._versions: dict[str, str] = {}
        root = Path(directory)
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            stat_result = path.stat()
            # The headers StaticFiles would send (content type, length, ETag, Last-Modified).
            headers = dict(FileResponse(path, stat_result=stat_result).headers)
            name = os.path.normpath(str(path.relative_to(root)))
            body = path.read_bytes()
            self._files[name] = (body, headers)
            if name in VERSIONED:
                self._versions[name] = hashlib.sha256(body).hexdigest()[:12]

    async def get_response(self, path: str, scope: Scope) -> Response:
        known = self._files.get(path)
        request_headers = Headers(scope=scope)
        if known is None or scope["method"] not in ("GET", "HEAD") or "range" in request_headers:
            return await super().get_response(path, scope)
        body, headers = known
        version = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v")
        if version and path in self._versions and version[-1] == self._versions[path]:
            headers = {**headers, "cache-control": LONG_CACHE}
        if self.is_not_modified(Headers(headers), request_headers):
            return NotModifiedResponse(Headers(headers))
        return Response(body, headers=headers)
