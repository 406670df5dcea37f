"""Promo codes attacked as a hostile shopper would (SPEC §9): a per-e-mail limit is not
dodged by the address's case or a `+tag`; a code typed full-width is the same code, and
look-alikes, NUL and huge text are no code."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.db import Database
from kernel.errors import DomainError
from orders.cart import Cart, CartItem
from orders.models import Order
from orders.payments import StripeGateway
from orders.promo_uses import limit_key
from orders.promotion_models import PromoCode
from orders.promotions import PromoError, normalize_code
from tests.factory import Shop
from tests.orders.test_promo_codes import buy, promo


def _wide(text: str) -> str:
    """`text` as a Japanese or Chinese input method types it: full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_the_limit_key_folds_case_and_plus_tags_only() -> None:
    assert limit_key("Fan+Premiere@Example.COM") == "fan@example.com"
    assert limit_key("fan@example.com") == "fan@example.com"
    assert limit_key("+only@example.com") == "+only@example.com"
    assert limit_key("f.an@example.com") != limit_key("fan@example.com")


@pytest.mark.parametrize("again", ["FAN@example.com", "fan+2@example.com", "Fan+x@EXAMPLE.com"])
async def test_a_per_email_limit_holds_for_another_case_or_a_plus_tag(
    db: Database, shop: Shop, gateway: StripeGateway, now, again: str
) -> None:
    await promo(db, shop, now, per_email_limit=1)
    cart = Cart().with_item(CartItem.product(shop.shirt_sku))
    await buy(db, cart, gateway, now, code="HARBOR10", email="fan@example.com")
    with pytest.raises(DomainError) as refused:
        await buy(db, cart, gateway, now, code="HARBOR10", email=again)
    assert refused.value.code == PromoError.PROMO_CODE_EMAIL_LIMIT
    # another shopper still gets it
    other = await buy(db, cart, gateway, now, code="HARBOR10", email="other@example.com")
    assert other.discount_minor == 250
    # the refused order took nothing: two uses, two orders
    async with db.read_session() as s:
        assert await s.scalar(select(PromoCode.uses)) == 2
        assert await s.scalar(select(func.count(Order.id))) == 2


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (_wide("harbor10"), "HARBOR10"),
        ("  Harbor10\t", "HARBOR10"),
        (_wide("SUMMER-25"), "SUMMER-25"),
    ],
)
def test_a_code_typed_full_width_or_padded_is_the_same_code(typed: str, code: str) -> None:
    assert normalize_code(typed) == code


@pytest.mark.parametrize("typed", ["HARBOR10\u200b", "HARBOR10\x00", "H\u0410RBOR10", "H" * 41, 7])
def test_look_alikes_nul_and_huge_text_are_no_code(typed: object) -> None:
    with pytest.raises(DomainError) as refused:
        normalize_code(typed)
    assert refused.value.code == PromoError.INVALID_CODE


async def test_a_shopper_typing_full_width_gets_the_discount(
    db: Database, shop: Shop, gateway: StripeGateway, now
) -> None:
    await promo(db, shop, now)
    cart = Cart().with_item(CartItem.product(shop.shirt_sku))
    order = await buy(db, cart, gateway, now, code=_wide("harbor10"))
    assert order.discount_minor == 250
