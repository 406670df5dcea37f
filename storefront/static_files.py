"""The storefront's own static files, served from memory.

They are package data (a few tens of kilobytes, fixed for the life of the process, the same
in every worker), so they are read once when the app is built. Starlette's StaticFiles goes
to a thread four or five times per request (stat, open, read, close); this serves a known
file with no thread and no system call. Conditional requests (ETag, Last-Modified) answer
304 exactly as StaticFiles does; Range requests and unknown paths go to StaticFiles itself.
Files that every page names and that hardly ever change (the favicon) are sent with a long
`Cache-Control`.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

# Cache-Control of the files that browsers may keep a year: the favicon, which every page
# names and which changes about never (a browser showing last year's icon harms no one).
LONG_CACHE = {"favicon.svg": "public, max-age=31536000"}


class PackageStaticFiles(StaticFiles):
    """StaticFiles over `directory`, with every regular file under it held in memory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory=directory)
        self._files: dict[str, tuple[bytes, dict[str, str]]] = {}
        root = Path(directory)
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            stat_result = path.stat()
            # The headers StaticFiles would send (content type, length, ETag, Last-Modified).
            headers = dict(FileResponse(path, stat_result=stat_result).headers)
            name = os.path.normpath(str(path.relative_to(root)))
            if name in LONG_CACHE:
                headers["cache-control"] = LONG_CACHE[name]
            self._files[name] = (
                path.read_bytes(),
                headers,
            )

    async def get_response(self, path: str, scope: Scope) -> Response:
        known = self._files.get(path)
        request_headers = Headers(scope=scope)
        if known is None or scope["method"] not in ("GET", "HEAD") or "range" in request_headers:
            return await super().get_response(path, scope)
        body, headers = known
        if self.is_not_modified(Headers(headers), request_headers):
            return NotModifiedResponse(Headers(headers))
        return Response(body, headers=headers)
