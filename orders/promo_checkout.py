"""A promo code on a cart and an order (SPEC §9): checked against the cart, its discount
split over the lines, its use taken when the order is placed and given back when the order
expires or is cancelled unpaid (the uses: orders/promo_uses.py).

Use limits hold under concurrency: a use is taken with a conditional UPDATE (`uses = uses +
1 WHERE uses < use_limit`, the row count checked), so of fifty shoppers racing for the last
ten uses exactly ten get one. The UPDATE also locks the code's row until the order commits,
so the per-e-mail count that follows it cannot be raced either (SQLite serializes writers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.money import format_money, minimum_charge
from orders.cart import Cart, PricedItem, check_cart_rules, price_item
from orders.promo_uses import refuse as _refuse
from orders.promotion_models import Campaign, PromoCode
from orders.promotions import PromoError, campaign_film_ids, promo_code_by_text
from orders.promotions_math import (
    LineFacts,
    discount_of,
    eligible_lines,
    split_discount,
    total_refused_by_minimum,
)


@dataclass(frozen=True)
class AppliedPromo:
    """A code that applies to a cart: D and each line's share of it (cart order)."""

    code: PromoCode
    discount_minor: int
    shares: list[int]


def _facts(item: PricedItem) -> LineFacts:
    film_id = (
        item.showtime.film_id
        if item.showtime is not None
        else (item.product.film_id if item.product is not None else 0)
    )
    return LineFacts(item.kind, film_id, item.total_minor)


async def quote_promo(
    session: AsyncSession, text: object, priced: Sequence[PricedItem], *, now: datetime
) -> AppliedPromo:
    """The discount `text` (a code, any case) gives on `priced` (one currency), or the
    reason it does not, in words: unknown, not yet valid or expired (its window within its
    campaign's dates), another currency, used
    up, nothing eligible, below the minimum, or a total left below the payment minimum."""
    promo = await promo_code_by_text(session, text)
    if promo is None:
        raise _refuse(PromoError.UNKNOWN_PROMO_CODE, "We do not know this promo code.")
    # the campaign's own dates limit its codes too
    campaign = await session.get(Campaign, promo.campaign_id)
    valid_from, valid_to = promo.valid_from, promo.valid_to
    if campaign is not None:
        valid_from = max(valid_from, campaign.starts_at)
        valid_to = min(valid_to, campaign.ends_at)
    if now < valid_from:
        raise _refuse(
            PromoError.PROMO_CODE_NOT_YET_VALID,
            f"This promo code is valid from {valid_from:%d %b %Y, %H:%M} UTC.",
            valid_from=valid_from,
        )
    if now >= valid_to:
        raise _refuse(PromoError.PROMO_CODE_EXPIRED, "This promo code has expired.")
    currency = priced[0].currency if priced else ""
    if promo.currency is not None and promo.currency != currency:
        raise _refuse(
            PromoError.PROMO_CURRENCY_MISMATCH,
            f"This promo code is for orders in {promo.currency}; your cart is in {currency}.",
            promo_currency=promo.currency,
            cart_currency=currency,
        )
    if promo.use_limit is not None and promo.uses >= promo.use_limit:
        raise _refuse(PromoError.PROMO_CODE_USED_UP, "This promo code has been used up.")
    films = (
        await campaign_film_ids(session, promo.campaign_id) if promo.campaign_films_only else None
    )
    facts = [_facts(item) for item in priced]
    eligible = eligible_lines(facts, promo.scope, films)
    subtotal = sum(f.total_minor for f, ok in zip(facts, eligible, strict=True) if ok)
    if subtotal == 0:
        raise _refuse(
            PromoError.NOTHING_ELIGIBLE, "Nothing in your cart is eligible for this promo code."
        )
    if subtotal < promo.min_subtotal_minor:
        raise _refuse(
            PromoError.BELOW_MINIMUM,
            "This promo code needs eligible items worth at least "
            f"{format_money(promo.min_subtotal_minor, currency)}.",
            minimum_minor=promo.min_subtotal_minor,
            currency=currency,
        )
    discount = discount_of(promo.kind, subtotal, bps=promo.percent_bps, amount=promo.amount_minor)
    total = sum(f.total_minor for f in facts) - discount
    if total_refused_by_minimum(total, minimum_charge(currency)):
        least = format_money(minimum_charge(currency), currency)
        raise _refuse(
            PromoError.TOTAL_BELOW_PAYMENT_MINIMUM,
            f"With this promo code the total ({format_money(total, currency)}) would be "
            f"below the smallest payment we can take ({least}).",
            total_minor=total,
            least_minor=minimum_charge(currency),
            currency=currency,
        )
    return AppliedPromo(
        promo, discount, split_discount(discount, [f.total_minor for f in facts], eligible)
    )


async def known_campaign(session: AsyncSession, campaign_id: object) -> int | None:
    """`campaign_id` (from a referral visit) when such a campaign exists, else None."""
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool) or campaign_id < 1:
        return None
    return await session.scalar(select(Campaign.id).where(Campaign.id == campaign_id))


async def quote_cart(
    session: AsyncSession, cart: Cart, text: object, *, country: str, now: datetime
) -> AppliedPromo:
    """The discount `text` gives on `cart` as it would be ordered from `country` now (the
    cart page's preview); the first line that cannot be bought refuses like checkout."""
    priced = [await price_item(session, item, country=country, now=now) for item in cart.items]
    check_cart_rules(priced)
    return await quote_promo(session, text, priced, now=now)
