"""Attacks on the structured shipping address (hostile review of issues 10-11)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from kernel.db import Database
from kernel.errors import DomainError
from orders.addresses import PARTS, check_address
from orders.cart import Cart, CartItem
from orders.checkout import reserve_order
from orders.models import Order
from tests.factory import Shop, shipping_address


@pytest.mark.parametrize(
    ("country", "part", "typed"),
    [
        ("US", "city", "\N{LATIN SMALL LIGATURE FFI}" * 100),  # upper-cased: 300 letters
        ("GB", "city", "\N{LATIN SMALL LETTER SHARP S}" * 100),  # 200
        ("IE", "city", "\N{LATIN SMALL LIGATURE FFI}" * 100),
        ("SC", "area", "\N{LATIN SMALL LIGATURE FFI}" * 100),
    ],
)
def test_a_part_that_grows_past_its_column_when_normalized_is_refused_in_its_field(
    country: str, part: str, typed: str
) -> None:
    assert len(typed) <= PARTS[part] < len(typed.upper())  # fits as typed, not once upper-cased
    base = shipping_address(country) if country in ("US", "GB") else {"city": "Victoria"}
    fields = {**base, "country": country, "name": "Ann", "line1": "1 Main St", part: typed}
    with pytest.raises(DomainError) as refused:
        check_address(fields)
    assert refused.value.field == f"shipping_{part}"


async def test_a_city_that_grows_when_upper_cased_is_refused_at_checkout_never_a_crash(
    db: Database, shop: Shop, now: datetime
) -> None:
    cart = Cart().with_item(CartItem.product(shop.shirt_sku, 1))
    city = "\N{LATIN SMALL LIGATURE FFI}" * 100
    shipping = shipping_address("US", city=city)
    with pytest.raises(DomainError) as refused:
        async with db.session() as s:
            await reserve_order(
                s, cart, email="fan@example.com", country="US", now=now, shipping=shipping
            )
    assert refused.value.field == "shipping_city"
    async with db.read_session() as s:
        assert await s.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2069"])
@pytest.mark.parametrize("part", ["name", "line1", "city"])
def test_an_address_part_with_a_direction_override_is_refused_in_its_own_field(
    control: str, part: str
) -> None:
    """A merchant's label must read as the shopper typed it: an override would make
    "1 Main St" print as something else, so every part refuses the reordering controls."""
    fields = {**shipping_address("US"), "country": "US", part: f"Ann {control}tS niaM 1"}
    with pytest.raises(DomainError) as refused:
        check_address(fields)
    assert {e.field for e in getattr(refused.value, "errors", [refused.value])} == {
        f"shipping_{part}"
    }


def test_right_to_left_text_and_its_plain_marks_stay_welcome() -> None:
    fields = {
        **shipping_address("US"),
        "country": "US",
        "name": "\u05d3\u05e0\u05d4 \u200f\u05db\u05d4\u05df\u200e",
    }
    assert check_address(fields).name == fields["name"]
