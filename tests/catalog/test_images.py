"""Uploaded images (issue 12): the real type is sniffed, size and pixel count are capped
(checked from the header before decoding), EXIF orientation is applied and metadata
stripped, WebP thumbnails never upscale; a refused file stores nothing — no row, no file."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from catalog.image_models import Image
from catalog.images import MAX_BYTES, THUMBNAIL_WIDTHS, ImageError, process_image, store_image
from kernel.errors import DomainError
from kernel.media import LocalMediaStore
from tests.factory import make_merchant, make_staff_user
from tests.factory.images import image_bytes, jpeg_with_exif, png_claiming

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


BAD_FILES = {
    "empty": (b"", ImageError.EMPTY_FILE),
    "text": (b"hello, I am a PNG honestly", ImageError.UNSUPPORTED_IMAGE_TYPE),
    "gif": (image_bytes(fmt="GIF"), ImageError.UNSUPPORTED_IMAGE_TYPE),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', ImageError.UNSUPPORTED_IMAGE_TYPE),
    "bomb 50000x50000": (png_claiming(50_000, 50_000), ImageError.TOO_MANY_PIXELS),
    "bomb 7000x7000": (png_claiming(7_000, 7_000), ImageError.TOO_MANY_PIXELS),
    "truncated png": (image_bytes(300, 200)[:120], ImageError.CORRUPT_IMAGE),
    "truncated jpeg": (image_bytes(300, 200, "JPEG")[:200], ImageError.CORRUPT_IMAGE),
    "jpeg magic only": (b"\xff\xd8\xff" + b"\x00" * 64, ImageError.CORRUPT_IMAGE),
    "nul bytes": (b"\x00" * 1000, ImageError.UNSUPPORTED_IMAGE_TYPE),
    "too large": (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES, ImageError.FILE_TOO_LARGE),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_field_and_a_code(name: str) -> None:
    data, code = BAD_FILES[name]
    with pytest.raises(DomainError) as refused:
        process_image(data, field="file")
    assert refused.value.code == code
    assert refused.value.field == "file"
    assert refused.value.message


def test_the_pixel_cap_is_read_from_the_header_before_decoding() -> None:
    # given a 60-byte PNG claiming 50000x50000 (2.5 gigapixels): refused at once, unread
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 100
    with pytest.raises(DomainError) as refused:
        process_image(bomb)
    assert refused.value.code == ImageError.TOO_MANY_PIXELS


def test_a_good_image_gets_webp_thumbnails_at_fixed_widths_never_upscaled() -> None:
    big = process_image(image_bytes(1200, 600, "JPEG"))
    assert (big.original.width, big.original.height) == (1200, 600)
    assert big.original.content_type == "image/jpeg"
    assert [(t.width, t.height) for t in big.thumbnails] == [(160, 80), (480, 240), (1024, 512)]
    assert {t.content_type for t in big.thumbnails} == {"image/webp"}
    for thumb in big.thumbnails:
        assert PILImage.open(io.BytesIO(thumb.data)).format == "WEBP"
    small = process_image(image_bytes(300, 100))
    assert [t.width for t in small.thumbnails] == [160]
    tiny = process_image(image_bytes(100, 100, "WEBP"))
    assert tiny.thumbnails == () and tiny.original.content_type == "image/webp"
    assert THUMBNAIL_WIDTHS == (160, 480, 1024)


def test_exif_orientation_is_applied_and_metadata_stripped() -> None:
    # given a 120x60 JPEG whose EXIF says "turn 90°" and carries a description
    processed = process_image(jpeg_with_exif(120, 60, orientation=6))
    # then it is stored upright (60x120) without any EXIF left
    assert (processed.original.width, processed.original.height) == (60, 120)
    stored = PILImage.open(io.BytesIO(processed.original.data))
    assert stored.size == (60, 120)
    assert not stored.getexif()
    assert b"secret location" not in processed.original.data


def test_the_name_or_content_type_does_not_matter_only_the_bytes() -> None:
    # a PNG is a PNG whatever it was called; the stored type comes from the content
    assert process_image(image_bytes(fmt="PNG")).original.content_type == "image/png"


@pytest.mark.parametrize("name", ["empty", "text", "bomb 50000x50000", "truncated png"])
async def test_a_refused_upload_stores_no_row_and_no_file(db, tmp_path: Path, name: str) -> None:
    store = LocalMediaStore(tmp_path / "media")
    async with db.session() as session:
        merchant = await make_merchant(session, slug="acme")
    with pytest.raises(DomainError):
        async with db.session() as session:
            await store_image(session, store, BAD_FILES[name][0], merchant_id=merchant.id, now=NOW)
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Image.id))) == 0
    assert _files(tmp_path / "media") == []


async def test_uploads_are_content_addressed_and_deduplicated_per_owner(db, tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    data = image_bytes(600, 300, "PNG")
    async with db.session() as session:
        acme = await make_merchant(session, slug="acme")
        bolt = await make_merchant(session, slug="bolt")
        staff = await make_staff_user(session, username="lena")
    async with db.session() as session:
        first = await store_image(session, store, data, merchant_id=acme.id, now=NOW)
        again = await store_image(session, store, data, merchant_id=acme.id, now=NOW)
        other = await store_image(session, store, data, merchant_id=bolt.id, now=NOW)
        studio = await store_image(
            session, store, data, merchant_id=None, staff_user_id=staff.id, now=NOW
        )
    # the same owner gets the same image; each other owner a row of its own
    assert again.id == first.id
    assert len({first.id, other.id, studio.id}) == 3
    assert first.sha256 == other.sha256 == studio.sha256
    # the files are stored once: the original and its two thumbnails (160, 480)
    files = _files(tmp_path / "media")
    assert len(files) == 3
    assert first.key == f"{first.sha256[:2]}/{first.sha256[2:4]}/{first.sha256}.png"
    assert store.get(first.key) is not None
    assert [t["width"] for t in first.thumbnails] == [160, 480]
    assert not [p for p in (tmp_path / "media").rglob(".upload-*")]  # no temp file left
