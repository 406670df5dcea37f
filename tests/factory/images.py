"""Image files for tests: small real images made with Pillow, and hostile ones made by hand
(a PNG whose header claims a huge canvas, truncated files, a file that only looks like one)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def image_bytes(
    width: int = 64, height: int = 48, fmt: str = "PNG", color: tuple[int, int, int] = (200, 40, 40)
) -> bytes:
    """A solid image of `width`x`height` in `fmt` (PNG, JPEG, WEBP, GIF…)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def jpeg_with_exif(width: int = 120, height: int = 60, orientation: int = 6) -> bytes:
    """A JPEG with EXIF: an orientation tag (6: turn 90° clockwise to view) and a GPS-ish
    comment tag (ImageDescription), which must not survive re-encoding."""
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = "secret location 48.85N 2.35E"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG (a few dozen bytes) whose header claims `width`x`height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _chunk(b"IEND", b"")
    )
