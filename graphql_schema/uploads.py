"""`POST /uploads`: the API's way in for images (product photos, approval artwork, posters).

The convention (README, "Uploading images"): send the image as the raw request body (any
Content-Type; the real type is sniffed from the bytes) or as `multipart/form-data` with one
file field named `file`, with `Authorization: Bearer <token>`. A merchant token needs the
`write` scope; staff tokens may upload too. The answer is JSON `{id, width, height,
contentType, url}`; `id` is an upload id to pass to mutations (`addProductImage`,
`submitProductForApproval(artwork: …)`). An upload belongs to its uploader: another
merchant's upload id is not found. The body is counted while it is read: past
MAX_BYTES (10 MB) the answer is 413 and nothing more is read. A refused image is 422 with
`{errors: [{field, code, message}]}`, and nothing is stored. Each upload spends
UPLOAD_COST points of the caller's /graphql budget (kernel.ratelimit).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.images import MAX_BYTES, prepare_image, store_image
from graphql_schema.auth import MERCHANT_WRITE, BadToken, require, viewer_from_request
from graphql_schema.errors import ApiError
from graphql_schema.relay import decode_pk, global_id
from kernel.clock import now_utc
from kernel.errors import DomainError
from kernel.media import media_store
from kernel.ratelimit import BucketUnavailable

log = logging.getLogger("tiein.uploads")

UPLOAD_TYPE = "Upload"  # the type name of upload ids (global ids, like every other id)
UPLOAD_COST = 500  # budget points one upload spends
# multipart framing around the file: boundaries, part headers, the field name
MULTIPART_SLACK = 64 * 1024
MAX_REQUEST_BYTES = MAX_BYTES + MULTIPART_SLACK


def uploaded_image(upload_id: str | None) -> int | None:
    """The image behind an upload id given to a mutation: None when left out; 0 (no such
    image, so the service answers not found) when malformed."""
    if upload_id is None:
        return None
    return decode_pk(upload_id, UPLOAD_TYPE) or 0


class TooLarge(Exception):
    pass


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers
    )


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="tiein"'} if status == 401 else None
    if status == 413:
        headers = {"Connection": "close"}
    return _json({"errors": [{"field": field, "code": code, "message": message}]}, status, headers)


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, counted as it arrives; TooLarge as soon as it passes `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _file_bytes(request: Request) -> bytes | Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        return await _read_limited(request, MAX_BYTES)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise TooLarge
    # The app's body limit for this path (tiein.app) stops the parser past MAX_REQUEST_BYTES.
    form = await request.form(max_files=1, max_fields=4)
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error(400, "INVALID", "Send the image in a file field named `file`.", "file")
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise TooLarge
        return data
    finally:
        await form.close()


async def _spend(request: Request, token_id: int | None) -> Response | None:
    budget = request.app.state.budget
    if budget is None or token_id is None:
        return None
    try:
        allowed, _, retry_after = await budget.take(f"token:{token_id}", UPLOAD_COST, time.time())
    except BucketUnavailable as exc:
        log.error("uploads: the budget store is unavailable (%s); not throttling", exc)
        return None
    if allowed:
        return None
    wait = 60 if math.isinf(retry_after) else math.ceil(retry_after)
    response = _error(429, "THROTTLED", f"Too many requests; retry in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response


async def upload(request: Request) -> Response:
    db = request.app.state.db
    settings = request.app.state.settings
    now = now_utc()
    try:
        viewer = await viewer_from_request(request, db, now=now)
        require(viewer, (MERCHANT_WRITE,))
    except BadToken as exc:
        return _error(401, "UNAUTHENTICATED", str(exc))
    except ApiError as exc:
        code = (exc.extensions or {}).get("code", "FORBIDDEN")
        return _error(401 if code == "UNAUTHENTICATED" else 403, code, exc.message)
    throttled = await _spend(request, viewer.token_id)
    if throttled is not None:
        return throttled
    try:
        data = await _file_bytes(request)
    except TooLarge:
        return _error(413, "FILE_TOO_LARGE", f"An image may be at most {MAX_BYTES // 2**20} MB.")
    if isinstance(data, Response):
        return data
    try:
        # decoded before the session opens: waiting for a turn holds no connection
        processed = await prepare_image(data)
        async with db.session() as session:
            image = await store_image(
                session,
                media_store(settings.media_path),
                processed,
                merchant_id=viewer.merchant_id,
                staff_user_id=viewer.staff_user_id,
                now=now,
            )
            found = {
                "id": global_id(UPLOAD_TYPE, image.id),
                "width": image.width,
                "height": image.height,
                "contentType": image.content_type,
                "url": media_store(settings.media_path).url(image.key),
            }
    except DomainError as exc:
        return _error(422, exc.code, exc.message, exc.field)
    return _json(found, 201)


routes: list = [Route("/uploads", upload, methods=["POST"])]
