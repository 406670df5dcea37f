"""Public pages cached in the process, keyed by the database's content version (DESIGN §6).

A public page (home, film, product) is a function of the content version
(`kernel.content_version`, bumped by triggers on every change of what it shows, sales
included), what the page was asked for, the language, the shopper's country and the minute
(the page reads `now`, rounded down to the minute for the whole render). Keyed by all of
that, a cached page can never disagree with the database nor between workers: a change bumps
the version, so the next request renders afresh.

What is per session or per request stays out of the cached HTML: the CSRF token, the cart
count and the language switcher's way back (this request's path and query: the key holds
only what the page shows, so one shopper's query string, e.g. `?utm_source=…`, must not
reach another's page) are rendered as placeholders (random per process, so no page text
can forge one) and put in per response; `storefront.web.read_form` keeps checking the
token against the session. A page with flash messages, or seen by signed-in staff, is
rendered uncached.

The ETag is derived from the key and the per-session values; `If-None-Match` with it
answers 304 after one statement (the version).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from orders.cart import Cart
from storefront.web import csrf_token, this_page

MAX_PAGES = 256
_MARK = secrets.token_hex(12)
CSRF_PLACEHOLDER = f"csrf-{_MARK}"
CART_PLACEHOLDER = f"cart-{_MARK}"
NEXT_PLACEHOLDER = f"next-{_MARK}"  # unchanged by the template's `urlencode`
# Shared parts of a cacheable page's context (storefront.web.render_text).
CACHEABLE_CONTEXT = {
    "csrf_token": lambda: CSRF_PLACEHOLDER,
    "cart_count": CART_PLACEHOLDER,
    "switcher_next": NEXT_PLACEHOLDER,
    "staff_user": None,
}


class PageCache:
    """The most recently used pages of one app, by key (a bounded LRU)."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[tuple, str] = OrderedDict()

    def get(self, key: tuple) -> str | None:
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
        return page

    def put(self, key: tuple, page: str) -> None:
        self.pages[key] = page
        self.pages.move_to_end(key)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)


def page_cache(request: Request) -> PageCache:
    cache = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = request.app.state.page_cache = PageCache()
    return cache


def minute_of(moment: datetime) -> datetime:
    """The moment a cacheable page is rendered for: its minute."""
    return moment.replace(second=0, microsecond=0)


def cacheable(request: Request) -> bool:
    """Whether the page may come from the cache: no flash message to show, no staff menu."""
    return not request.session.get("flash") and not request.session.get("staff_user")


def _headers(etag: str) -> dict[str, str]:
    # private: the page carries the session's token; no-cache: ask again, a 304 is cheap.
    return {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Cookie, Accept-Language",
    }


async def cached_page(
    request: Request,
    key: tuple,
    render: Callable[[dict], Awaitable[str]],
    keep: Callable[[], bool] | None = None,
) -> Response:
    """The page for `key`: 304 when the client holds it (ETag), else from the cache, else
    `render(shared_context)` (which may raise HTTPException, e.g. 404, nothing cached).
    A rendered page is cached unless `keep()` (asked after the render) says the key was
    not the page's own: e.g. a film page asked for a day without showtimes shows another,
    and caching it under every such day would let one client evict every other page."""
    count = Cart.from_session(request.session.get("cart")).count
    full_key = (*key, bool(count))
    token = csrf_token(request)
    digest = hashlib.blake2b(repr(full_key).encode(), digest_size=16)
    back = this_page(request)
    digest.update(f"\0{token}\0{count}\0{back}".encode())
    etag = f'W/"{digest.hexdigest()}"'
    headers = _headers(etag)
    sent = request.headers.get("if-none-match", "")
    if etag in [tag.strip() for tag in sent.split(",")]:
        return Response(status_code=304, headers=headers)
    cache = page_cache(request)
    page = cache.get(full_key)
    if page is None:
        shared = dict(CACHEABLE_CONTEXT)
        if not count:
            shared["cart_count"] = 0
        page = await render(shared)
        if keep is None or keep():
            cache.put(full_key, page)
    body = (
        page.replace(CSRF_PLACEHOLDER, token)
        .replace(CART_PLACEHOLDER, str(count))
        .replace(NEXT_PLACEHOLDER, quote(back, safe="/"))  # as the `urlencode` filter does
    )
    return HTMLResponse(body, headers=headers)
