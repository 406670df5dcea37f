"""Referral links and promo codes in the shop (SPEC §9): a referral visit attributes the
order to its campaign, an unknown referral code goes home quietly, the checkout page shows
a code's discount per line and refuses a bad code in words next to the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from kernel.config import Settings
from kernel.db import Database
from orders.models import Order
from orders.promotion_models import Campaign, ReferralVisit
from orders.promotions import create_campaign, create_promo_code
from tests.factory import shop_world
from tests.fixtures.stripe import in_process
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


@pytest.fixture
async def shop(stripe_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from tiein.app import create_app

    async with in_process(create_app(stripe_settings, database=db)) as c:
        yield c


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
