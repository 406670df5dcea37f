"""Royalty periods: which are open, which are closed (and by whom), and closing one."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from licensing.models import Period, PeriodStatus, RoyaltyEntry
from licensing.periods import close_period
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import error_message, flash, page
from storefront.web import read_form
from tiein.db import now_utc
from tiein.errors import DomainError
from tiein.periods import period_of, previous_period


@require_staff
async def periods_page(request: Request) -> Response:
    now = now_utc()
    async with request.app.state.db.read_session() as session:
        known = {p.name: p for p in await session.scalars(select(Period))}
        with_entries = set(await session.scalars(select(RoyaltyEntry.period).distinct()))
    current = period_of(now)
    names = set(known) | with_entries | {current, previous_period(current)}
    rows = [
        {
            "name": name,
            "status": known[name].status if name in known else PeriodStatus.OPEN,
            "closed_at": known[name].closed_at if name in known else None,
            "closed_by": known[name].closed_by if name in known else None,
            "ended": name < current,
        }
        for name in sorted(names, reverse=True)
    ]
    return page(request, "staff/periods.html", periods=rows, current=current)


@require_staff
async def close(request: Request) -> Response:
    form = await read_form(request)
    name = str(form.get("period", "")).strip()[:16]
    try:
        async with request.app.state.db.session() as session:
            await close_period(session, name, now=now_utc(), closed_by=staff_name(request))
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, f"{name} is closed; its statements are frozen.")
    return RedirectResponse(request.url_for("staff_periods"), status_code=303)


routes = [
    Route("/staff/periods", periods_page, methods=["GET"], name="staff_periods"),
    Route("/staff/periods/close", close, methods=["POST"], name="staff_close_period"),
]
