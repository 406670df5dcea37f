"""Issue 15's "done means" in a real browser (Chromium via Playwright, the app under uvicorn,
localstripe): staff set up a campaign for Night Harbor with a referral link and a 10% code on
bundles; a shopper follows /r/harbor, lands on the film, adds the bundle, enters the code at
checkout and pays with the test card; then staff open the campaign's page and see the visit,
the order, the discount and the royalty on the discounted net (SPEC §9 and §5).
Screenshots of every step go to artifacts/browser/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.models import BundleOffer, Product, Showtime
from kernel.clock import now_utc
from kernel.db import Database
from licensing.models import Agreement
from orders.models import Order
from orders.promotions import create_campaign, create_promo_code
from tests.factory import make_staff_user, shop_world
from tests.prices import usd
from tests.storefront.test_browser import pay_with, shot

# The storefront's prices (tests.factory.shop_world), checked against the database below.
BUNDLE_PRICE, TICKET_PRICE, TEE_PRICE = 3200, 1200, 2500
RATE_BPS = 1000  # the agreement's royalty rate
CODE_BPS = 1000  # the promo code: 10% off bundles


def _half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP))


def _expected() -> tuple[int, int, int]:
    """(discount, the tee's part of the discounted bundle, its royalty), worked out from the
    prices alone: D = round_half_up(3200 x 10%) (SPEC §9); the line's net 3200 - D split over
    the ticket and the tee by their standalone prices, floors then the largest remainder
    (SPEC §5); the royalty of the tee's part at the agreement's rate, rounded half up."""
    discount = _half_up(BUNDLE_PRICE * CODE_BPS, 10_000)
    net = BUNDLE_PRICE - discount
    weights = [TICKET_PRICE, TEE_PRICE]
    whole = sum(weights)
    parts = [net * w // whole for w in weights]
    by_remainder = sorted(range(2), key=lambda i: (-(net * weights[i] % whole), i))
    for i in by_remainder[: net - sum(parts)]:
        parts[i] += 1
    tee = parts[1]
    return discount, tee, _half_up(tee * RATE_BPS, 10_000)


def test_the_expected_figures_are_the_worked_example() -> None:
    # 320 off; 2880 = 934 (ticket) + 1946 (tee: 1945.95 floors to 1945, gets the unit left);
    # 10% of 1946 = 194.6 -> 195
    assert _expected() == (320, 1946, 195)


@pytest.mark.browser
@pytest.mark.slow
async def test_a_referral_visit_and_a_promo_code_show_in_the_campaign_report(
    db: Database, backend: str, live_app, browser_page, browser_artifacts: Path
) -> None:
    world = await shop_world(db)
    now = now_utc()
    # staff set up the campaign: its referral link and a 10% code on bundles
    async with db.session() as s:
        offer = await s.scalar(select(BundleOffer).where(BundleOffer.code == world.bundle_code))
        tee = await s.get(Product, world.shirt_id)
        show = await s.get(Showtime, world.showtime_ids[0])
        agreement = await s.get(Agreement, world.agreement_id)
        assert (offer.price_minor, show.price_minor, tee.price_minor) == (
            BUNDLE_PRICE, TICKET_PRICE, TEE_PRICE)  # fmt: skip
        assert agreement.rate_bps == RATE_BPS
        campaign = await create_campaign(
            s, name="Harbor premiere", channel="referral", film_ids=[world.film_id],
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            referral_code="harbor",
        )  # fmt: skip
        await create_promo_code(
            s, campaign_id=campaign.id, code="BUNDLE10", kind="percent", percent_bps=CODE_BPS,
            scope="bundles", valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30),
        )  # fmt: skip
        campaign_id = campaign.id
        await make_staff_user(s, username="riley", password="correct-horse-battery")
    discount, tee_part, royalty = _expected()
    page, base, folder = browser_page, live_app.url, browser_artifacts

    # the shopper follows the referral link to the film and adds the bundle
    await page.goto(f"{base}/r/harbor")
    await page.wait_for_url(f"{base}/films/{world.film_slug}")
    await page.get_by_role("heading", name="Night Harbor", level=1).wait_for()
    await shot(page, folder, backend, "campaign-01-film-from-referral")
    bundle = page.locator("form.bundle-form")
    await bundle.locator("select[name=showtime_id]").select_option(index=0)
    await bundle.get_by_role("button", name="Add bundle to cart").click()
    await page.wait_for_url(f"{base}/cart")
    assert usd(BUNDLE_PRICE) in await page.inner_text("table.cart")

    # at checkout, the code: the discount on the bundle's line, then the total
    await page.get_by_role("link", name="Checkout").click()
    await page.fill("#f-email", "ann@example.test")
    await page.select_option("#f-country", "US")
    await page.fill("#f-shipping_name", "Ann Shopper")
    await page.fill("#f-shipping_line1", "1 Harbour Road")
    await page.fill("#f-shipping_city", "Springfield")
    await page.select_option("#f-shipping_area", "IL")
    await page.fill("#f-shipping_postcode", "62701")
    await page.fill("#f-promo_code", "bundle10")
    await page.get_by_role("button", name="Apply the code").click()
    await page.locator("p.discount").wait_for()
    summary = await page.inner_text("main")
    assert f"\N{MINUS SIGN}{usd(discount)}" in summary
    assert usd(BUNDLE_PRICE - discount) in summary
    await shot(page, folder, backend, "campaign-02-checkout-with-code")
    await page.get_by_role("button", name="Continue to payment").click()
    await page.wait_for_url(re.compile(r"/pay/TI-"))
    await page.locator("#card-element input").first.wait_for()
    await pay_with(page, "4242424242424242")
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    await shot(page, folder, backend, "campaign-03-order-paid")
    async with db.read_session() as s:
        [order] = list(await s.scalars(select(Order)))
    assert (order.campaign_id, order.discount_minor, order.total_minor) == (
        campaign_id, discount, BUNDLE_PRICE - discount)  # fmt: skip

    # staff open the campaign's page: 1 visit, 1 order, the discount, the royalty on the net
    await page.goto(f"{base}/staff/login")
    await page.fill("#f-username", "riley")
    await page.fill("#f-password", "correct-horse-battery")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff"))
    await page.goto(f"{base}/staff/campaigns/{campaign_id}")
    table = page.locator("#campaign-report-table")
    headers = await table.locator("thead th").all_inner_texts()
    [row] = [await table.locator("tbody tr").nth(0).locator("td").all_inner_texts()]
    figures = dict(zip(headers, row, strict=True))
    assert figures["Referral visits"] == "1"
    assert figures["Orders"] == "1"
    assert (figures["Tickets"], figures["Bundles"], figures["Merch units"]) == ("1", "1", "1")
    assert figures["Gross"] == usd(BUNDLE_PRICE)
    assert figures["Discounts"] == usd(discount)
    assert figures["Net"] == usd(BUNDLE_PRICE - discount)
    assert figures["Royalty"] == usd(royalty)  # 10% of the tee's 19.46, not of its 21.62
    assert royalty != _half_up(2162 * RATE_BPS, 10_000)
    assert await page.locator("svg.chart").count() == 3
    await shot(page, folder, backend, "campaign-04-staff-campaign-report")
    assert tee_part == 1946
