"""Promo codes typed by shoppers are throttled per client network (an IPv4 address or an
IPv6 /64; token buckets in memory, or in Redis with TIEIN_REDIS_URL), so nobody finds a
partner's or a cinema's code by trying many: every check of a typed code (Apply, or placing
the order with one) takes a token; past the limit the code is not looked up at all and the
field says how long to wait. Ordering with the code the cart already took takes none."""

from __future__ import annotations

import math

from starlette.requests import Request

from storefront.shop.common import client_throttle
from storefront.web import tn

PER_CLIENT = (20, 1 / 15)  # 20 checks at once, then one every 15 seconds


async def promo_check_refused(request: Request) -> str | None:
    """None when this client may have a typed code checked now (a token is taken); else
    the words for the promo code field, in the shopper's language."""
    seconds = await client_throttle(request, "promo", PER_CLIENT)
    if not seconds:
        return None
    wait = math.ceil(seconds)
    return tn(
        request,
        "Codes were checked too often from your network. Wait %(num)s second and try again.",
        "Codes were checked too often from your network. Wait %(num)s seconds and try again.",
        wait,
    )
