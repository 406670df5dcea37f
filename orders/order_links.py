"""Signed order links: how an e-mail opens an order page (SPEC §8).

The link checkout gives the shopper carries a random key of which only a hash is stored, so
an e-mail sent later cannot rebuild it. An e-mail's link carries a token instead, signed with
the installation's secret key (itsdangerous, HMAC-SHA1 over the order number and an expiry):
`/orders/<number>?token=…`. The rules:

- a token opens one order (the number it was signed for) until its expiry, never after;
- a token that is tampered with, signed with another key or for another purpose, or
  expired opens nothing — the order page answers 404, as for a wrong key;
- lifetimes are the sender's choice: long for a receipt (`RECEIPT_LINK_LIFETIME`), short for
  "e-mail me my orders" (`ORDERS_LINK_LIFETIME`), since that one is asked for by anyone who
  types an address.

Nothing is stored: the expiry is inside the signed payload, checked against the caller's `now`.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.models import Order

SALT = "tiein.order-link"
RECEIPT_LINK_LIFETIME = timedelta(days=90)
ORDERS_LINK_LIFETIME = timedelta(hours=1)
TOKEN_MAX = 200  # longer query values are refused before any check


def _serializer(secret: str) -> URLSafeSerializer:
    if not secret:
        raise ValueError("signing an order link needs the installation's secret key")
    return URLSafeSerializer(secret, salt=SALT)


def sign_order_token(secret: str, number: str, *, expires_at: datetime) -> str:
    """A token that opens order `number` until `expires_at` (aware)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be a timezone-aware datetime")
    token = _serializer(secret).dumps({"n": number, "x": int(expires_at.timestamp())})
    assert isinstance(token, str)
    return token


def order_token_opens(secret: str, token: str, number: str, *, now: datetime) -> bool:
    """True when `token` was signed with `secret` for order `number` and has not expired."""
    if not token or len(token) > TOKEN_MAX:
        return False
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        return False
    if not isinstance(data, dict):
        return False
    signed_number, expiry = data.get("n"), data.get("x")
    if not isinstance(signed_number, str) or not isinstance(expiry, int):
        return False
    # As bytes: compare_digest raises TypeError on non-ASCII str (a URL may hold any text).
    same = hmac.compare_digest(signed_number.encode(), number.encode())
    return same and now.timestamp() < expiry


def order_link_path(number: str, token: str) -> str:
    """The order page's path with a signed token (make it absolute with TIEIN_PUBLIC_URL)."""
    return f"/orders/{number}?{urlencode({'token': token})}"


async def order_by_token(
    session: AsyncSession, number: str, token: str, *, secret: str, now: datetime
) -> Order | None:
    """The order a signed link opens; None for a bad, expired or foreign token (the same
    answer as for an order that does not exist)."""
    if not order_token_opens(secret, token, number, now=now):
        return None
    return await session.scalar(select(Order).where(Order.number == number))
