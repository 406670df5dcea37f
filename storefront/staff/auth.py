"""Staff sign-in: the login and logout pages, and `require_staff`, the guard of every staff page.

The signed session cookie holds `staff_user = {"id", "username"}`. Signing in or out
rotates the session: everything but the shopper's cart is dropped and a new CSRF token is
issued, so a token planted before sign-in is worthless after it.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from licensing.accounts import authenticate_staff
from storefront.web import path_for, query_param, read_form, render
from tiein.parsing import clean_text

Endpoint = Callable[[Request], Awaitable[Response]]
LOGIN_PATH = "/staff/login"
BAD_LOGIN = "Unknown username or wrong password."


def current_staff(request: Request) -> dict[str, Any] | None:
    """The signed-in staff user of this session ({"id", "username"}) or None."""
    user = request.session.get("staff_user")
    if isinstance(user, dict) and isinstance(user.get("id"), int):
        return user
    return None


def staff_name(request: Request) -> str:
    """Who acts, as the services record it (the staff username)."""
    user = current_staff(request)
    assert user is not None, "staff_name() outside a require_staff view"
    return str(user["username"])


def require_staff(endpoint: Endpoint) -> Endpoint:
    """Guard a staff view: anonymous GETs go to the login page, anything else is a 403."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if current_staff(request) is None:
            if request.method in ("GET", "HEAD"):
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                login_path = path_for(request, "staff_login")
                return RedirectResponse(f"{login_path}?{urlencode({'next': target})}", 303)
            raise HTTPException(403, "Sign in as staff first.")
        return await endpoint(request)

    guarded.requires_staff = True  # type: ignore[attr-defined]
    return guarded


def _rotate(request: Request) -> None:
    cart = request.session.get("cart")
    request.session.clear()
    if cart is not None:
        request.session["cart"] = cart
    request.session["csrf"] = secrets.token_urlsafe(32)


def _safe_next(target: str | None) -> str:
    """Only a staff path of this site: never an absolute or protocol-relative URL."""
    if (
        target
        and target.startswith("/staff")
        and not target.startswith("//")
        and "\\" not in target
        and "://" not in target
    ):
        return target
    return "/staff"


async def login(request: Request) -> Response:
    next_path = _safe_next(query_param(request, "next", 2000))
    if request.method == "GET":
        if current_staff(request):
            return RedirectResponse(next_path, status_code=303)
        return render(request, "staff/login.html", next_path=next_path, error=None, username="")
    form = await read_form(request)
    username = clean_text(form.get("username"), field="username", max_len=80)
    password = clean_text(form.get("password"), field="password", max_len=1000, strip=False)
    next_path = _safe_next(clean_text(form.get("next"), field="next", max_len=2000))
    async with request.app.state.db.session() as session:
        user = await authenticate_staff(session, username, password)
        found = {"id": user.id, "username": user.username} if user else None
    if found is None:
        return render(
            request,
            "staff/login.html",
            400,
            next_path=next_path,
            error=BAD_LOGIN,
            username=username,
        )
    _rotate(request)
    request.session["staff_user"] = found
    return RedirectResponse(next_path, status_code=303)


@require_staff
async def logout(request: Request) -> Response:
    await read_form(request)
    _rotate(request)
    return RedirectResponse(path_for(request, "staff_login"), status_code=303)


routes = [
    Route(LOGIN_PATH, login, methods=["GET", "POST"], name="staff_login"),
    Route("/staff/logout", logout, methods=["POST"], name="staff_logout"),
]
