"""A campaign's own dates limit its codes (SPEC §9): a code whose window is open is still
refused before its campaign starts (not yet valid) and after it ends (expired)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from kernel.db import Database
from kernel.errors import DomainError
from orders.cart import Cart, CartItem
from orders.models import Order
from orders.payments import StripeGateway
from orders.promotion_models import Campaign
from orders.promotions import PromoError
from tests.factory import Shop
from tests.orders.shop import count
from tests.orders.test_promo_codes import buy, promo


@pytest.mark.parametrize(
    ("shift", "code"),
    [
        (timedelta(days=2), PromoError.PROMO_CODE_NOT_YET_VALID),  # starts in 2 days
        (-timedelta(days=40), PromoError.PROMO_CODE_EXPIRED),  # ended 10 days ago
    ],
)
async def test_a_code_is_refused_outside_its_campaigns_dates(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, shift, code
) -> None:
    # given a code valid from yesterday for 30 days, of a campaign moved by `shift`
    campaign_id = await promo(db, shop, now)
    async with db.session() as s:
        await s.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(starts_at=now + shift, ends_at=now + shift + timedelta(days=30))
        )
    # when a shopper uses it, then it is refused with the reason and nothing is stored
    with pytest.raises(DomainError) as refused:
        await buy(
            db, Cart().with_item(CartItem.product(shop.shirt_sku)), gateway, now, code="harbor10"
        )
    assert (refused.value.code, refused.value.field) == (code, "promoCode")
    assert refused.value.message
    assert await count(db, Order) == 0
