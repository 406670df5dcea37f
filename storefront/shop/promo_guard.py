"""Promo codes typed by shoppers are throttled per client network (an IPv4 address or an
IPv6 /64; token buckets in memory, or in Redis with TIEIN_REDIS_URL), so nobody finds a
partner's or a cinema's code by trying many: every check of a typed code (Apply, or placing
the order with one) takes a token; past the limit the code is not looked up at all and the
field says how long to wait. Ordering with the code the cart already took takes none."""

from __future__ import annotations

import math
import time

from starlette.requests import Request

from kernel.ratelimit import BucketUnavailable, TokenBucket, bucket_for, client_network
from storefront.web import tn

PER_CLIENT = (20, 1 / 15)  # 20 checks at once, then one every 15 seconds


def _bucket(request: Request) -> TokenBucket:
    """This app's bucket of promo code checks, made on first use."""
    state = request.app.state
    bucket = getattr(state, "promo_bucket", None)
    if bucket is None:
        bucket = bucket_for(*PER_CLIENT, state.settings.redis_url)
        assert bucket is not None
        state.promo_bucket = bucket
    return bucket


async def promo_check_refused(request: Request) -> str | None:
    """None when this client may have a typed code checked now (a token is taken); else
    the words for the promo code field, in the shopper's language."""
    client = client_network(request.client.host) if request.client else "unknown"
    try:
        taken = await _bucket(request).take(f"promo:{client}", 1, time.time())
    except BucketUnavailable:
        return None  # a shopper's discount is worth more than the throttle when Redis is down
    if taken.allowed:
        return None
    wait = math.ceil(max(1.0, taken.retry_after))
    return tn(
        request,
        "Codes were checked too often from your network. Wait %(num)s second and try again.",
        "Codes were checked too often from your network. Wait %(num)s seconds and try again.",
        wait,
    )
