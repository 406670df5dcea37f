"""Cinemas in the console: the list with a form to add one, and one cinema's page with its
screens (add, rename, change seats), its coming showtimes by local day, and the schedule form
("14:30 and 19:30 every day from D1 to D2 on screen S, price"), which creates them all in one
transaction or none (catalog.scheduling)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.codes import CatalogError
from catalog.films import create_cinema, get_cinema
from catalog.models import Cinema, Film, Screen, Showtime
from catalog.scheduling import schedule_showtimes
from catalog.screens import create_screen, screens_of, update_screen
from catalog.showtimes import local_start
from kernel.countries import country_choices, country_name
from kernel.errors import DomainError, DomainErrors
from kernel.money import CURRENCY_EXPONENTS, check_currency, parse_amount
from kernel.parsing import clean_text, parse_id, parse_int
from kernel.timezones import timezone_choices
from storefront.staff.auth import require_staff
from storefront.staff.common import flash, page, path_id
from storefront.web import now, path_for, read_form

UPCOMING = 200  # coming showtimes listed on a cinema's page
LABELS = {
    "name": "Name",
    "city": "City",
    "country": "Country",
    "timezone": "Time zone",
    "capacity": "Seats",
    "film_id": "Film",
    "screen_id": "Screen",
    "times": "Times",
    "from_date": "First day",
    "to_date": "Last day",
    "price_minor": "Ticket price",
    "price": "Ticket price",
    "currency": "Currency",
    "starts_at": "Times",
    "id": "Screen",
}


def in_words(error: DomainError) -> list[str]:
    """Each refusal as a sentence that names the form's field ("Time zone: …")."""
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    out = []
    for one in errors:
        label = LABELS.get(one.field or "", "")
        out.append(f"{label}: {one.message}" if label else one.message)
    return out


def _date(value: object, field: str) -> date:
    text = clean_text(value, field=field, max_len=10, required=True)
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(CatalogError.INVALID, "Give a date like 2026-05-01.", field) from None


def _times(value: object) -> list[str]:
    """ "14:30 and 19:30", "14:30, 19:30" or "14:30 19:30" as ["14:30", "19:30"]."""
    text = clean_text(value, field="times", max_len=200, required=True)
    return [t for t in re.split(r"[\s,;]+|\band\b", text) if t]


async def _cinemas(session: Any) -> list[tuple[Cinema, int]]:
    screens = (
        select(Screen.cinema_id, func.count().label("n")).group_by(Screen.cinema_id).subquery()
    )
    rows = await session.execute(
        select(Cinema, func.coalesce(screens.c.n, 0))
        .outerjoin(screens, screens.c.cinema_id == Cinema.id)
        .order_by(Cinema.name, Cinema.id)
    )
    return [(c, n) for c, n in rows.all()]


def _list_page(request: Request, cinemas: list, status: int = 200, **context: Any) -> Response:
    return page(
        request,
        "staff/cinemas.html",
        status,
        cinemas=cinemas,
        countries=country_choices(),
        zones=timezone_choices(),
        country_name=country_name,
        errors=context.get("errors", []),
        values=context.get("values", {}),
    )


