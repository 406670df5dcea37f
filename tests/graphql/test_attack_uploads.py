"""Hostile review of `POST /uploads` and `/media/…` (issue 12, SPEC §11): files that are not
only images (SVG, HTML, a JPEG with a script appended, a PNG carrying megabytes of
compressed text), empty bodies and odd media keys. Every refusal is a 4xx with a code; what
is served is our re-encoded image with its own type, never the uploaded bytes."""

from __future__ import annotations

import struct
import zlib

import httpx

from kernel.config import Settings
from kernel.db import Database
from licensing.models import ApiToken
from tests.factory.images import image_bytes
from tests.graphql.conftest import NOW, World
from tests.graphql.test_images import bearer, image_count, media_files


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with(kind: bytes, payload: bytes) -> bytes:
    """A real 32x32 PNG with an extra ancillary chunk before its image data."""
    png = image_bytes(32, 32, "PNG")
    at = png.index(b"IDAT") - 4
    return png[:at] + _chunk(kind, payload) + png[at:]


async def test_files_that_are_not_images_are_refused_with_a_code(
    client: httpx.AsyncClient, world: World, db: Database, settings: Settings
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    for data, code in (
        (b"", "EMPTY_FILE"),
        (svg, "UNSUPPORTED_IMAGE_TYPE"),
        (b"GIF89a" + b"\x00" * 40, "UNSUPPORTED_IMAGE_TYPE"),
        (b"\xff\xd8\xff" + b"<html><script>alert(1)</script>", "CORRUPT_IMAGE"),
    ):
        for content_type in ("image/png", "text/html", "image/svg+xml"):
            response = await client.post(
                "/uploads",
                content=data,
                headers={**bearer(world.a.token), "Content-Type": content_type},
            )
            assert response.status_code == 422, (data[:10], response.text)
            assert response.json()["errors"][0]["code"] == code
    assert await image_count(db) == 0 and media_files(settings) == []


async def test_a_polyglot_jpeg_is_served_re_encoded_as_an_image_only(
    client: httpx.AsyncClient, world: World
) -> None:
    polyglot = image_bytes(200, 100, "JPEG") + b"<html><script>alert(document.domain)</script>"
    bomb_text = zlib.compress(b"A" * 50_000_000)  # 50 MB of text in ~50 KB
    for data in (
        png_with(b"zTXt", b"k\x00\x00" + bomb_text),
        png_with(b"iCCP", b"icc\x00\x00" + bomb_text),
    ):
        response = await client.post("/uploads", content=data, headers=bearer(world.a.token))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "CORRUPT_IMAGE"
    response = await client.post("/uploads", content=polyglot, headers=bearer(world.a.token))
    assert response.status_code == 201, response.text
    served = await client.get(response.json()["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] in ("image/jpeg", "image/png")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "default-src" in served.headers["content-security-policy"]
    assert b"<script" not in served.content and b"AAAA" not in served.content
    assert len(served.content) < 100_000


async def test_odd_media_keys_are_404_without_touching_the_disk(client: httpx.AsyncClient) -> None:
    digest = "ab" * 32
    for key in (
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        f"ab/ab/{digest}.html",
        f"ab/ab/{digest}.svg",
        f"AB/AB/{digest.upper()}.png",
        f"ab/ab/{digest}.png%00",
        f"cd/ef/{digest}.png",
        "x" * 5000,
        f"ab/ab/{digest}.png/",
        "%EF%BC%8E%EF%BC%8E",
    ):
        response = await client.get("/media/" + key)
        assert response.status_code == 404, key


async def test_a_revoked_token_cannot_upload(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    async with db.session() as session:
        token = await session.get(ApiToken, world.a.token_id)
        token.revoked_at = NOW
    response = await client.post("/uploads", content=image_bytes(), headers=bearer(world.a.token))
    assert response.status_code == 401
    assert await image_count(db) == 0


async def test_malformed_multipart_bodies_are_4xx(client: httpx.AsyncClient, world: World) -> None:
    png = image_bytes()
    for content_type, body in (
        ("multipart/form-data", png),
        ("multipart/form-data; boundary=", png),
        ("multipart/form-data; boundary=x", png),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nab"),
        ("multipart/form-data; boundary=x", b"--x\r\n" + b"A" * 100_000),
        (
            "multipart/form-data; boundary=x",
            b"".join(
                b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
                for i in range(50)
            )
            + b"--x--\r\n",
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
            + png
            + b'\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="b.png"'
            b"\r\n\r\n" + png + b"\r\n--x--\r\n",
        ),
    ):
        response = await client.post(
            "/uploads",
            content=body,
            headers={**bearer(world.a.token), "Content-Type": content_type},
        )
        assert 400 <= response.status_code < 500, (content_type, body[:40], response.status_code)
