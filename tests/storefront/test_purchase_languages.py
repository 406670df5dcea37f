"""Issue 14's purchase in a real browser (Debian's Chromium via Playwright), once per language
of the shop, the window alternating between a 1280 px desktop and a 390 px phone at each
step (one language starts on the phone).

A film shows at two cinemas in different time zones (Tokyo and Los Angeles) on several days,
with a ticket-plus-tee bundle whose tee comes in sizes. The shopper (English and Japanese
from the browser's Accept-Language, Chinese through the language switcher) filters the film
page to one cinema and to a day that is not the strip's first, reads the local time of a
showtime there, adds the bundle in size M, sees that time and the size in the cart, checks
out with an address in the cinema's country, pays with the test card and finds on the order
page the very time the film page showed, its zone named, in the page's language. The size
M's stock went down by one; prices are as Babel writes them for the language. On every phone
step nothing scrolls sideways. Screenshots of every step go to artifacts/browser/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_currency
from sqlalchemy import select

from catalog.models import Category, FilmTitle, Variant
from catalog.variants import create_variant
from kernel.db import Database
from kernel.i18n import BABEL, translations
from orders.models import Order
from storefront.web import LOCALE_DIR
from tests.factory import (
    ADDRESSES,
    make_agreement,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
)
from tests.storefront.test_staff_browser import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BUNDLE_PRICE = 3200
TITLES = {"en": "Night Harbor", "zh-Hans": "夜港", "ja": "夜の港"}
TEE = "Night Harbor lighthouse tee"
STORED_AREAS = {"JP": {"area": "東京都"}}


# How far the words of each cart line's item cell start right of the cell's left edge, in
# CSS pixels: on a phone they sit under the cell's label as one paragraph (0), never as flex
# columns split at the showtime's <time> beside the label.
CART_WORDS_INDENT = """() => [...document.querySelectorAll('table.cart tbody td:first-child')]
  .map(td => {
    const words = document.createRange();
    words.selectNodeContents(td);
    return Math.round(words.getBoundingClientRect().left - td.getBoundingClientRect().left);
  })"""


@dataclass(frozen=True)
class Shopper:
    """How a shopper of one language comes to the shop and where they watch the film."""

    header: str  # the browser's Accept-Language
    switcher: bool  # picks the language with the switcher (the header names another one)
    city: str  # of the cinema they filter to
    country: str  # the cinema's, and the shipping address's
    starts_on_phone: bool


SHOPPERS = {
    "en": Shopper("en-GB,en;q=0.8", False, "Tokyo", "JP", False),
    "zh-Hans": Shopper("en-US,en;q=0.9", True, "Los Angeles", "US", True),
    "ja": Shopper("ja-JP,ja;q=0.9,en;q=0.5", False, "Tokyo", "JP", False),
}


@dataclass(frozen=True)
class PremiereWorld:
    film_slug: str
    cinemas: dict[str, int]  # by city
    variants: dict[str, int]  # the tee's, by size


async def premiere_world(db: Database) -> PremiereWorld:
    """A film with its Chinese and Japanese titles, showing at a Tokyo and a Los Angeles
    cinema at 18:30 and 21:15 local time on each of the next four local days; a licensee
    (US, GB, JP; every channel) whose tee comes in S, M and L, and a ticket-plus-tee bundle
    in which the shopper picks the size; committed."""
    now = datetime.now(UTC)
    async with db.session() as s:
        film = await make_film(
            s, slug="night-harbor", title=TITLES["en"], original_title="Port de nuit",
            synopsis="A lighthouse keeper finds a map.", runtime_minutes=118,
            release_date=now.date() - timedelta(days=5),
        )  # fmt: skip
        for language in ("zh-Hans", "ja"):
            s.add(FilmTitle(film_id=film.id, language=language, title=TITLES[language]))
        cinemas = {
            "Tokyo": await make_cinema(s, name="Aoyama Hall", city="Tokyo", country="JP",
                                       timezone="Asia/Tokyo"),
            "Los Angeles": await make_cinema(s, name="Sunset Palace", city="Los Angeles",
                                             country="US", timezone="America/Los_Angeles"),
        }  # fmt: skip
        for cinema in cinemas.values():
            zone = ZoneInfo(cinema.timezone)
            today = now.astimezone(zone).date()
            for days in range(1, 5):
                for at in (time(18, 30), time(21, 15)):
                    local = datetime.combine(today + timedelta(days=days), at, tzinfo=zone)
                    await make_showtime(s, film_id=film.id, cinema_id=cinema.id,
                                        starts_at=local.astimezone(UTC), capacity=40)  # fmt: skip
        merchant = await make_merchant(s, slug="acme-merch", name="Acme Merch Co")
        agreement = await make_agreement(
            s, merchant_id=merchant.id, film_ids=[film.id], categories=[Category.APPAREL],
            start_date=now.date() - timedelta(days=30), end_date=now.date() + timedelta(days=365),
        )  # fmt: skip
        tee = await make_product(s, agreement, film.id, sku="NH-TEE-01", name=TEE, stock=0)
        variants = {}
        for size, stock in (("S", 3), ("M", 5), ("L", 2)):
            variant = await create_variant(s, tee.id, merchant_id=None, code=f"TEE-{size}",
                                           options=[("size", size)], stock=stock)  # fmt: skip
            variants[size] = variant.id
        await make_bundle(
            s, film_id=film.id, code="premiere-pack", name="Premiere pack",
            price_minor=BUNDLE_PRICE, valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30), components=[(tee.id, 1)],
        )  # fmt: skip
        return PremiereWorld(film.slug, {c: v.id for c, v in cinemas.items()}, variants)


async def m_stock(db: Database, world: PremiereWorld) -> int:
    async with db.session() as s:
        stock = await s.scalar(select(Variant.stock).where(Variant.id == world.variants["M"]))
    assert stock is not None
    return stock


async def pay_with_test_card(page: Any) -> None:
    """The test card typed into localstripe's Card Element (one input per part), then the
    pay button by its id (its label is in the page's language)."""
    card = page.locator("#card-element")
    await card.locator("input[placeholder=number]").press_sequentially("4242424242424242")
    await card.locator("input[placeholder=exp_month]").fill("12")
    await card.locator("input[placeholder=exp_year]").fill("34")
    await card.locator("input[placeholder=cvc]").fill("123")
    await card.locator("input[placeholder=postal_code]").fill("12345")
    await page.locator("#pay-button").click()


async def fill_address(page: Any, country: str) -> None:
    """The test address of `country` into the checkout's address fields (the area's select
    by its stored value: Japan's prefectures are stored in Japanese)."""
    for part, value in {**ADDRESSES[country], **STORED_AREAS.get(country, {})}.items():
        field = page.locator(f"#f-shipping_{part}")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)


