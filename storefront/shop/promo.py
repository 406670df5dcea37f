"""A promo code on the cart (SPEC §9): one per cart and order, entered on the cart page or
at checkout and kept in the signed session between them. The rules are checkout's own
(`orders.promo_checkout.quote_cart`, then `place_order`); this module only remembers the
code a quote accepted and turns a refusal into words next to the field."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from kernel.errors import DomainError
from orders.cart import Cart
from orders.cart_summary import CartSummary
from orders.promo_checkout import AppliedPromo, quote_cart
from orders.promotions import normalize_code
from storefront.shop.refusals import refusal_words

SESSION_KEY = "promo_code"
FIELD = "promo_code"
MAX_LEN = 100  # what the form field takes (longer is a 400); a code is at most 40


def cart_code(request: Request) -> str:
    """The code the shopper applied to the cart, "" when none (or the session holds
    anything else)."""
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, str) and 0 < len(value) <= MAX_LEN else ""


def same_code(typed: str, applied: str) -> bool:
    """Whether `typed` is the code `applied` as the service reads codes (NFKC, any case: a
    code typed full-width is the same code); text that cannot be a code is not."""
    try:
        return normalize_code(typed, field=FIELD) == applied
    except DomainError:
        return False


def remember(request: Request, code: str | None) -> None:
    """Keep `code` (as a quote accepted it) for the cart and checkout; None forgets it."""
    if code:
        request.session[SESSION_KEY] = code
    else:
        request.session.pop(SESSION_KEY, None)


async def quote_shown(
    request: Request,
    session: AsyncSession,
    cart: Cart,
    summary: CartSummary,
    code: str,
    *,
    country: str,
    now: datetime,
) -> tuple[AppliedPromo | None, str | None]:
    """The discount `code` gives on a cart that can be bought as it is, or the reason it
    does not in the shopper's words; (None, None) without a code or while a line is refused."""
    if not code or not summary.ok:
        return None, None
    try:
        return await quote_cart(session, cart, code, country=country, now=now), None
    except DomainError as exc:
        return None, refusal_words(request, exc)
