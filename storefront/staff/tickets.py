"""Ticket check-in at the door: a code (typed or scanned) and the showtime being admitted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.models import Cinema, Film, Showtime
from catalog.tickets import check_in
from kernel.errors import DomainError
from kernel.parsing import MAX_ID, clean_text, parse_optional_int
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import page
from storefront.web import local_time, now, read_form


async def _showtimes(request: Request) -> list[dict[str, object]]:
    """Showtimes from yesterday on, for the door's showtime picker."""
    since = now(request) - timedelta(days=1)
    async with request.app.state.db.read_session() as session:
        rows = await session.execute(
            select(
                Showtime.id,
                Showtime.starts_at,
                Film.title,
                Cinema.name,
                Cinema.city,
                Cinema.timezone,
            )
            .join(Film, Film.id == Showtime.film_id)
            .join(Cinema, Cinema.id == Showtime.cinema_id)
            .where(Showtime.starts_at >= since)
            .order_by(Showtime.starts_at, Showtime.id)
            .limit(300)
        )
        return [
            {
                "id": r.id,
                "label": f"{local_time(r.starts_at, r.timezone)} · {r.title} · {r.name}, {r.city}",
            }
            for r in rows
        ]


def _showtime_id(text: object) -> int | None:
    """The showtime picked at the door, if any (blank: none; malformed: InvalidInput)."""
    return parse_optional_int(text, field="showtime_id", min=1, max=MAX_ID)


@require_staff
async def check_in_page(request: Request) -> Response:
    showtime_id = _showtime_id(request.query_params.get("showtime_id"))
    return page(
        request,
        "staff/check_in.html",
        showtimes=await _showtimes(request),
        showtime_id=showtime_id,
        result=None,
    )


@require_staff
async def check_in_ticket(request: Request) -> Response:
    form = await read_form(request)
    code = clean_text(form.get("code"), field="code", max_len=64)
    showtime_id = _showtime_id(form.get("showtime_id"))
    status = 200
    try:
        async with request.app.state.db.session() as session:
            ticket = await check_in(
                session, code, showtime_id=showtime_id, by=staff_name(request), now=now(request)
            )
            admitted = await session.execute(
                select(Showtime.starts_at, Film.title, Cinema.name, Cinema.timezone)
                .join(Film, Film.id == Showtime.film_id)
                .join(Cinema, Cinema.id == Showtime.cinema_id)
                .where(Showtime.id == ticket.showtime_id)
            )
            show = admitted.one()
        result = {
            "ok": True,
            "code": "ADMITTED",
            "message": (
                f"Admit one: {show.title}, {show.name}, "
                f"{local_time(show.starts_at, show.timezone, '%d %b %H:%M')}."
            ),
        }
    except DomainError as error:
        status = 409
        result = {"ok": False, "code": error.code, "message": error.message}
    return page(
        request,
        "staff/check_in.html",
        status,
        showtimes=await _showtimes(request),
        showtime_id=showtime_id,
        result=result,
    )


routes = [
    Route("/staff/check-in", check_in_page, methods=["GET"], name="staff_check_in"),
    Route("/staff/check-in", check_in_ticket, methods=["POST"], name="staff_check_in_post"),
]
