"""Every shop page in a real browser (Debian's Chromium via Playwright), in English: axe-core
finds no serious or critical violation (labels, announced errors, contrast, landmarks, table
headers), and on a 390 px phone no page scrolls sideways (its tables become stacked rows).

The walk: home, film, product, cart with a bundle and a poster, checkout (blank, then with
errors), the pay page (the test card typed as shown, with spaces), the paid order page,
"e-mail me my orders" (blank and with an error), verify (form and a verdict) and a 404.
Axe needs no npm: tests/storefront/axe.py injects the committed axe.min.js. One database
(SQLite) is enough: the pages are the same on both. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kernel.db import Database
from tests.factory import shop_world
from tests.storefront.axe import describe, serious_violations
from tiein.localstripe import CARD_NUMBER_MESSAGE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The page's width, and the innermost elements reaching past the window (for the message).
WIDTH = """() => {
  const width = document.scrollingElement.scrollWidth, room = window.innerWidth;
  const wide = [...document.body.querySelectorAll('*')].filter(e =>
    e.getBoundingClientRect().right > room + 0.5 &&
    ![...e.children].some(c => c.getBoundingClientRect().right > room + 0.5));
  return {width, wide: wide.slice(0, 5).map(e => e.outerHTML.slice(0, 160))};
}"""


class Walk:
    """Checks each page once: axe at 1280 px, then the page's width at 390 px."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder = page, folder
        self.violations: dict[str, list[dict[str, Any]]] = {}
        self.too_wide: dict[str, dict[str, Any]] = {}

    async def check(self, name: str) -> None:
        page = self.page
        found = await serious_violations(page)
        if found:
            self.violations[name] = found
        await page.set_viewport_size(PHONE)
        seen = await page.evaluate(WIDTH)
        if seen["width"] > PHONE["width"]:
            self.too_wide[name] = seen
        await page.screenshot(path=str(self.folder / f"a11y-phone-{name}.png"), full_page=True)
        await page.set_viewport_size(DESKTOP)

    async def visit(self, name: str, url: str, status: int = 200) -> None:
        response = await self.page.goto(url)
        assert response is not None and response.status == status, (url, response)
        await self.check(name)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_shop_page_passes_axe_and_fits_a_phone(
    db: Database, backend: str, live_app, axe_page, browser_artifacts: Path
) -> None:
    world = await shop_world(db)
    page, base = axe_page, live_app.url
    walk = Walk(page, browser_artifacts)

    await walk.visit("home", f"{base}/")
    # The keyboard's first stop is the skip link, with a visible focus ring.
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert await focused.inner_text() == "Skip to content"
    assert await focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    await walk.visit("film", f"{base}/films/{world.film_slug}")
    await walk.visit("product", f"{base}/products/{world.shirt_sku}")

    # A bundle and a poster in the cart.
    await page.goto(f"{base}/films/{world.film_slug}")
    bundle = page.locator("form.bundle-form")
    await bundle.locator("select[name=showtime_id]").select_option(index=0)
    await bundle.locator("button[type=submit]").click()
    await page.wait_for_url(f"{base}/cart")
    await page.goto(f"{base}/products/{world.poster_sku}")
    await page.locator("form button[type=submit]").first.click()
    await page.wait_for_url(f"{base}/cart")
    assert await page.locator("table.cart tbody tr").count() >= 2
    await walk.check("cart")

    # Checkout: blank, then sent with a bad address (the errors are announced), then filled.
    await walk.visit("checkout", f"{base}/checkout")
    await page.fill("#f-email", "not an address")
    await page.locator("form button[type=submit]").last.click()
    await page.locator("[aria-invalid=true]").first.wait_for()
    assert await page.locator("[role=alert]").count() >= 1
    invalid = page.locator("[aria-invalid=true]").first
    described = await invalid.get_attribute("aria-describedby")
    assert described and await page.locator(f"#{described.split()[0]}").is_visible()
    await walk.check("checkout-errors")
    await page.fill("#f-email", "ann@example.test")
    await page.select_option("#f-country", "US")
    await page.fill("#f-shipping_name", "Ann Shopper")
    await page.fill("#f-shipping_line1", "1 Harbour Road")
    await page.fill("#f-shipping_city", "Springfield")
    await page.select_option("#f-shipping_area", "IL")
    await page.fill("#f-shipping_postcode", "62701")
    await page.locator("form button[type=submit]").last.click()
    await page.wait_for_url(re.compile(r"/pay/TI-"))
    await page.locator("#card-element input").first.wait_for()
    await walk.check("pay")

    # A mistyped card number is refused in words; the test card typed as the page shows it,
    # with spaces, pays.
    card = page.locator("#card-element")
    number = card.locator("input[placeholder=number]")
    await number.fill("4242 4242 4242 424x")
    await card.locator("input[placeholder=exp_month]").fill("12")
    await card.locator("input[placeholder=exp_year]").fill("34")
    await card.locator("input[placeholder=cvc]").fill("123")
    await page.locator("#pay-button").click()
    await page.locator("#card-errors", has_text=CARD_NUMBER_MESSAGE).wait_for()
    await number.fill("")
    await number.press_sequentially("4242 4242 4242 4242")
    assert await number.input_value() == "4242 4242 4242 4242"  # focus moves on at 16 digits
    await card.locator("input[placeholder=exp_month]").fill("12")
    await page.locator("#pay-button").click()
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    await walk.check("order")
    # On a phone the order lines are stacked rows, each figure labelled with its header.
    await page.set_viewport_size(PHONE)
    total = page.locator("table.order-lines tbody td[data-label='Total']").first
    assert "Total" in await total.evaluate("td => getComputedStyle(td, '::before').content")
    assert await total.evaluate("td => getComputedStyle(td).display") != "table-cell"
    await page.set_viewport_size(DESKTOP)

    await walk.visit("my-orders", f"{base}/my-orders")
    await page.fill("#f-email", "nobody")
    await page.evaluate("() => document.querySelector('#f-email').type = 'text'")
    await page.locator("main form button[type=submit]").click()
    await walk.check("my-orders-error")
    await walk.visit("verify", f"{base}/verify")
    await walk.visit("verify-unknown", f"{base}/verify/NOPE-NOPE", status=404)
    await walk.visit("verify-product", f"{base}/verify/{world.shirt_sku}")
    await walk.visit("not-found", f"{base}/films/no-such-film", status=404)

    assert walk.violations == {}, "axe found serious violations:\n" + describe(walk.violations)
    assert walk.too_wide == {}, f"pages wider than 390 px on a phone: {walk.too_wide}"


async def test_axe_reports_what_it_should(axe_page) -> None:
    # Given a page with an unlabelled field and grey-on-grey text, axe names both (so a
    # clean result above means something).
    await axe_page.set_content(
        '<html lang="en"><body><main><h1>Form</h1><input type="text">'
        '<p style="color:#bbb;background:#ccc">faint</p></main></body></html>'
    )
    found = {v["id"] for v in await serious_violations(axe_page)}
    assert {"label", "color-contrast"} <= found
