"""What the shopper's views share: the clock, the shopper's country, sessions, flashes
(refusals in the shopper's words: storefront.shop.refusals), per-client throttles."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from kernel.countries import country_code
from kernel.db import Database
from kernel.ratelimit import BucketUnavailable, bucket_for, client_network
from storefront.shop.refusals import country_names, country_words
from storefront.web import csrf_matches, request_language, t
from storefront.web import now as now  # the request's clock, shared with the staff views

DEFAULT_COUNTRY = "US"


def database(request: Request) -> Database:
    return request.app.state.db


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for one page."""
    async with database(request).read_session() as session:
        yield session


@asynccontextmanager
async def writing(request: Request) -> AsyncIterator[AsyncSession]:
    """A write session whose transaction commits when the block ends without an error."""
    async with database(request).session() as session:
        yield session


def clean_country(value: object) -> str | None:
    """An upper-cased assigned ISO 3166-1 alpha-2 code, or None when `value` is not one."""
    return country_code(value)


def shopper_country(request: Request) -> str:
    """Where the shopper buys from: chosen once, kept in the signed session cookie."""
    return clean_country(request.session.get("country")) or DEFAULT_COUNTRY


def country_context(request: Request) -> dict[str, Any]:
    """The shopper's country for a page's country chooser: its code, its name in the
    shopper's language and every country's name."""
    country = shopper_country(request)
    language = request_language(request)
    return {
        "country": country,
        "country_label": country_words(language, country),
        "countries": country_names(language),
    }


async def client_throttle(request: Request, name: str, per_client: tuple[int, float]) -> float:
    """0 when this client network (an IPv4 address or an IPv6 /64) may go on: a token of the
    app's bucket `name` (`app.state.<name>_bucket`, made on first use) is taken; otherwise
    the seconds to wait. 0 too when the shared bucket is unavailable (Redis down): a
    shopper's action is worth more than the throttle."""
    state = request.app.state
    bucket = getattr(state, f"{name}_bucket", None)
    if bucket is None:
        bucket = bucket_for(*per_client, state.settings.redis_url)
        assert bucket is not None
        setattr(state, f"{name}_bucket", bucket)
    client = client_network(request.client.host) if request.client else "unknown"
    try:
        taken = await bucket.take(f"{name}:{client}", 1, time.time())
    except BucketUnavailable:
        return 0.0
    return 0.0 if taken.allowed else max(1.0, taken.retry_after)


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A one-time message for the next page (kept in the signed session)."""
    # Reassigned, not appended in place: the session only notices assignments.
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "text": message}]


def pop_flash(request: Request) -> list[dict[str, str]]:
    return request.session.pop("flash", None) or []


def check_csrf_header(request: Request, sent: object) -> None:
    """For the card step's JSON calls: the session's CSRF token must come back (else 403)."""
    if not csrf_matches(request, sent):
        raise HTTPException(
            403, t(request, "The page expired or did not come from this site. Reload it.")
        )


def safe_next(value: object, default: str = "/") -> str:
    """A local path to go back to after a form (never another site)."""
    text = value if isinstance(value, str) else ""
    if (
        text.startswith("/")
        and not text.startswith("//")
        and "\\" not in text
        and not any(c in text for c in "\t\n\r")
    ):
        return text
    return default