@pytest.mark.parametrize(
    ("language", "backend"),
    [
        ("en", "sqlite"),
        pytest.param("zh-Hans", "postgresql", marks=pytest.mark.postgresql),
        ("ja", "sqlite"),
    ],
    indirect=["backend"],
)
async def test_a_shopper_buys_a_bundle_in_a_size_for_a_showtime_in_each_language(
    language: str,
    db: Database,
    backend: str,
    live_app,
    browser_page,
    browser_artifacts: Path,
) -> None:
    world = await premiere_world(db)
    shopper = SHOPPERS[language]
    words = translations(str(LOCALE_DIR), language)
    _ = words.ugettext
    price = format_currency(Decimal(BUNDLE_PRICE) / 100, "USD", locale=BABEL[language])
    page, base, folder = browser_page, live_app.url, browser_artifacts
    await page.context.set_extra_http_headers({"Accept-Language": shopper.header})
    widths = [PHONE, DESKTOP] if shopper.starts_on_phone else [DESKTOP, PHONE]
    steps = iter(range(1, 100))

    async def step(name: str) -> None:
        """Set this step's width (alternating), check a phone step never scrolls sideways,
        and take its screenshot."""
        size = widths[0]
        widths.reverse()
        await page.set_viewport_size(size)
        if size == PHONE:
            assert await page.evaluate(OVERFLOW) == {"page": 0, "tables": [], "svgs": []}, name
            assert set(await page.evaluate(CART_WORDS_INDENT)) <= {0}, name
        await page.screenshot(
            path=str(folder / f"{backend}-purchase-{language}-{next(steps):02d}-{name}.png"),
            full_page=True,
        )

    # The film page, in the shopper's language (Chinese: chosen with the switcher).
    film_url = f"{base}/films/{world.film_slug}"
    await page.goto(film_url)
    if shopper.switcher:
        assert await page.get_attribute("html", "lang") == "en"
        await page.locator(f'nav.languages a[hreflang="{language}"]').click()
        await page.wait_for_function(f"document.documentElement.lang === {language!r}")
    assert await page.get_attribute("html", "lang") == language
    heading = page.locator("h1")
    assert (await heading.inner_text()).strip() == TITLES[language]
    assert _("Showtimes") in await page.inner_text("#showtimes")

    # Filter to one cinema with the filter form, then to the strip's second day.
    cinema_id = world.cinemas[shopper.city]
    await page.locator("#f-cinema").select_option(str(cinema_id))
    await page.locator("form.cinema-filter button[type=submit]").click()
    await page.wait_for_url(re.compile(rf"[?&]cinema={cinema_id}\b"))
    days = page.locator("nav.date-strip > ul > li a")
    assert await days.count() == 4  # the four days of this cinema
    second_day = await days.nth(1).locator("time").get_attribute("datetime")
    await days.nth(1).click()
    await page.wait_for_url(re.compile(rf"day={second_day}"))
    assert (
        await page.locator('nav.date-strip a[aria-current="date"] time').get_attribute("datetime")
        == second_day
    )
    groups = page.locator(".showtime-group")
    assert await groups.count() == 1
    assert shopper.city in await groups.inner_text()

    # The later showtime of that day: its local time as the list shows it.
    bundle = page.locator("form.bundle-form")
    options = bundle.locator("select[name=showtime_id] option")
    assert await options.count() == 2
    showtime_id = await options.nth(1).get_attribute("value")
    listed = page.locator(
        f'ul.showtimes form:has(input[name=showtime_id][value="{showtime_id}"]) .time time'
    )
    local_time = (await listed.inner_text()).strip()
    zone = "JST" if shopper.city == "Tokyo" else r"P[SD]T"
    assert re.search(rf" 21:15 {zone}$", local_time), local_time
    assert (await options.nth(1).inner_text()).strip().startswith(local_time)
    await step("film")

    # The bundle for that showtime in size M.
    stock_before = await m_stock(db, world)
    await bundle.locator("select[name=showtime_id]").select_option(showtime_id)
    await bundle.locator("select[name^=choice_]").select_option(label="M")
    await bundle.locator("button[type=submit]").click()
    await page.wait_for_url(f"{base}/cart")
    cart = await page.inner_text("table.cart")
    assert local_time in cart and f"{TEE} M" in cart and price in cart
    assert TITLES[language] in cart
    await step("cart")

    # Checkout in the cinema's country, whose address form comes first.
    await page.locator(".cart-actions a[href='/checkout']").click()
    await page.wait_for_url(f"{base}/checkout")
    assert local_time in await page.inner_text("section.summary")
    submit = page.locator("form.checkout-form > button[type=submit]")
    await page.fill("#f-email", "fan@example.test")
    if await page.locator("input[name=address_country]").get_attribute("value") != (
        shopper.country
    ):
        await page.select_option("#f-country", shopper.country)
        await submit.click()
        await page.locator(f"input[name=address_country][value={shopper.country}]").wait_for(
            state="attached"
        )
    await fill_address(page, shopper.country)
    await step("checkout")
    await submit.click()
    await page.wait_for_url(re.compile(r"/pay/TI-"))

    # Pay with the test card.
    await page.locator("#card-element input").first.wait_for()
    assert local_time in await page.inner_text("table.order-lines")
    await step("pay")
    await pay_with_test_card(page)
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status.status-paid").wait_for()

    # The order page: the same local time, its zone named, in the shopper's language.
    assert await page.get_attribute("html", "lang") == language
    assert _("Paid") in await page.inner_text(".order-status")
    lines = await page.inner_text("table.order-lines")
    assert local_time in lines and price in lines
    assert re.search(r"\bM\b", lines) and TEE in lines
    main = await page.inner_text("main")
    assert _("Your e-tickets") in main
    if language != "en":
        assert "Your e-tickets" not in main and "Order lines" not in main
    assert await page.locator("svg.ticket-qr").count() == 1
    ticket_time = page.locator("li.ticket time")
    film_time = await page.locator("table.order-lines time").get_attribute("datetime")
    assert await ticket_time.get_attribute("datetime") == film_time
    clock_and_zone = " ".join(local_time.split()[-2:])  # the ticket's day carries the year
    assert (await ticket_time.inner_text()).strip().endswith(clock_and_zone)
    await step("order")
    assert await m_stock(db, world) == stock_before - 1
    async with db.session() as s:  # its e-mails go out in the language it was placed in
        assert list(await s.scalars(select(Order.language))) == [language]
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
