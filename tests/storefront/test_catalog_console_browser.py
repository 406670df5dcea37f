"""Issue 12's console story in a real browser (Debian's Chromium via Playwright), at 1280 px:
staff sign in, add a film with English and Japanese titles, upload its poster (a PNG made
by Pillow), add a cinema with a screen, schedule a week of showtimes with the schedule form,
onboard a merchant with a finance contact and sign an agreement with it. Every page of the
story is then opened on a 390 px phone: none scrolls sideways, nor does any table.
Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Film, FilmTitle, Showtime
from kernel.clock import now_utc
from kernel.db import Database
from licensing.merchants import MerchantContact
from licensing.models import Agreement, AgreementStatus, Merchant
from tests.factory import STAFF_PASSWORD, STAFF_USERNAME, staff_member
from tests.factory.images import image_bytes
from tests.storefront.test_staff_browser import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _notice(page: Any, text: str) -> None:
    await page.locator(".notice", has_text=text).first.wait_for()


def _form(page: Any, button: str) -> Any:
    """The form holding the submit button named `button`."""
    return page.locator("form", has=page.get_by_role("button", name=button, exact=True))


async def test_staff_run_a_film_a_cinema_a_week_and_a_licensee_from_the_console(
    db: Database, backend: str, live_app, browser_page, browser_artifacts: Path
) -> None:
    await staff_member(db)
    page, base, folder = browser_page, live_app.url, browser_artifacts
    today = now_utc().date()
    visited: list[str] = []
    missing: list[str] = []  # what the pages load (their poster, styles…) must be there
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    async def shot(name: str) -> None:
        visited.append(page.url.removeprefix(base).split("#")[0])
        await page.screenshot(path=str(folder / f"{backend}-catalog-{name}.png"), full_page=True)

    # Staff sign in
    await page.goto(f"{base}/staff/login")
    await page.fill("#f-username", STAFF_USERNAME)
    await page.fill("#f-password", STAFF_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff$"))

    # A film with its English and Japanese titles
    await page.goto(f"{base}/staff/films/new")
    await page.fill("#f-slug", "paper-lantern")
    await page.fill("#f-original_title", "紙灯籠")
    await page.fill("#f-title_en", "Paper Lantern")
    await page.fill("#f-synopsis_en", "A lantern maker's last summer.")
    await page.fill("#f-title_ja", "紙灯籠")
    await page.fill("#f-release_date", today.isoformat())
    await page.fill("#f-runtime_minutes", "104")
    await page.get_by_role("button", name="Add the film").click()
    await _notice(page, "Film paper-lantern added.")
    await page.wait_for_url(re.compile(r"/staff/films/\d+$"))
    await shot("film")

    # Its poster, uploaded on the film's page
    poster = image_bytes(600, 900, "PNG", (30, 60, 120))
    await page.locator("#poster input[type=file]").set_input_files(
        files=[{"name": "poster.png", "mimeType": "image/png", "buffer": poster}]
    )
    await page.get_by_role("button", name="Upload poster").click()
    await _notice(page, "The poster of Paper Lantern is set.")
    assert re.search(r"/staff/films/\d+#poster$", page.url)
    assert await page.locator("#poster img").count() == 1
    await shot("film-poster")

    # A cinema with a screen
    await page.goto(f"{base}/staff/cinemas")
    cinema_form = _form(page, "Add the cinema")
    await cinema_form.locator("#f-name").fill("Le Lumière")
    await cinema_form.locator("#f-city").fill("Lyon")
    await page.select_option("#f-country", "FR")
    await page.select_option("#f-timezone", "Europe/Paris")
    await page.get_by_role("button", name="Add the cinema").click()
    await _notice(page, "Le Lumière was added.")
    await shot("cinemas")
    screen_form = _form(page, "Add the screen")
    await screen_form.locator("#f-name").fill("Salle 1")
    await screen_form.locator("#f-capacity").fill("180")
    await page.get_by_role("button", name="Add the screen").click()
    await _notice(page, "Salle 1 (180 seats) was added.")

    # A week of showtimes with the schedule form, in euros
    first = today + timedelta(days=2)
    await page.select_option("#f-film_id", label="Paper Lantern")
    await page.fill("#f-times", "14:30 and 19:30")
    await page.fill("#f-from_date", first.isoformat())
    await page.fill("#f-to_date", (first + timedelta(days=6)).isoformat())
    await page.select_option("#f-screen_id", label="Salle 1 (180 seats)")
    await page.fill("#f-price", "11.50")
    await page.select_option("#f-currency", "EUR")
    await page.get_by_role("button", name="Schedule", exact=True).click()
    await _notice(page, "14 showtimes were scheduled on Salle 1.")
    assert await page.locator("#f-currency").input_value() == "EUR"  # now its usual one
    await shot("cinema")

    # A merchant with a finance contact
    await page.goto(f"{base}/staff/merchants/new")
    await page.fill("#f-name", "Lantern Goods")
    await page.select_option("#f-country", "FR")
    await page.fill("#f-contact-name-1", "Léa Martin")
    await page.fill("#f-contact-email-1", "lea@lantern.example")
    await page.select_option("#f-contact-role-1", "licensing")
    await page.fill("#f-contact-name-2", "Finn Dupont")
    await page.fill("#f-contact-email-2", "finance@lantern.example")
    await page.select_option("#f-contact-role-2", "finance")
    await page.get_by_role("button", name="Onboard", exact=True).click()
    await _notice(page, "Lantern Goods is onboarded.")
    await page.wait_for_url(re.compile(r"/staff/merchants/lantern-goods$"))
    await shot("merchant")

    # and its agreement, from the merchant's page
    await page.get_by_role("link", name="Sign a new agreement with Lantern Goods").click()
    await page.wait_for_url(re.compile(r"/staff/agreements/new"))
    await shot("agreement-new")
    await page.fill("#f-code", "LA-2026-0777")
    await page.get_by_label("Paper Lantern").check()
    await page.get_by_label("apparel", exact=True).check()
    await page.get_by_label("storefront", exact=True).check()
    await page.fill("#f-territories", "FR, BE")
    await page.fill("#f-start_date", today.isoformat())
    await page.fill("#f-end_date", (today + timedelta(days=365)).isoformat())
    await page.fill("#f-currency", "EUR")
    await page.fill("#f-rate_percent", "8.5")
    await page.select_option("#f-status", "active")
    await page.get_by_role("button", name="Sign", exact=True).click()
    await _notice(page, "Agreement LA-2026-0777 signed.")
    await shot("agreement")

    # Then everything is stored as given
    async with db.read_session() as session:
        film = await session.scalar(select(Film).where(Film.slug == "paper-lantern"))
        languages = set(
            await session.scalars(select(FilmTitle.language).where(FilmTitle.film_id == film.id))
        )
        shows = await session.scalar(
            select(func.count()).select_from(Showtime).where(Showtime.film_id == film.id)
        )
        merchant = await session.scalar(select(Merchant).where(Merchant.slug == "lantern-goods"))
        roles = set(
            await session.scalars(
                select(MerchantContact.role).where(MerchantContact.merchant_id == merchant.id)
            )
        )
        agreement = await session.scalar(select(Agreement).where(Agreement.code == "LA-2026-0777"))
    assert languages == {"en", "ja"} and film.poster_image_id is not None
    assert shows == 14
    assert roles == {"licensing", "finance"}
    assert agreement.merchant_id == merchant.id
    assert agreement.status == AgreementStatus.ACTIVE

    # And no page of the story scrolls sideways on a phone
    problems = []
    await page.set_viewport_size({"width": 390, "height": 844})
    for path in dict.fromkeys(visited):
        response = await page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        seen = await page.evaluate(OVERFLOW)
        if seen["page"] > 0 or seen["tables"] or seen["svgs"]:
            problems.append((path, seen))
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60]
        await page.screenshot(
            path=str(folder / f"{backend}-catalog-phone-{name}.png"), full_page=True
        )
    assert problems == []
    assert [url for url in missing if "favicon" not in url] == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
