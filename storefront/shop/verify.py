"""`/verify/<code>`: anyone may check that an authenticity label, a product SKU or a ticket
code is genuine (SPEC §10).

A typed code is read as a label code first (any case, spaces, hyphens, Crockford's look-alikes;
licensing.labels): a genuine one names its product, merchant and film, says whether it is
licensed now, and is counted (one verification row with the client's network; a HEAD request,
as link previews send, is not counted). Other text is
looked up as a SKU or a ticket code. Anything else — a wrong check symbol, odd characters,
NUL bytes, non-ASCII digits, huge input — gets the "not an official code" page: a 404, or a
400 when the text cannot be a code at all; never a 500.

Checks are throttled per client (an IPv4 address or an IPv6 /64; token buckets in memory, or
in Redis with TIEIN_REDIS_URL): past the limit, 429 and nothing is counted. That keeps one
client from inflating a label's count (the audit's cloned-label flag) or trying codes by bulk.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kernel.i18n import N_
from kernel.parsing import InvalidInput, clean_text
from licensing.label_batches import verification_network, verify_label
from licensing.labels import parse_code
from licensing.models import AgreementStatus
from storefront.shop import queries
from storefront.shop.common import (
    client_throttle,
    country_context,
    now,
    pop_flash,
    reading,
    writing,
)
from storefront.web import render, t

TEMPLATE = "catalog/verify.html"
# A licence agreement's status as the verify page names it.
AGREEMENT_WORDS = {
    AgreementStatus.DRAFT.value: N_("draft"),
    AgreementStatus.ACTIVE.value: N_("active"),
    AgreementStatus.TERMINATED.value: N_("terminated"),
    AgreementStatus.EXPIRED.value: N_("expired"),
}
PER_CLIENT = (30, 30 / 60)  # 30 checks at once, then one every 2 seconds
MAX_CODE = 100


def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        TEMPLATE,
        status_code,
        flashes=pop_flash(request),
        **country_context(request),
        agreement_words={status: t(request, word) for status, word in AGREEMENT_WORDS.items()},
        **context,
    )


async def _throttled(request: Request) -> float:
    """0 when this check may go on; otherwise the seconds to wait."""
    return await client_throttle(request, "verify", PER_CLIENT)


def _shown(raw: object) -> str:
    """Refused input as the page may repeat it: printable characters only, cut short."""
    text = raw if isinstance(raw, str) else ""
    return "".join(c for c in text[:MAX_CODE] if c.isprintable())


async def verify_code(request: Request) -> Response:
    raw = request.path_params.get("code", "")
    try:
        code = clean_text(raw, field="code", max_len=MAX_CODE)
    except InvalidInput:
        return _page(request, 400, code=_shown(raw) or "?", result=None)
    wait = await _throttled(request)
    if wait:
        response = _page(request, 429, code=code, result=None, wait=math.ceil(wait))
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    at = now(request)
    result: Any = None
    label = parse_code(code)
    if label is not None:
        host = request.client.host if request.client else None
        async with writing(request) as session:
            result = await verify_label(
                session,
                label,
                now=at,
                network=verification_network(host),
                record=request.method != "HEAD",  # headers only (link previews): not a check
            )
    if result is None:
        async with reading(request) as session:
            result = await queries.verify_code(session, code, now=at)
    return _page(request, 200 if result else 404, code=code, result=result)
