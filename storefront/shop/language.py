"""The language switcher: GET /language/<code>?next=<path> remembers the shopper's choice in
a cookie (kernel.i18n.COOKIE, a year) and goes back to the page, a path of this site only."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kernel import i18n
from storefront.shop.common import safe_next
from storefront.web import path_param, query_param


async def choose_language(request: Request) -> Response:
    """A language tiein speaks, or a 404; `next` elsewhere than a local path means home."""
    code = path_param(request, "code", max_len=20)
    if code not in i18n.LANGUAGES:
        raise HTTPException(404)
    back = safe_next(query_param(request, "next", max_len=2000), "/")
    response = RedirectResponse(back, 303)
    response.set_cookie(
        i18n.COOKIE,
        code,
        max_age=i18n.COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
