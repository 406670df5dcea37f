"""Staff sign-in: the login and logout pages, and `require_staff`, the guard of every staff page.

Staff sessions are held on the server (licensing.staff_sessions): the signed session cookie
carries a random `staff_session` token, and every staff request checks it against the
`staff_sessions` table, so logout, a password change or a deactivation ends it at once, and a
copied cookie is worth nothing afterwards. `staff_user` ({"id", "username"}) sits beside it
for the templates only; it never grants anything. Signing in or out rotates the session:
everything but the shopper's cart is dropped, a new token and a new CSRF token are issued, so
a cookie or token planted before sign-in is worthless after it.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.parsing import clean_text
from kernel.ratelimit import client_network
from licensing.accounts import normalise_username
from licensing.staff_sessions import (
    BAD_SIGN_IN,
    SignInThrottled,
    end_staff_session,
    record_session_use,
    sign_in_staff,
    staff_for_session,
)
from storefront.web import now, path_for, query_param, read_form, render

Endpoint = Callable[[Request], Awaitable[Response]]
LOGIN_PATH = "/staff/login"
DEVICE_COOKIE = "tiein_staff_device"
DEVICE_LIFETIME = 90 * 24 * 3600  # seconds a browser stays a known device of its user
BAD_LOGIN = BAD_SIGN_IN
SESSION_KEY = "staff_session"


def current_staff(request: Request) -> dict[str, Any] | None:
    """The staff user ({"id", "username"}) `require_staff` let in, or None outside it."""
    return getattr(request.state, "staff_user", None)


async def signed_in_staff(request: Request) -> dict[str, Any] | None:
    """The staff user of this browser's live server-side session, or None. A dead token
    (logged out, password changed, deactivated, expired) is dropped from the cookie."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    moment = now(request)
    async with request.app.state.db.read_session() as session:
        use = await staff_for_session(session, token, now=moment)
    if use is None:
        request.session.pop(SESSION_KEY, None)
        request.session.pop("staff_user", None)
        return None
    if use.needs_recording:
        async with request.app.state.db.session() as session:
            await record_session_use(session, use.session_id, now=moment)
    user = {"id": use.staff_user_id, "username": use.username}
    request.state.staff_user = user
    return user


def staff_name(request: Request) -> str:
    """Who acts, as the services record it (the staff username)."""
    user = current_staff(request)
    assert user is not None, "staff_name() outside a require_staff view"
    return str(user["username"])


def require_staff(endpoint: Endpoint) -> Endpoint:
    """Guard a staff view: anonymous GETs go to the login page, anything else is a 403."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if await signed_in_staff(request) is None:
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
        if await signed_in_staff(request):
            return RedirectResponse(next_path, status_code=303)
        return render(request, "staff/login.html", next_path=next_path, error=None, username="")
    form = await read_form(request)
    username = clean_text(form.get("username"), field="username", max_len=80)
    password = clean_text(form.get("password"), field="password", max_len=1000, strip=False)
    next_path = _safe_next(clean_text(form.get("next"), field="next", max_len=2000))
    previous = request.session.get(SESSION_KEY)
    device = _known_device(request, username)
    try:
        signed_in = await sign_in_staff(
            request.app.state.db,
            username,
            password,
            address=client_network(request.client.host) if request.client else "",
            user_agent=request.headers.get("user-agent", ""),
            replacing=previous if isinstance(previous, str) else None,
            device=device,
            now=now(request),
        )
    except SignInThrottled as exc:
        response = render(
            request,
            "staff/login.html",
            429,
            next_path=next_path,
            error=exc.message,
            username=username,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError:
        return render(
            request,
            "staff/login.html",
            400,
            next_path=next_path,
            error=BAD_LOGIN,
            username=username,
        )
    _rotate(request)
    request.session[SESSION_KEY] = signed_in.token
    request.session["staff_user"] = {"id": signed_in.staff_user_id, "username": signed_in.username}
    response = RedirectResponse(next_path, status_code=303)
    _remember_device(request, response, signed_in.username, device)
    return response


def _devices(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key.value, salt="tiein-staff-device")


def _known_device(request: Request, username: str) -> str | None:
    """The id of this browser's known-device cookie when it was given at a sign-in as
    `username` (signed, at most DEVICE_LIFETIME old); None otherwise."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        known = _devices(request).loads(cookie, max_age=DEVICE_LIFETIME)
    except BadSignature:
        return None
    if not isinstance(known, dict) or known.get("user") != normalise_username(username):
        return None
    device = known.get("device")
    return device if isinstance(device, str) and 0 < len(device) <= 64 else None


def _remember_device(
    request: Request, response: Response, username: str, device: str | None
) -> None:
    """After a sign-in, this browser is a known device of `username` (see staff_sessions)."""
    value = {"user": normalise_username(username), "device": device or secrets.token_urlsafe(16)}
    response.set_cookie(
        DEVICE_COOKIE,
        _devices(request).dumps(value),
        max_age=DEVICE_LIFETIME,
        path="/staff",
        secure=request.app.state.settings.https_only,
        httponly=True,
        samesite="lax",
    )


@require_staff
async def logout(request: Request) -> Response:
    await read_form(request)
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        async with request.app.state.db.session() as session:
            await end_staff_session(session, token, now=now(request))
    _rotate(request)
    return RedirectResponse(path_for(request, "staff_login"), status_code=303)


routes = [
    Route(LOGIN_PATH, login, methods=["GET", "POST"], name="staff_login"),
    Route("/staff/logout", logout, methods=["POST"], name="staff_logout"),
]
