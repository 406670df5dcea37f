"""The film-to-commerce loop in a real browser (Debian's Chromium via Playwright), against
the app served by uvicorn and a real localstripe process with its stand-in Stripe.js.

Scenario: home -> film -> choose a showtime and a bundle -> add a poster -> cart ->
checkout -> type the test card into the Card Element and pay -> the order page shows the
e-ticket QR and the merch. Then a second order paid with a card that is declined: the page
says so plainly and the order stays payable (a good card then pays it). A third order is
paid with a card that asks for 3-D Secure (confirmCardPayment and localstripe's dialog).
Last, staff sign in
and the quarter's royalty report shows the royalty of the merch sold.
Screenshots of every step go to artifacts/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kernel.db import Database
from tests.factory import make_staff_user, shop_world
from tests.prices import usd

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def shot(page: Any, folder: Path, backend: str, name: str) -> None:
    await page.screenshot(path=str(folder / f"{backend}-{name}.png"), full_page=True)


async def pay_with(page: Any, number: str) -> None:
    """Type a card into the Card Element (localstripe's stand-in has one input per part;
    it takes the number as 16 digits) and press Pay."""
    card = page.locator("#card-element")
    await card.locator("input[placeholder=number]").fill("")
    await card.locator("input[placeholder=number]").press_sequentially(number)
    await card.locator("input[placeholder=exp_month]").fill("12")
    await card.locator("input[placeholder=exp_year]").fill("34")
    await card.locator("input[placeholder=cvc]").fill("123")
    await card.locator("input[placeholder=postal_code]").fill("12345")
    await page.get_by_role("button", name=re.compile(r"^Pay ")).click()


async def checkout(page: Any, base: str) -> None:
    await page.goto(f"{base}/cart")
    await page.get_by_role("link", name="Checkout").click()
    await page.fill("#f-email", "ann@example.test")
    await page.select_option("#f-country", "US")
    await page.fill("#f-shipping_name", "Ann Shopper")
    await page.fill("#f-shipping_line1", "1 Harbour Road")
    await page.fill("#f-shipping_city", "Springfield")
    await page.select_option("#f-shipping_area", "IL")
    await page.fill("#f-shipping_postcode", "62701")
    await page.get_by_role("button", name="Continue to payment").click()
    await page.wait_for_url(re.compile(r"/pay/TI-"))


async def test_a_shopper_buys_a_bundle_and_merch_and_a_declined_card_keeps_the_order_payable(
    db: Database, backend: str, live_app, browser_page, browser_artifacts: Path
) -> None:
    await shop_world(db)
    page, base, folder = browser_page, live_app.url, browser_artifacts

    # Home -> film.
    await page.goto(f"{base}/")
    await shot(page, folder, backend, "01-home")
    await page.locator('main a[href="/films/night-harbor"]').first.click()
    await page.wait_for_url(f"{base}/films/night-harbor")
    await page.get_by_role("heading", name="Night Harbor", level=1).wait_for()
    await shot(page, folder, backend, "02-film")

    # Choose a showtime and the bundle; add a poster too.
    bundle = page.locator("form.bundle-form")
    await bundle.locator("select[name=showtime_id]").select_option(index=0)
    await bundle.get_by_role("button", name="Add bundle to cart").click()
    await page.wait_for_url(f"{base}/cart")
    await page.goto(f"{base}/films/night-harbor")
    await page.get_by_role("button", name="Add to cart: Night Harbor teaser poster").click()
    await page.wait_for_url(f"{base}/cart")
    assert "Premiere pack" in await page.inner_text("table.cart")
    assert usd(4700) in await page.inner_text("table.cart")
    await shot(page, folder, backend, "03-cart")
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await shot(page, folder, backend, "03-cart-phone")
    await page.goto(f"{base}/films/night-harbor")
    await shot(page, folder, backend, "02-film-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Checkout -> pay page.
    await checkout(page, base)
    assert "Test payments: no real card is charged" in await page.inner_text("main")
    await page.locator("#card-element input").first.wait_for()
    await shot(page, folder, backend, "04-pay")

    await pay_with(page, "4242424242424242")
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    assert await page.locator("svg.ticket-qr").count() == 1
    main = await page.inner_text("main")
    assert "Night Harbor teaser poster" in main and "Night Harbor lighthouse tee" in main
    await shot(page, folder, backend, "05-order-paid")

    # A second order, paid first with a card whose charge is declined.
    await page.goto(f"{base}/products/NH-POSTER-01")
    await page.get_by_role("button", name="Add to cart").click()
    await page.wait_for_url(f"{base}/cart")
    await checkout(page, base)
    url = urlsplit(page.url)
    number = url.path.rsplit("/", 1)[1]
    key = parse_qs(url.query)["key"][0]
    await page.locator("#card-element input").first.wait_for()
    await pay_with(page, "4000000000000341")
    errors = page.locator("#card-errors")
    await errors.filter(has_text=re.compile("declined", re.I)).wait_for(timeout=20_000)
    assert "still open" in await errors.inner_text()
    assert await page.get_by_role("button", name=re.compile(r"^Pay ")).is_enabled()
    await shot(page, folder, backend, "06-declined")
    async with httpx.AsyncClient() as c:
        status = await c.get(f"{base}/orders/{number}/status", params={"key": key})
    assert status.json() == {"status": "pending_payment"}

    await pay_with(page, "4242424242424242")
    await page.wait_for_url(re.compile(rf"/orders/{number}"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    await shot(page, folder, backend, "07-retried-paid")

    # A third order with a card that asks for 3-D Secure: the server's confirmation answers
    # requires_action, the page runs confirmCardPayment, the shopper completes the check.
    await page.goto(f"{base}/products/NH-POSTER-01")
    await page.get_by_role("button", name="Add to cart").click()
    await page.wait_for_url(f"{base}/cart")
    await checkout(page, base)
    await page.locator("#card-element input").first.wait_for()
    await pay_with(page, "4000002500003155")
    await page.get_by_role("button", name="Complete authentication").click(timeout=20_000)
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    await shot(page, folder, backend, "08-3ds-paid")

    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []

    # Staff: the royalty report of this quarter shows the royalty of that merch, by channel:
    # 10% of the three posters (3 x 15.00) sold through the storefront = 4.50, and 10% of the
    # tee's share of the bundle price (21.62 of 32.00) = 2.162 -> 2.16.
    async with db.session() as s:
        await make_staff_user(s, username="riley", password="correct-horse-battery")
    await page.goto(f"{base}/staff/login")
    await page.fill("#f-username", "riley")
    await page.fill("#f-password", "correct-horse-battery")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff"))
    await page.goto(f"{base}/staff/reports?group_by=channel")
    report = await page.inner_text("main")
    pattern = "{}.*{}.*{}"  # the channel, its sales, its royalty (as Babel writes them)
    storefront = pattern.format("storefront", re.escape(usd(4500)), re.escape(usd(450)))
    assert re.search(storefront, report, re.S), report
    bundle = pattern.format("bundle", re.escape(usd(2162)), re.escape(usd(216)))
    assert re.search(bundle, report, re.S), report
    await shot(page, folder, backend, "09-staff-royalty-report")
