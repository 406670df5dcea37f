"""`GET /media/<key>`: uploaded images, straight from the media store (kernel.media).

Keys are content addresses, so an object never changes: it is cached for a year as
immutable. Only well-formed keys are looked up (two shard directories of hex, a SHA-256, an
extension of ours), so `..`, NUL or any other path is a 404 without touching the disk; the
Content-Type comes from the key, never from the bytes, and browsers may not sniff another.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kernel.media import URL_PREFIX, content_type_of, media_store, valid_key

CACHE_FOREVER = "public, max-age=31536000, immutable"


def image_src(image: Any, width: int | None = None) -> str:
    """The path of an image for an <img src>: its narrowest thumbnail at least `width` wide
    (the original when none is, or without `width`)."""
    if width is not None:
        for thumb in image.thumbnails or []:
            if thumb["width"] >= width:
                return URL_PREFIX + thumb["key"]
    return URL_PREFIX + image.key


def image_srcset(image: Any) -> str:
    """Every size of an image for an <img srcset>: the thumbnails and the original."""
    sizes = [(URL_PREFIX + t["key"], t["width"]) for t in image.thumbnails or []]
    sizes.append((URL_PREFIX + image.key, image.width))
    return ", ".join(f"{url} {width}w" for url, width in sizes)


async def media(request: Request) -> Response:
    key = request.path_params["key"]
    if not valid_key(key):
        return PlainTextResponse("Not found.", 404)
    store = media_store(request.app.state.settings.media_path)
    data = await asyncio.to_thread(store.get, key)
    if data is None:
        return PlainTextResponse("Not found.", 404)
    return Response(
        data,
        media_type=content_type_of(key),
        headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
    )


routes: list = [Route("/media/{key:path}", media, methods=["GET", "HEAD"], name="media")]
