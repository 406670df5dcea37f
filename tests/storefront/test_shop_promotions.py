"""Referral links and promo codes in the shop (SPEC §9): a referral visit attributes the
order to its campaign, an unknown referral code goes home quietly, the checkout page shows
a code's discount per line and refuses a bad code in words next to the field."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from kernel.db import Database
from orders.models import Order
from orders.promotion_models import Campaign, PromoCode, ReferralVisit
from orders.promotions import create_campaign, create_promo_code
from tests.factory import shop_world
from tests.storefront.test_shop_checkout import CONTACT, fill_cart


@pytest.fixture
async def world(db: Database):
    world = await shop_world(db, shirt_stock=3)
    now = datetime.now(UTC)
    async with db.session() as s:
        film_id = world.film_id
        campaign = await create_campaign(
            s, name="Harbor creators", channel="referral", film_ids=[film_id],
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            referral_code="creators",
        )  # fmt: skip
        await create_promo_code(
            s, campaign_id=campaign.id, code="HARBOR10", kind="percent", percent_bps=1000,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
        )  # fmt: skip
    return world


async def test_a_referral_visit_attributes_the_order_to_its_campaign(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    # an unknown code goes home, with no error page
    lost = await shop.get("/r/no-such-code")
    assert (lost.status_code, lost.headers["location"]) == (303, "/")
    # given a referral visit, the shopper lands on the campaign's film
    visit = await shop.get("/r/Creators")
    assert (visit.status_code, visit.headers["location"]) == (303, "/films/night-harbor")
    token = await fill_cart(shop, world)
    placed = await shop.post("/checkout", data={"csrf_token": token, **CONTACT})
    assert placed.status_code == 303, placed.text
    async with db.read_session() as s:
        order = await s.scalar(select(Order))
    assert order is not None and order.campaign_id is not None and order.discount_minor == 0


async def test_the_checkout_page_shows_the_discount_and_refuses_a_bad_code_in_words(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    token = await fill_cart(shop, world)  # bundle 3200 + poster 1500
    bad = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "nope-nope"}
    )
    assert bad.status_code == 400
    assert "We do not know this promo code." in bad.text
    applied = await shop.post(
        "/checkout",
        data={"csrf_token": token, **CONTACT, "promo_code": "harbor10", "apply": "1"},
    )
    assert applied.status_code == 200
    off = '\N{MINUS SIGN}<span class="price">{}</span>'
    assert off.format("$3.20") in applied.text and off.format("$1.50") in applied.text
    assert off.format("$4.70") in applied.text  # the discount, then the total
    assert 'Total <span class="price">$42.30</span>' in applied.text
    placed = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "harbor10"}
    )
    assert placed.status_code == 303, placed.text
    async with db.read_session() as s:
        order = await s.scalar(select(Order))
    assert order is not None and (order.discount_minor, order.total_minor) == (470, 4230)


async def test_a_referral_link_outside_its_campaigns_dates_records_nothing(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    # given the campaign has ended
    async with db.session() as s:
        ended = datetime.now(UTC) - timedelta(days=1)
        await s.execute(update(Campaign).values(starts_at=ended - timedelta(days=9), ends_at=ended))
    # when the shopper follows its link, the film is still shown
    visit = await shop.get("/r/creators")
    assert (visit.status_code, visit.headers["location"]) == (303, "/films/night-harbor")
    # then no visit is counted and the order placed has no campaign
    token = await fill_cart(shop, world)
    placed = await shop.post("/checkout", data={"csrf_token": token, **CONTACT})
    assert placed.status_code == 303, placed.text
    async with db.read_session() as s:
        order = await s.scalar(select(Order))
        visits = await s.scalar(select(func.count()).select_from(ReferralVisit))
    assert order is not None and order.campaign_id is None and visits == 0


async def test_a_referral_visit_is_counted_per_day(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    for _ in range(3):  # three shoppers (one session counts once a day)
        shop.cookies.clear()
        assert (await shop.get("/r/CREATORS")).status_code == 303
    async with db.read_session() as s:
        rows = list(await s.scalars(select(ReferralVisit)))
    assert [(r.day, r.visits) for r in rows] == [(datetime.now(UTC).date(), 3)]


# --- a promo code on the cart page, carried to checkout ---------------------------------

OFF = '\N{MINUS SIGN}<span class="price">{}</span>'
LOOK_ALIKE = "\N{CYRILLIC CAPITAL LETTER EN}ARBOR10"  # looks like HARBOR10, is not it


async def _promo_codes(db: Database) -> None:
    """Codes refused on the world's cart (bundle $32 + poster $15, in USD), one per reason."""
    now = datetime.now(UTC)
    past, future = now - timedelta(days=1), now + timedelta(days=30)
    async with db.session() as s:
        campaign_id = await s.scalar(select(Campaign.id))
        made = {
            "OLD10": dict(valid_from=now - timedelta(days=9), valid_to=past),
            "SOON10": dict(valid_from=now + timedelta(days=2), valid_to=future),
            "ONCE10": dict(use_limit=1),
            "BIG10": dict(min_subtotal_minor=100_000, currency="USD"),
            "SEATS10": dict(scope="tickets"),
            "EURO5": dict(kind="fixed", amount_minor=500, currency="EUR", percent_bps=None),
            "ALMOST": dict(kind="fixed", amount_minor=4690, currency="USD", percent_bps=None),
        }
        for code, fields in made.items():
            await create_promo_code(
                s, campaign_id=campaign_id, code=code,
                **{"kind": "percent", "percent_bps": 1000, "valid_from": past,
                   "valid_to": future, **fields},
            )  # fmt: skip
        await s.execute(update(PromoCode).where(PromoCode.code == "ONCE10").values(uses=1))


