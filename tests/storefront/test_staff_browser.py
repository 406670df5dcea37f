"""The staff console in a real browser (Debian's Chromium via Playwright): every staff page
fits a 1280 px wide window without scrolling sideways, and so do its tables; on a 390 px
phone the pages reflow (tables become labelled cards) and still never scroll sideways.
The destructive status change goes through its confirmation page in the browser too.
Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kernel.db import Database
from licensing.models import AgreementStatus
from orders.promotions import create_campaign, create_promo_code
from tests.factory import STAFF_PASSWORD, STAFF_USERNAME, staff_member, staff_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

# How far the page and each table reach beyond their box, in CSS pixels (0 when they fit).
OVERFLOW = """() => {
  const root = document.scrollingElement;
  const main = document.querySelector('main').getBoundingClientRect();
  const tables = [...document.querySelectorAll('main table')].map(t => ({
    id: t.id || t.className || t.querySelector('caption')?.textContent || 'table',
    over: Math.ceil(t.getBoundingClientRect().right - main.right),
  })).filter(t => t.over > 0);
  const svgs = [...document.querySelectorAll('main svg.chart')].map(s => ({
    id: s.id || 'chart',
    over: Math.ceil(s.getBoundingClientRect().right - root.clientWidth),
  })).filter(s => s.over > 0);
  return {page: root.scrollWidth - root.clientWidth, tables, svgs};
}"""


def staff_pages(code: str, film_id: int = 1) -> list[str]:
    return [
        "/staff",
        "/staff/approvals",
        "/staff/agreements",
        "/staff/agreements/new",
        f"/staff/agreements/{code}",
        f"/staff/agreements/{code}/audit?period=2025-Q3",
        "/staff/periods",
        "/staff/periods/2025-Q3/statements",
        "/staff/reports?period=2025-Q3&group_by=film&group_by=territory&group_by=channel",
        "/staff/check-in",
        "/staff/orders",
        "/staff/outbox",
        "/staff/fulfilments",
        "/staff/films",
        "/staff/films/new",
        f"/staff/films/{film_id}",
        "/staff/campaigns",
    ]


async def _overflow(page: Any) -> dict[str, Any]:
    return await page.evaluate(OVERFLOW)


async def test_no_staff_page_scrolls_sideways_on_a_desktop_or_a_phone(
    db: Database, backend: str, live_app, browser_page, browser_artifacts: Path
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    page, base, folder = browser_page, live_app.url, browser_artifacts
    async with db.session() as session:
        campaign = await create_campaign(
            session, name="Night Harbor creators, autumn", channel="referral",
            film_ids=world.film_ids[:2], starts_at=datetime(2025, 7, 1, tzinfo=UTC),
            ends_at=datetime(2025, 10, 1, tzinfo=UTC), referral_code="creators",
        )  # fmt: skip
        await create_promo_code(
            session, campaign_id=campaign.id, code="HARBOR-AUTUMN-10", kind="percent",
            percent_bps=1000, valid_from=campaign.starts_at, valid_to=campaign.ends_at,
            use_limit=100, per_email_limit=1, scope="bundles", campaign_films_only=True,
        )  # fmt: skip
    campaign_path = f"/staff/campaigns/{campaign.id}?period=2025-Q3"

    await page.goto(f"{base}/staff/login")
    await page.fill("#f-username", STAFF_USERNAME)
    await page.fill("#f-password", STAFF_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff$"))

    problems = []
    for device, (width, height) in VIEWPORTS.items():
        await page.set_viewport_size({"width": width, "height": height})
        for path in [*staff_pages(world.agreement_code, world.film_ids[0]), campaign_path]:
            response = await page.goto(f"{base}{path}")
            assert response is not None and response.status == 200, path
            seen = await _overflow(page)
            if seen["page"] > 0 or seen["tables"] or seen["svgs"]:
                problems.append((device, path, seen))
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60]
            await page.screenshot(
                path=str(folder / f"{backend}-staff-{device}-{name}.png"), full_page=True
            )
    assert problems == []

    # A phone shows the film-to-commerce table as labelled cards, not as a wide grid.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{base}/staff/reports?period=2025-Q3")
    cell = page.locator("#film-commerce-table tbody td[data-label='Attach rate']").first
    label = await cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Attach rate" in label
    assert await page.locator("#film-commerce-notes").is_visible()

    # The status change asks first, in the browser as without it.
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{base}/staff/agreements/{world.agreement_code}")
    assert await page.locator("#f-status").input_value() == ""
    await page.select_option("#f-status", "terminated")
    await page.get_by_role("button", name="Change status…").click()
    await page.get_by_role("heading", name=re.compile("Make .* terminated")).wait_for()
    assert (await _overflow(page))["page"] <= 0
    await page.screenshot(path=str(folder / f"{backend}-staff-confirm.png"), full_page=True)
    await page.get_by_role("link", name="Cancel, change nothing").click()
    await page.wait_for_url(re.compile(rf"/staff/agreements/{world.agreement_code}$"))
    assert "active" in await page.inner_text("h1")
    await page.select_option("#f-status", "terminated")
    await page.get_by_role("button", name="Change status…").click()
    await page.get_by_role("button", name=re.compile("Yes, make")).click()
    await page.locator(".notice", has_text="is now terminated").wait_for()
    assert AgreementStatus.TERMINATED.value in await page.inner_text("h1")
