"""Hostile review of image processing (issue 12, SPEC §11): a tiny file may claim up to 40
megapixels, and decoding plus re-encoding it takes seconds of CPU and hundreds of MB. Many
such uploads at once must not run side by side: at most IMAGE_WORKERS are processed at once
per process, the others wait their turn."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from catalog import images
from kernel.errors import DomainError
from kernel.pdf import render_pdf
from tests.factory.images import image_bytes


async def test_images_are_processed_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    running = peak = 0
    lock = threading.Lock()
    real = images.process_image

    def slow(data: bytes, *, field: str = "file") -> images.ProcessedImage:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.05)
            return real(data, field=field)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(images, "process_image", slow)
    # when six uploads arrive at once
    done = await asyncio.gather(*(images.prepare_image(image_bytes(40 + n, 30)) for n in range(6)))
    # then each was processed, never more than IMAGE_WORKERS side by side
    assert [p.original.width for p in done] == [40 + n for n in range(6)]
    assert peak == images.IMAGE_WORKERS == 1


async def test_a_refused_image_gives_back_its_turn() -> None:
    with pytest.raises(DomainError):
        await images.prepare_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    done = await asyncio.wait_for(images.prepare_image(image_bytes()), timeout=10)
    assert done.original.width == 64


def test_a_truncated_upload_is_refused_after_a_pdf_was_made() -> None:
    # given a process that has made a PDF (WeasyPrint, on import, sets Pillow's global
    # LOAD_TRUNCATED_IMAGES, after which a cut-off file decodes with grey filling)
    pytest.importorskip("weasyprint")
    render_pdf("<p>statement</p>")
    # when a truncated image is uploaded, then it is still refused as damaged
    for data in (image_bytes(300, 200)[:120], image_bytes(300, 200, "JPEG")[:400]):
        with pytest.raises(DomainError) as refused:
            images.process_image(data)
        assert refused.value.code == images.ImageError.CORRUPT_IMAGE
