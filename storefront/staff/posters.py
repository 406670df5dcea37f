"""A film's poster from the console: a small upload form (staff/_poster_form.html, in the
poster section of the film's edit page, and alone on `GET /staff/films/{slug}/poster`)
posting to `/staff/films/{slug}/poster`, which goes back to the edit page with a message.

The file is validated like every upload (catalog.images: JPEG, PNG or WebP by content,
10 MB, 40 megapixels); a refused file is a message in words and stores nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.image_models import Image
from catalog.images import MAX_BYTES, ImageError, store_image
from catalog.models import Film
from catalog.product_images import set_film_poster
from kernel.errors import DomainError
from kernel.media import media_store
from kernel.parsing import clean_text
from storefront.staff.auth import current_staff, require_staff
from storefront.staff.common import flash, flash_error, page
from storefront.web import CSRF_FIELD, MAX_FORM_FIELD, csrf_matches, now, path_for, path_param


async def _film(request: Request, session: AsyncSession) -> Film:
    slug = path_param(request, "slug", max_len=80)
    film = await session.scalar(select(Film).where(Film.slug == slug))
    if film is None:
        raise HTTPException(404, "No such film.")
    return film


@require_staff
async def poster_page(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        film = await _film(request, session)
        poster = await session.get(Image, film.poster_image_id) if film.poster_image_id else None
    return page(request, "staff/film_poster.html", film=film, poster=poster)


async def read_upload(request: Request, field: str) -> tuple[bytes, dict[str, str]]:
    """The file posted as `field` after the CSRF check (403 otherwise; b"" when none was
    chosen) and the form's text fields (each checked as read_form checks them)."""
    form = await request.form(max_files=1, max_fields=4)
    try:
        if not csrf_matches(request, form.get(CSRF_FIELD)):
            raise HTTPException(403, "The form expired or did not come from this site. Try again.")
        texts = {}
        for name, value in form.multi_items():  # text fields as strictly as read_form's
            if isinstance(value, str):
                texts[name] = clean_text(value, field=name, max_len=MAX_FORM_FIELD, strip=False)
        upload = form.get(field)
        if upload is None:
            return b"", texts
        if not isinstance(upload, UploadFile):  # text where a file goes: no browser sends it
            raise HTTPException(400, "Send the image as a file.")
        return await upload.read(MAX_BYTES + 1), texts
    finally:
        await form.close()


async def store_studio_image(
    request: Request, session: AsyncSession, data: bytes, field: str
) -> Image:
    """Store an upload read by `read_upload` as a studio image (no merchant, the signed-in
    staff user as its uploader); nothing chosen is EMPTY_FILE on `field`."""
    if not data:
        raise DomainError(ImageError.EMPTY_FILE, "Choose an image file first.", field)
    staff = current_staff(request) or {}
    return await store_image(
        session,
        media_store(request.app.state.settings.media_path),
        data,
        merchant_id=None,
        staff_user_id=staff.get("id"),
        now=now(request),
        field=field,
    )


@require_staff
async def upload_poster(request: Request) -> Response:
    """Validate the file, store it as a studio image and make it the film's poster; back to
    the film's edit page (its poster section) with a message in words either way."""
    data, _ = await read_upload(request, "poster")
    async with request.app.state.db.read_session() as session:
        film = await _film(request, session)  # an unknown film: 404, nothing read further
        film_id, title = film.id, film.title
    try:
        async with request.app.state.db.session() as session:
            image = await store_studio_image(request, session, data, "poster")
            await set_film_poster(session, film_id, image.id, now=now(request))
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"The poster of {title} is set.")
    back = path_for(request, "staff_film", film_id=film_id) + "#poster"
    return RedirectResponse(back, status_code=303)


routes = [
    Route("/staff/films/{slug}/poster", poster_page, methods=["GET"], name="staff_film_poster"),
    Route(
        "/staff/films/{slug}/poster", upload_poster, methods=["POST"], name="staff_upload_poster"
    ),
]
