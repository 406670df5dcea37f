"""Issue 14: a hold's end and an order's own moments are written in UTC, labelled, and shown
on the shopper's own clock by static/local-times.js (a shopper in Tokyo reads JST); the
showtime stays in its cinema's zone. Real Chromium with the shopper's time zone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from kernel.db import Database
from tests.factory import shop_world
from tests.fixtures.browser import _page
from tests.storefront.test_shop_checkout import check_out, fill_cart

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_hold_is_shown_on_the_shoppers_clock_and_the_showtime_in_its_cinemas(
    db: Database, backend: str, live_app, chromium: str, browser_artifacts: Path
) -> None:
    world = await shop_world(db)
    async with httpx.AsyncClient(base_url=live_app.url) as client:
        await fill_cart(client, world)
        token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/")).text)
        assert token is not None
        number, key = await check_out(client, token.group(1))
    async for page in _page(chromium, timezone_id="Asia/Tokyo", locale="ja-JP"):
        await page.context.set_extra_http_headers({"Accept-Language": "ja"})
        for path in (f"/pay/{number}", f"/orders/{number}"):
            await page.goto(f"{live_app.url}{path}?key={key}")
            hold = page.locator("time[data-local]").first
            await hold.wait_for()
            await page.wait_for_function("document.querySelector('time[data-local]').title !== ''")
            shown, utc = await hold.inner_text(), await hold.get_attribute("title")
            assert "UTC" in utc and "UTC" not in shown, (shown, utc)
            assert re.search(r"JST|GMT\+9", shown), shown
            # the same moment: UTC's hour plus nine
            utc_hour = int(re.search(r"(\d\d):\d\d UTC", utc).group(1))
            assert f"{(utc_hour + 9) % 24:02d}:" in shown, (shown, utc)
            # the showtime stays in its cinema's zone (UTC in this world), untouched
            showtime = page.locator("main table time:not([data-local])").first
            assert (await showtime.inner_text()).endswith("UTC")
            await page.screenshot(
                path=str(browser_artifacts / f"{backend}-local-times{path.replace('/', '-')}.png")
            )
        assert page.console_errors == []
