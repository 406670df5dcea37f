"""Which links open an order page: checkout's `?key=` (a random key whose hash is stored)
or an e-mail's `?token=` (signed with the installation's key, with an expiry: see
`orders.order_links`). Anything else — no key, a wrong key, a bad or expired token, a token
for another order — is a plain 404, the same as for an order that does not exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from orders.checkout import order_by_access
from orders.models import Order
from orders.order_links import TOKEN_MAX, order_by_token
from storefront.web import now, query_param


async def order_from_link(request: Request, session: AsyncSession, number: str, key: str) -> Order:
    """The order behind the request's link (`key`, else the `token` query parameter)."""
    order = None
    if key:
        order = await order_by_access(session, number, key)
    else:
        token = query_param(request, "token", TOKEN_MAX)
        if token:
            secret = request.app.state.secret_key.value
            order = await order_by_token(session, number, token, secret=secret, now=now(request))
    if order is None:
        raise HTTPException(404)
    return order