@require_staff
async def cinemas_page(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        cinemas = await _cinemas(session)
    return _list_page(request, cinemas)


@require_staff
async def add_cinema(request: Request) -> Response:
    form = await read_form(request)
    values = {k: form.get(k, "") for k in ("name", "city", "country", "timezone")}
    try:
        async with request.app.state.db.session() as session:
            cinema = await create_cinema(
                session,
                name=clean_text(values["name"], field="name", max_len=200),
                city=clean_text(values["city"], field="city", max_len=120),
                country=clean_text(values["country"], field="country", max_len=10),
                timezone=clean_text(values["timezone"], field="timezone", max_len=64) or "UTC",
            )
    except DomainError as error:
        async with request.app.state.db.read_session() as session:
            cinemas = await _cinemas(session)
        return _list_page(request, cinemas, 400, errors=in_words(error), values=values)
    flash(request, f"{cinema.name} was added. Add its screens next.")
    return RedirectResponse(path_for(request, "staff_cinema", id=cinema.id), status_code=303)


async def _cinema_page(
    request: Request, cinema_id: int, status: int = 200, **context: Any
) -> Response:
    at = now(request)
    async with request.app.state.db.read_session() as session:
        try:
            cinema = await get_cinema(session, cinema_id)
        except DomainError:
            raise HTTPException(404) from None
        screens = await screens_of(session, cinema.id)
        rows = await session.execute(
            select(Showtime, Film.title, Screen.name)
            .join(Film, Film.id == Showtime.film_id)
            .join(Screen, Screen.id == Showtime.screen_id)
            .where(Showtime.cinema_id == cinema.id, Showtime.starts_at > at)
            .order_by(Showtime.starts_at, Showtime.id)
            .limit(UPCOMING)
        )
        films = (  # an archived film cannot be scheduled: it is not offered
            await session.execute(
                select(Film.id, Film.title).where(Film.archived_at.is_(None)).order_by(Film.title)
            )
        ).all()
        usual = await session.scalar(  # the currency of the cinema's last showtime
            select(Showtime.currency)
            .where(Showtime.cinema_id == cinema.id)
            .order_by(Showtime.starts_at.desc(), Showtime.id.desc())
            .limit(1)
        )
    days: dict[date, list[tuple[Showtime, str, str]]] = {}
    found = rows.all()
    for showtime, title, screen_name in found:
        showtime.cinema = cinema
        days.setdefault(local_start(showtime).date(), []).append((showtime, title, screen_name))
    tomorrow = (at + timedelta(days=1)).astimezone(ZoneInfo(cinema.timezone)).date()
    return page(
        request,
        "staff/cinema.html",
        status,
        cinema=cinema,
        country=country_name(cinema.country),
        screens=screens,
        days=days,
        films=films,
        currencies=sorted(CURRENCY_EXPONENTS),
        usual_currency=usual or request.app.state.settings.currency,
        shown_max=UPCOMING,
        truncated=len(found) >= UPCOMING,
        errors=context.get("errors", []),
        errors_for=context.get("errors_for", ""),
        values=context.get("values", {"from_date": tomorrow.isoformat()}),
    )


@require_staff
async def cinema_page(request: Request) -> Response:
    return await _cinema_page(request, path_id(request))


@require_staff
async def add_screen(request: Request) -> Response:
    cinema_id = path_id(request)
    form = await read_form(request)
    values = {"screen_name": form.get("name", ""), "screen_capacity": form.get("capacity", "")}
    try:
        async with request.app.state.db.session() as session:
            screen = await create_screen(
                session,
                cinema_id=cinema_id,
                name=clean_text(form.get("name"), field="name", max_len=80),
                capacity=parse_int(form.get("capacity"), field="capacity", min=1),
            )
    except DomainError as error:
        if error.code == CatalogError.NOT_FOUND:
            raise HTTPException(404) from None
        return await _cinema_page(
            request, cinema_id, 400, errors=in_words(error), errors_for="screen", values=values
        )
    flash(request, f"{screen.name} ({screen.capacity} seats) was added.")
    return RedirectResponse(path_for(request, "staff_cinema", id=cinema_id), status_code=303)


@require_staff
async def edit_screen(request: Request) -> Response:
    cinema_id = path_id(request)
    screen_id = path_id(request, "screen")
    form = await read_form(request)
    try:
        async with request.app.state.db.session() as session:
            screen = await session.get(Screen, screen_id)
            if screen is None or screen.cinema_id != cinema_id:
                raise HTTPException(404)
            await update_screen(
                session,
                screen.id,
                name=clean_text(form.get("name"), field="name", max_len=80),
                capacity=parse_int(form.get("capacity"), field="capacity", min=1),
                now=now(request),
            )
    except DomainError as error:
        return await _cinema_page(
            request, cinema_id, 400, errors=in_words(error), errors_for=f"screen-{screen_id}"
        )
    flash(request, f"{screen.name} now has {screen.capacity} seats.")
    return RedirectResponse(path_for(request, "staff_cinema", id=cinema_id), status_code=303)


async def _screen_of(session: Any, cinema_id: int, value: object) -> Screen:
    """The chosen screen, which must be one of this cinema's."""
    screen = await session.get(Screen, parse_id(value, field="screen_id"))
    if screen is None or screen.cinema_id != cinema_id:
        raise DomainError(
            CatalogError.SCREEN_NOT_OF_CINEMA, "Choose one of this cinema's screens.", "screen_id"
        )
    return screen


@require_staff
async def schedule(request: Request) -> Response:
    cinema_id = path_id(request)
    form = await read_form(request)
    keys = ("film_id", "screen_id", "times", "from_date", "to_date", "price", "currency")
    values = {k: form.get(k, "") for k in keys}
    settings = request.app.state.settings
    try:
        currency = check_currency(clean_text(form.get("currency"), field="currency", max_len=3))
        async with request.app.state.db.session() as session:
            screen = await _screen_of(session, cinema_id, form.get("screen_id"))
            made = await schedule_showtimes(
                session,
                film_id=parse_id(form.get("film_id"), field="film_id"),
                screen_id=screen.id,
                times=_times(form.get("times")),
                from_date=_date(form.get("from_date"), "from_date"),
                to_date=_date(form.get("to_date"), "to_date"),
                price_minor=parse_amount(
                    clean_text(form.get("price"), field="price", max_len=20),
                    currency,
                    field="price",
                ),
                currency=currency,
                now=now(request),
                gap_minutes=settings.cleaning_gap_minutes,
            )
    except DomainError as error:
        return await _cinema_page(
            request, cinema_id, 400, errors=in_words(error), errors_for="schedule", values=values
        )
    flash(request, f"{len(made)} showtimes were scheduled on {screen.name}.")
    return RedirectResponse(path_for(request, "staff_cinema", id=cinema_id), status_code=303)


routes = [
    Route("/staff/cinemas", cinemas_page, methods=["GET"], name="staff_cinemas"),
    Route("/staff/cinemas", add_cinema, methods=["POST"], name="staff_add_cinema"),
    Route("/staff/cinemas/{id}", cinema_page, methods=["GET"], name="staff_cinema"),
    Route("/staff/cinemas/{id}/screens", add_screen, methods=["POST"], name="staff_add_screen"),
    Route(
        "/staff/cinemas/{id}/screens/{screen}",
        edit_screen,
        methods=["POST"],
        name="staff_edit_screen",
    ),
    Route("/staff/cinemas/{id}/schedule", schedule, methods=["POST"], name="staff_schedule"),
]