async def _cart_code(shop: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    return await shop.post("/cart/promo", data={"csrf_token": token, "promo_code": code})


async def test_a_code_applied_on_the_cart_shows_each_lines_discount_and_goes_to_checkout(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    token = await fill_cart(shop, world)  # bundle 3200 + poster 1500
    applied = await _cart_code(shop, token, " harbor10 ")
    assert (applied.status_code, applied.headers["location"]) == (303, "/cart")
    cart = (await shop.get("/cart")).text
    assert "Promo code HARBOR10 applied." in cart
    # each line's share of the 10% (largest remainder), the discount and the total after it
    assert OFF.format("$3.20") in cart and OFF.format("$1.50") in cart
    assert "Discount (HARBOR10)" in cart and OFF.format("$4.70") in cart
    assert '<td class="num"><span class="price">$42.30</span></td>' in cart
    assert 'value="HARBOR10"' in cart and "Remove the code HARBOR10" in cart
    # a second code is refused while one is on the cart: one per order
    second = await _cart_code(shop, token, "OTHER-CODE")
    assert second.status_code == 400
    assert "One promo code per order: remove HARBOR10 to use another." in second.text
    assert OFF.format("$4.70") in second.text  # the cart keeps its code
    # checkout carries the cart's code over, with the same discount
    page = (await shop.get("/checkout")).text
    assert 'id="f-promo_code" name="promo_code" type="text" value="HARBOR10"' in page
    assert OFF.format("$4.70") in page and 'Total <span class="price">$42.30</span>' in page
    placed = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "HARBOR10"}
    )
    assert placed.status_code == 303, placed.text
    async with db.read_session() as s:
        order = await s.scalar(select(Order))
    assert order is not None and (order.discount_minor, order.total_minor) == (470, 4230)
    # the code went with the order: the next cart has none
    await fill_cart(shop, world)
    assert "Discount (" not in (await shop.get("/cart")).text


async def test_a_code_on_the_cart_can_be_removed_or_changed_at_checkout(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    await _promo_codes(db)
    token = await fill_cart(shop, world)
    assert (await _cart_code(shop, token, "HARBOR10")).status_code == 303
    removed = await shop.post("/cart/promo", data={"csrf_token": token, "remove": "1"})
    assert removed.status_code == 303
    cart = (await shop.get("/cart")).text
    assert "The promo code was removed." in cart and "Discount (" not in cart
    assert 'value="HARBOR10"' not in cart
    # at checkout the shopper may apply another code; it becomes the cart's code
    assert (await _cart_code(shop, token, "HARBOR10")).status_code == 303
    changed = await shop.post(
        "/checkout",
        data={"csrf_token": token, **CONTACT, "promo_code": "ALMOST", "apply": "1"},
    )
    assert "would be below the smallest payment" in changed.text
    assert "Discount (HARBOR10)" in (await shop.get("/cart")).text  # a refusal changes nothing
    emptied = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "", "apply": "1"}
    )
    assert emptied.status_code == 200
    assert "Discount (" not in (await shop.get("/cart")).text


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("nope-nope", "We do not know this promo code."),
        ("old10", "This promo code has expired."),
        ("soon10", "This promo code is valid from "),
        ("once10", "This promo code has been used up."),
        ("big10", "This promo code needs eligible items worth at least $1,000.00."),
        ("seats10", "Nothing in your cart is eligible for this promo code."),
        ("euro5", "This promo code is for orders in EUR; your cart is in USD."),
        ("almost", "would be below the smallest payment we can take ($0.50)."),
        (LOOK_ALIKE, "We do not know this promo code."),
        ("", "Enter a promo code."),
    ],
)
async def test_the_cart_refuses_a_code_with_its_reason_next_to_the_field(
    shop: httpx.AsyncClient, world, db: Database, code: str, reason: str
) -> None:
    await _promo_codes(db)
    token = await fill_cart(shop, world)
    refused = await _cart_code(shop, token, code)
    assert refused.status_code == 400
    error = re.search(r'<p class="error" id="e-promo_code" role="alert">([^<]*)</p>', refused.text)
    assert error is not None and reason in html.unescape(error.group(1))
    assert 'aria-describedby="e-promo_code"' in refused.text
    # nothing was remembered: neither the cart nor checkout has a code
    assert "Discount (" not in (await shop.get("/cart")).text
    assert 'name="promo_code" type="text" value=""' in (await shop.get("/checkout")).text


@pytest.mark.parametrize(
    "code", ["A" * 5000, "A" * 101, "HARBOR10\x00", "HAR\x00BOR10", "\u202eHARBOR10"]
)
async def test_hostile_promo_codes_on_the_cart_are_refused_and_nothing_is_kept(
    shop: httpx.AsyncClient, world, db: Database, code: str
) -> None:
    token = await fill_cart(shop, world)
    refused = await _cart_code(shop, token, code)
    assert 400 <= refused.status_code < 500
    assert "Discount (" not in (await shop.get("/cart")).text
    async with db.read_session() as s:
        assert await s.scalar(select(func.sum(PromoCode.uses))) == 0


async def test_the_cart_code_form_needs_the_csrf_token(
    shop: httpx.AsyncClient, world, db: Database
) -> None:
    await fill_cart(shop, world)
    forged = await shop.post("/cart/promo", data={"promo_code": "HARBOR10"})
    assert forged.status_code == 403
    assert "Discount (" not in (await shop.get("/cart")).text
