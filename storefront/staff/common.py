"""Small helpers the staff views share: one-shot notices and DomainError → form message."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from kernel.errors import DomainError
from storefront.web import render


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """Keep a notice for the next page this session sees (post → redirect → get)."""
    request.session["staff_flash"] = {"message": message, "kind": kind}


def pop_flash(request: Request) -> dict[str, str] | None:
    return request.session.pop("staff_flash", None)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a staff template with the pending notice, if any."""
    return render(request, name, status_code, notice=pop_flash(request), **context)


def error_message(error: DomainError) -> str:
    """The words a form shows for a refusal: the rule's message and its public code."""
    return f"{error.message} ({error.code})"


def format_bps(bps: int | None) -> str:
    """Basis points as a percentage with two decimals, without floats: 1250 → "12.50 %"."""
    if bps is None:
        return "—"
    whole, rest = divmod(abs(bps), 100)
    return f"{'-' if bps < 0 else ''}{whole}.{rest:02d} %"
