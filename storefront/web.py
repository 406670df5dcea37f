"""What every page shares: templates, CSRF-checked forms, money filters, error pages."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from tiein.money import format_money

HERE = Path(__file__).resolve().parent
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use), for a hidden field in every form."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def read_form(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token: a missing or wrong token is a 403."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "The form expired or did not come from this site. Try again.")
    return form


def _context(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "csrf_token": lambda: csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "staff_user": request.session.get("staff_user"),
        "cart_count": sum(int(i.get("qty", 0)) for i in request.session.get("cart", [])),
        "stripe_is_test": settings.stripe_is_test,
    }


templates = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_context])


def local_time(moment: datetime, zone: str, fmt: str = "%a %d %b, %H:%M") -> str:
    """A moment as the clock shows it in `zone` (a cinema's), with the zone's abbreviation."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


templates.env.filters["money"] = format_money
templates.env.filters["local_time"] = local_time


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; autoescaping is on for every template, so user text is inert."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)
