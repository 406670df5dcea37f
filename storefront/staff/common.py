"""Small helpers the staff views share: one-shot notices, DomainError → words, and the
confirmation step that every destructive action goes through."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from kernel.errors import DomainError
from kernel.parsing import parse_id
from kernel.periods import check_period, periods_between, previous_period
from licensing.models import Period, RoyaltyEntry
from storefront.web import path_param, render

# The hidden field that marks the second POST of a confirmed action.
CONFIRM_FIELD = "confirmed"


def flash(request: Request, message: str, kind: str = "ok", code: str = "") -> None:
    """Keep a notice for the next page this session sees (post → redirect → get). `code` is
    the rule's public code: a machine-readable attribute of the notice, never its words."""
    request.session["staff_flash"] = {"message": message, "kind": kind, "code": code}


def flash_error(request: Request, error: DomainError, kind: str = "error") -> None:
    """A refusal as a notice: the rule's message in words, its code in `data-code`."""
    flash(request, error_message(error), kind, code=str(error.code))


def path_id(request: Request, name: str = "id") -> int:
    """A database id from the path; 404 when it is not one."""
    try:
        return parse_id(path_param(request, name), field=name)
    except DomainError:
        raise HTTPException(404) from None


def path_period(request: Request, name: str) -> str:
    """A period ("2026-03") from the path; 404 when it is not one."""
    try:
        return check_period(path_param(request, name))
    except DomainError:
        raise HTTPException(404) from None


def pop_flash(request: Request) -> dict[str, str] | None:
    return request.session.pop("staff_flash", None)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a staff template with the pending notice, if any. The console speaks English
    (the studio's working language), whatever the shop's language of the browser."""
    request.state.language = "en"
    return render(request, name, status_code, notice=pop_flash(request), **context)


def error_message(error: DomainError) -> str:
    """The words a form shows for a refusal: the rule's message, without its code (the code
    is for machines: `flash_error` keeps it in an attribute)."""
    return error.message


def format_bps(bps: int | None) -> str:
    """Basis points as a percentage with two decimals, without floats: 1250 → "12.50 %"."""
    if bps is None:
        return "—"
    whole, rest = divmod(abs(bps), 100)
    return f"{'-' if bps < 0 else ''}{whole}.{rest:02d} %"


@dataclass(frozen=True)
class Confirmation:
    """The second step of a destructive action: what will happen, in words, and the same
    form again (its fields hidden) with `confirmed=yes`, posted with a fresh CSRF token."""

    title: str
    action: str  # the path both POSTs go to
    consequences: Sequence[str]
    button: str
    cancel: str  # where "Keep things as they are" leads
    fields: Sequence[tuple[str, str]] = field(default_factory=list)


def confirmed(form: Any) -> bool:
    """Whether this POST is the confirmation of an action already shown to the user."""
    return form.get(CONFIRM_FIELD) == "yes"


def confirm_page(request: Request, confirmation: Confirmation) -> HTMLResponse:
    """The page that repeats what an action will do before it is done; nothing changed yet."""
    return page(
        request,
        "staff/confirm.html",
        confirmation=confirmation,
        confirm_field=CONFIRM_FIELD,
    )


# --- period pickers -----------------------------------------------------------------------

RECENT_PERIODS = 4  # the current period and the three before it are always offered
MAX_PERIOD_CHOICES = 40  # ten years of quarters


async def known_periods(session: AsyncSession) -> set[str]:
    """Periods that exist in the books: closed or opened ones, and those holding entries."""
    names = set(await session.scalars(select(Period.name)))
    return names | set(await session.scalars(select(RoyaltyEntry.period).distinct()))


def period_choices(known: Iterable[str], current: str, *, chosen: str = "") -> list[str]:
    """The periods a picker offers, newest first: every quarter from the earliest known one
    (or the recent few) to the current one, plus the one already chosen; at most
    MAX_PERIOD_CHOICES of them. Later quarters hold nothing yet, so they are not offered."""
    recent = [current]
    for _ in range(RECENT_PERIODS - 1):
        recent.append(previous_period(recent[-1]))
    first = min([*known, recent[-1]]) if known else recent[-1]
    names = set(periods_between(min(first, current), current)[-MAX_PERIOD_CHOICES:])
    return sorted(names | ({chosen} if chosen else set()), reverse=True)
