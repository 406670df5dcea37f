"""Films in the console: the list (with status and archived ones), the new-film and edit
forms (titles per language in a small table), and archiving with a confirmation step. The
views turn form text into a FilmInput; every rule is catalog.film_admin's."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.film_admin import (
    FilmInput,
    TitleInput,
    archive_film,
    create_film,
    list_films,
    unarchive_film,
    update_film,
)
from catalog.film_status import FilmStatus
from catalog.film_titles import LANGUAGES, titles_of
from catalog.films import get_film
from catalog.image_models import Image
from kernel.errors import DomainError, DomainErrors
from kernel.parsing import parse_id
from storefront.staff.auth import require_staff
from storefront.staff.common import (
    Confirmation,
    confirm_page,
    confirmed,
    flash,
    flash_error,
    page,
)
from storefront.web import now, path_for, path_param, read_form

STATUS_WORDS = {
    FilmStatus.COMING_SOON: "coming soon",
    FilmStatus.NOW_SHOWING: "now showing",
    FilmStatus.OUT_OF_CINEMAS: "out of cinemas",
    FilmStatus.ARCHIVED: "archived",
}
FIELDS = ("slug", "original_title", "release_date", "runtime_minutes", "rating", "franchise_slug")
# The words a refusal's field is named by, above the form.
LABELS = {
    "slug": "Slug",
    "original_title": "Original title",
    "release_date": "Release date",
    "runtime_minutes": "Runtime",
    "rating": "Age rating",
    "franchise_slug": "Franchise",
    "franchise_name": "Franchise",
    **{f"title_{code}": f"{name} title" for code, name in LANGUAGES.items()},
    **{f"synopsis_{code}": f"{name} synopsis" for code, name in LANGUAGES.items()},
}


@require_staff
async def films_page(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        rows = await list_films(session, now=now(request))
    return page(request, "staff/films.html", rows=rows, status_words=STATUS_WORDS)


def _film_input(form: Any) -> tuple[FilmInput, list[str]]:
    """The form as a FilmInput, and the language of each given title in order (a language
    whose title and synopsis are both blank is left out)."""
    titles, order = [], []
    for code in LANGUAGES:
        title, synopsis = str(form.get(f"title_{code}", "")), str(form.get(f"synopsis_{code}", ""))
        if title.strip() or synopsis.strip():
            titles.append(TitleInput(code, title, synopsis))
            order.append(code)
    values = {name: str(form.get(name, "")) for name in FIELDS}
    data = FilmInput(
        slug=values["slug"],
        original_title=values["original_title"],
        titles=titles,
        release_date=values["release_date"],
        runtime_minutes=values["runtime_minutes"],
        rating=values["rating"],
        franchise_slug=values["franchise_slug"],
    )
    return data, order


def _form_field(field: str | None, order: list[str]) -> str:
    """The form field a refusal is about: `titles.2.title` → `title_ja`."""
    parts = (field or "").split(".")
    if parts[0] == "titles" and len(parts) == 3 and parts[1].isdigit():
        language = order[int(parts[1]) - 1] if 0 < int(parts[1]) <= len(order) else ""
        return f"{'synopsis' if parts[2] == 'synopsis' else 'title'}_{language}"
    return parts[0]


def _form(
    request: Request,
    status_code: int,
    values: dict[str, str],
    errors: list[DomainError],
    order: list[str],
    film: Any = None,
    poster: Image | None = None,
) -> Response:
    field_errors: dict[str, str] = {}
    for error in errors:
        field_errors.setdefault(_form_field(error.field, order), error.message)
    return page(
        request,
        "staff/film_form.html",
        status_code,
        film=film,
        values=values,
        languages=list(LANGUAGES.items()),
        field_errors=field_errors,
        labels=LABELS,
        codes=" ".join(sorted({str(e.code) for e in errors})),
        poster=poster,
    )


def _refusals(error: DomainError) -> list[DomainError]:
    return error.errors if isinstance(error, DomainErrors) else [error]


@require_staff
async def new_film(request: Request) -> Response:
    if request.method == "GET":
        return _form(request, 200, {}, [], [])
    form = await read_form(request)
    data, order = _film_input(form)
    try:
        async with request.app.state.db.session() as session:
            film = await create_film(session, data, now=now(request))
            film_id, slug = film.id, film.slug
    except DomainError as error:
        return _form(request, 400, {k: str(v) for k, v in form.items()}, _refusals(error), order)
    flash(request, f"Film {slug} added.")
    return RedirectResponse(path_for(request, "staff_film", film_id=film_id), status_code=303)


def _film_id(request: Request) -> int:
    """The film id of the path: a database id, else a 400 (never a database error)."""
    return parse_id(path_param(request, "film_id", 20), field="film_id")


async def _film_or_404(session: Any, film_id: int) -> Any:
    try:
        return await get_film(session, film_id)
    except DomainError:
        raise HTTPException(404) from None


async def _poster(session: Any, film: Any) -> Image | None:
    """The film's uploaded poster, shown in the edit page's poster section."""
    return await session.get(Image, film.poster_image_id) if film.poster_image_id else None


@require_staff
async def film_page(request: Request) -> Response:
    film_id = _film_id(request)
    if request.method == "GET":
        async with request.app.state.db.read_session() as session:
            film = await _film_or_404(session, film_id)
            titles = (await titles_of(session, [film.id]))[film.id]
            poster = await _poster(session, film)
        values = {
            "slug": film.slug,
            "original_title": film.original_title,
            "release_date": film.release_date.isoformat(),
            "runtime_minutes": str(film.runtime_minutes),
            "rating": film.rating,
            "franchise_slug": film.franchise.slug if film.franchise else "",
        }
        for row in titles:
            values[f"title_{row.language}"] = row.title
            values[f"synopsis_{row.language}"] = row.synopsis
        return _form(request, 200, values, [], [], film=film, poster=poster)
    form = await read_form(request)
    data, order = _film_input(form)
    try:
        async with request.app.state.db.session() as session:
            film = await _film_or_404(session, film_id)
            await update_film(session, film.id, data, now=now(request))
            slug = film.slug
    except DomainError as error:
        async with request.app.state.db.read_session() as session:
            film = await _film_or_404(session, film_id)
            poster = await _poster(session, film)
        values = {k: str(v) for k, v in form.items()}
        return _form(request, 400, values, _refusals(error), order, film=film, poster=poster)
    flash(request, f"Film {slug} saved.")
    return RedirectResponse(path_for(request, "staff_film", film_id=film_id), status_code=303)


@require_staff
async def archive(request: Request) -> Response:
    """Archive in two steps: the first POST says what archiving does; only the second
    (`confirmed=yes`) archives. Bringing a film back needs no confirmation."""
    film_id = _film_id(request)
    form = await read_form(request)
    back = RedirectResponse(path_for(request, "staff_film", film_id=film_id), status_code=303)
    wanted = str(form.get("action", ""))
    if wanted not in ("archive", "unarchive"):
        flash(request, "Choose to archive the film or to bring it back; nothing changed.", "error")
        return back
    try:
        if wanted == "archive" and not confirmed(form):
            async with request.app.state.db.read_session() as session:
                film = await _film_or_404(session, film_id)
            return confirm_page(request, _archive_confirmation(request, film))
        async with request.app.state.db.session() as session:
            film = await _film_or_404(session, film_id)
            if wanted == "archive":
                await archive_film(session, film.id, now=now(request))
            else:
                await unarchive_film(session, film.id)
            slug = film.slug
    except DomainError as error:
        flash_error(request, error)
        return back
    flash(request, f"Film {slug} {'archived' if wanted == 'archive' else 'is public again'}.")
    return back


def _archive_confirmation(request: Request, film: Any) -> Confirmation:
    return Confirmation(
        title=f"Archive {film.title}",
        action=path_for(request, "staff_film_archive", film_id=film.id),
        consequences=[
            f"{film.title} ({film.slug}) disappears from the storefront and the public API: "
            "its page, the film lists, its showtimes and its bundle offers.",
            "None of its licensed merch, tickets or bundles can be bought any more; orders "
            "already paid are not changed.",
            "Staff and its licensees still see it; you can bring it back from its page.",
        ],
        button=f"Yes, archive {film.title}",
        cancel=path_for(request, "staff_film", film_id=film.id),
        fields=[("action", "archive")],
    )


routes = [
    Route("/staff/films", films_page, methods=["GET"], name="staff_films"),
    Route("/staff/films/new", new_film, methods=["GET", "POST"], name="staff_new_film"),
    Route("/staff/films/{film_id}", film_page, methods=["GET", "POST"], name="staff_film"),
    Route(
        "/staff/films/{film_id}/archive",
        archive,
        methods=["POST"],
        name="staff_film_archive",
    ),
]
