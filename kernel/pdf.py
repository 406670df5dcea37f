"""HTML to PDF with WeasyPrint, imported lazily.

WeasyPrint needs system libraries (Pango, and a CJK font for Chinese and Japanese titles):
`make test` installs them; `make run` does not need them. So nothing imports WeasyPrint at
start-up: the first PDF asked for does, and without the libraries `render_pdf` raises
`PdfUnavailable`, whose message names what to install (the console answers 503 with it, the
API the same, and the receipt e-mail goes out without its PDF attachment).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import ImageFile

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk"
MISSING = (
    "PDF documents need WeasyPrint and its system libraries: install the Python package "
    "`weasyprint` and the system packages {packages} (on Debian: apt-get install {packages}; "
    "`make test` does both). The cause: {cause}"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries are missing on this machine."""


def _weasyprint() -> Any:
    try:
        import weasyprint  # third-party, imported lazily: its system libraries are optional
    except (ImportError, OSError) as exc:  # OSError: a shared library that cannot be loaded
        raise PdfUnavailable(MISSING.format(packages=SYSTEM_PACKAGES, cause=exc)) from exc
    # WeasyPrint's import makes every Pillow decode in the process accept truncated files
    # (ImageFile.LOAD_TRUNCATED_IMAGES): uploads must still refuse them (catalog.images), and
    # our documents only embed images we made.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML document (its images inline as data: URLs; nothing is fetched)."""
    weasyprint = _weasyprint()
    # Documents are rendered from our own templates: only inline `data:` URLs resolve, so
    # text in a document can never make the server fetch a file or a URL.
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


# Renders run on their own two threads: a render takes from milliseconds to seconds (CJK
# fonts are subset into the file), so the event loop keeps serving meanwhile, and a caller
# asking for many PDFs at once queues behind these two instead of taking every thread.
RENDER_THREADS = 2
_renderer = ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="tiein-pdf")


async def render_pdf_async(html: str) -> bytes:
    """`render_pdf` on the PDF threads (at most RENDER_THREADS at once per process)."""
    return await asyncio.get_running_loop().run_in_executor(_renderer, render_pdf, html)
