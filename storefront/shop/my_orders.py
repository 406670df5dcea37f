"""The "e-mail me my orders" form (SPEC §8): a shopper who lost an order link types an address; an
e-mail with short-lived signed links to the orders paid with it is queued.

The page answers the same whether or not the address has orders: nothing is looked up here
(the outbox handler looks, and sends nothing when there are none), so neither the words nor
the time taken tell. Requests are throttled per address and per client address (an IPv6 client
by its /64; token buckets in memory, or in Redis with TIEIN_REDIS_URL): past the limit, 429.
"""

from __future__ import annotations

import hashlib
import math
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.outbox import enqueue
from kernel.parsing import clean_text
from kernel.ratelimit import BucketUnavailable, TokenBucket, bucket_for, client_network
from messaging.mail.smtp import UnsafeHeader, mailbox
from storefront.shop.common import writing
from storefront.web import now, read_form, render, t

PER_ADDRESS = (3, 3 / 3600)  # 3 requests, refilled at 3 an hour
PER_CLIENT = (10, 10 / 3600)  # 10 requests from one client address, 10 an hour
TEMPLATE = "orders/my_orders.html"


def _buckets(request: Request) -> tuple[TokenBucket, TokenBucket]:
    """This app's two buckets, made on first use (shared through Redis when configured)."""
    state = request.app.state
    buckets = getattr(state, "orders_link_buckets", None)
    if buckets is None:
        redis_url = state.settings.redis_url
        per_address = bucket_for(*PER_ADDRESS, redis_url)
        per_client = bucket_for(*PER_CLIENT, redis_url)
        assert per_address is not None and per_client is not None
        buckets = state.orders_link_buckets = (per_address, per_client)
    return buckets


async def _throttled(request: Request, email: str) -> float:
    """0 when this request may go on; otherwise the seconds to wait (it is refused)."""
    per_address, per_client = _buckets(request)
    client = client_network(request.client.host) if request.client else "unknown"
    address_key = hashlib.sha256(email.lower().encode()).hexdigest()  # no addresses in Redis
    moment = time.time()
    try:
        for bucket, key in ((per_client, f"client:{client}"), (per_address, address_key)):
            taken = await bucket.take(f"orders-link:{key}", 1, moment)
            if not taken.allowed:
                return max(1.0, taken.retry_after)
    except BucketUnavailable:
        return 60.0  # no throttle to ask: refuse rather than let a flood of e-mail through
    return 0.0


async def form(request: Request) -> Response:
    """GET /my-orders: the form."""
    return render(request, TEMPLATE, email="", error=None, sent=False)


async def submit(request: Request) -> Response:
    """POST /my-orders: queue the e-mail (if the address has paid orders, it gets links)."""
    fields = await read_form(request)
    email = clean_text(fields.get("email"), field="email", max_len=254)
    try:
        address = mailbox(email).addr_spec
    except UnsafeHeader:
        error = t(request, "Enter the e-mail address you gave at checkout.")
        return render(request, TEMPLATE, 400, email=email, error=error, sent=False)
    wait = await _throttled(request, address)
    if wait:
        error = t(request, "Too many requests for now. Please try again later.")
        response = render(request, TEMPLATE, 429, email=email, error=error, sent=False)
        response.headers["Retry-After"] = str(math.ceil(min(wait, 24 * 3600)))
        return response
    async with writing(request) as session:
        await enqueue(session, "email.orders_link", {"email": address}, now=now(request))
    return render(request, TEMPLATE, email=address, error=None, sent=True)


routes = [
    Route("/my-orders", form, methods=["GET"], name="my_orders"),
    Route("/my-orders", submit, methods=["POST"], name="my_orders_submit"),
]
