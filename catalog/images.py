"""Uploaded images: validated with Pillow, re-encoded without metadata, thumbnailed, stored.

The rules (SPEC §3, issue 12): the real type is sniffed from the bytes (JPEG, PNG or WebP;
the file name and Content-Type are not trusted); at most MAX_BYTES; at most MAX_PIXELS,
read from the header *before* anything is decoded, so a small file claiming a huge canvas
(a decompression bomb) costs nothing; a truncated or corrupt file is refused. A good file
is turned upright (EXIF orientation) and re-encoded, which drops every piece of metadata
(EXIF with its GPS position, XMP, comments, ICC), and gets WebP thumbnails at fixed widths
(never wider than the original). A refused file stores nothing: no file, no row.

Decoding and re-encoding are costly even for a tiny file (a 2 KB WebP of 40 megapixels takes
seconds of CPU and hundreds of MB), so at most IMAGE_WORKERS images are processed at once in
a process (`prepare_image`); the others wait their turn, holding no database connection when
the caller prepares the image before it opens its session.
"""

from __future__ import annotations

import asyncio
import io
import warnings
import weakref
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.image_models import Image, owner_key
from kernel.errors import DomainError
from kernel.media import MediaStore, key_for, sha256_hex

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_WIDTHS = (160, 480, 1024)
IMAGE_WORKERS = 1  # images processed at once per process (per event loop)
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
# Pillow's own guard, for any decode that would not go through `process_image`: it warns
# past MAX_IMAGE_PIXELS and raises DecompressionBombError past twice that.
PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageError(StrEnum):
    EMPTY_FILE = "EMPTY_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_IMAGE_TYPE = "UNSUPPORTED_IMAGE_TYPE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    CORRUPT_IMAGE = "CORRUPT_IMAGE"


def sniff(data: bytes) -> str | None:
    """The Pillow format the bytes really are (by their magic number), if one we accept."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    original: Rendition
    thumbnails: tuple[Rendition, ...]


def process_image(data: bytes, *, field: str = "file") -> ProcessedImage:
    """Validate and re-encode an upload (CPU work: run it off the event loop). Raises
    DomainError(field=`field`) with an ImageError code for a file that is refused."""
    if not data:
        raise DomainError(ImageError.EMPTY_FILE, "The file is empty.", field)
    if len(data) > MAX_BYTES:
        raise DomainError(
            ImageError.FILE_TOO_LARGE, f"An image may be at most {MAX_BYTES // 2**20} MB.", field
        )
    kind = sniff(data)
    if kind is None:
        raise DomainError(
            ImageError.UNSUPPORTED_IMAGE_TYPE,
            "The file is not a JPEG, PNG or WebP image.",
            field,
        )
    try:
        with warnings.catch_warnings():
            # a bomb warning becomes an error, never a log line and a decode
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=[kind]) as opened:
                width, height = opened.size  # from the header: nothing decoded yet
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise DomainError(
                        ImageError.TOO_MANY_PIXELS,
                        f"The image is {width}x{height} pixels; at most "
                        f"{MAX_PIXELS // 1_000_000} megapixels are accepted.",
                        field,
                    )
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                return _encode(upright, kind)
    except DomainError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise DomainError(
            ImageError.TOO_MANY_PIXELS,
            f"The image has more than {MAX_PIXELS // 1_000_000} megapixels.",
            field,
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise DomainError(
            ImageError.CORRUPT_IMAGE, "The image is damaged or truncated and cannot be read.", field
        ) from None


def _normalised(image: PILImage.Image, kind: str) -> PILImage.Image:
    """A mode every encoder takes: JPEG without alpha, the others RGB(A)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if kind == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    wanted = "RGBA" if has_alpha else "RGB"
    return image if image.mode == wanted else image.convert(wanted)


def _save(image: PILImage.Image, kind: str) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile=, pnginfo=: the re-encoded file carries no metadata at all.
    if kind == "JPEG":
        image.save(out, "JPEG", quality=90, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=90, method=4)
    return out.getvalue()


def _encode(image: PILImage.Image, kind: str) -> ProcessedImage:
    base = _normalised(image, kind)
    width, height = base.size
    original = Rendition(_save(base, kind), _FORMATS[kind], width, height)
    thumbs = []
    for thumb_width in THUMBNAIL_WIDTHS:
        if thumb_width >= width:
            break  # never upscale
        thumb_height = max(1, round(height * thumb_width / width))
        small = _normalised(base, "WEBP").resize(
            (thumb_width, thumb_height), PILImage.Resampling.LANCZOS
        )
        thumbs.append(Rendition(_save(small, "WEBP"), "image/webp", thumb_width, thumb_height))
    return ProcessedImage(original, tuple(thumbs))


def _put_all(store: MediaStore, processed: ProcessedImage) -> tuple[str, list[dict[str, object]]]:
    key = key_for(processed.original.data, processed.original.content_type)
    store.put(processed.original.data, key)
    thumbnails: list[dict[str, object]] = []
    for thumb in processed.thumbnails:
        thumb_key = key_for(thumb.data, thumb.content_type)
        store.put(thumb.data, thumb_key)
        thumbnails.append({"width": thumb.width, "height": thumb.height, "key": thumb_key})
    return key, thumbnails


async def prepare_image(data: bytes, *, field: str = "file") -> ProcessedImage:
    """`process_image` off the event loop, at most IMAGE_WORKERS at once (the others wait)."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(IMAGE_WORKERS)
    async with turn:
        return await asyncio.to_thread(process_image, data, field=field)


async def store_image(
    session: AsyncSession,
    store: MediaStore,
    data: bytes | ProcessedImage,
    *,
    merchant_id: int | None,
    staff_user_id: int | None = None,
    now: datetime,
    field: str = "file",
) -> Image:
    """Validate an upload (`prepare_image`, unless `data` is prepared already), store its
    files and record it for its owner (a merchant, or the studio when `merchant_id` is None).
    The same picture uploaded again by the same owner is the same image. Nothing is stored
    for a refused file. The caller has checked who uploads (`staff_user_id` names the staff
    member, when there is one)."""
    if isinstance(data, ProcessedImage):
        processed = data
    else:
        processed = await prepare_image(data, field=field)
    owner = owner_key(merchant_id)
    digest = sha256_hex(processed.original.data)
    existing = await session.scalar(
        select(Image).where(Image.owner_key == owner, Image.sha256 == digest)
    )
    if existing is not None:
        return existing
    key, thumbnails = await asyncio.to_thread(_put_all, store, processed)
    image = Image(
        sha256=digest,
        owner_key=owner,
        merchant_id=merchant_id,
        staff_user_id=staff_user_id,
        key=key,
        content_type=processed.original.content_type,
        width=processed.original.width,
        height=processed.original.height,
        bytes=len(processed.original.data),
        thumbnails=thumbnails,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(image)
    except IntegrityError:
        # the same owner uploaded the same picture at the same moment: that one is the image
        found = await session.scalar(
            select(Image).where(Image.owner_key == owner, Image.sha256 == digest)
        )
        if found is None:
            raise
        return found
    return image


async def owned_image(
    session: AsyncSession, image_id: int | None, *, merchant_id: int | None, field: str
) -> Image:
    """An upload of the caller: a merchant's own (another's is not found), or the studio's
    for staff (`merchant_id` None means staff, who may use any upload)."""
    image = None if image_id is None else await session.get(Image, image_id)
    if image is None or (merchant_id is not None and image.merchant_id != merchant_id):
        raise DomainError("NOT_FOUND", "No such upload.", field)
    return image
