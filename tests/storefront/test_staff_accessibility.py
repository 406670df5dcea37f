"""Every staff page in a real browser, once, in English: axe-core finds no serious or
critical violation (form labels, announced errors, contrast, landmarks, table headers).

The pages are discovered from the console's routes (every GET page without a parameter,
which covers the whole navigation) plus the detail pages of the staff world (agreement and
its audit, merchant, film, cinema, order, period statements, the approval comparison), the
sign-in page, a form sent with errors and a confirmation page. Axe needs no npm:
tests/storefront/axe.py injects the committed axe.min.js. One database (SQLite) is enough.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from kernel.db import Database
from orders.models import LineKind
from storefront.staff import NAV, staff_routes
from tests.factory import STAFF_PASSWORD, STAFF_USERNAME, staff_member, staff_world
from tests.factory.builders import make_cinema, make_order, make_order_line
from tests.storefront.axe import describe, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SKIPPED = {"staff_login"}  # visited signed out, first


def console_pages() -> dict[str, str]:
    """Every staff GET page that takes no parameter (not the CSV and PDF downloads), by
    route name."""
    pages = {}
    for route in staff_routes:
        methods = getattr(route, "methods", None) or set()
        if "GET" not in methods or "{" in route.path or route.name in SKIPPED:
            continue
        if route.path.endswith((".csv", ".pdf")):
            continue
        pages[route.name] = route.path
    return pages


def test_the_walk_covers_the_whole_staff_navigation() -> None:
    assert {name for name, _ in NAV} <= set(console_pages())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_staff_page_passes_axe(db: Database, backend: str, live_app, axe_page) -> None:
    world = await staff_world(db)
    await staff_member(db)
    async with db.session() as s:
        cinema = await make_cinema(s, name="Roxy & <Co>")
        order = await make_order(s, now=datetime(2025, 8, 2, tzinfo=UTC), total_minor=2500)
        await make_order_line(
            s, order.id, kind=LineKind.PRODUCT, unit_price_minor=2500,
            product_id=world.product_ids[0], description="Night Train tee",
        )  # fmt: skip
    page, base = axe_page, live_app.url
    found: dict[str, list[dict[str, Any]]] = {}

    async def check(name: str) -> None:
        violations = await serious_violations(page)
        if violations:
            found[name] = violations

    async def visit(path: str) -> None:
        response = await page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        await check(path)

    await visit("/staff/login")
    await page.fill("#f-username", STAFF_USERNAME)
    await page.fill("#f-password", "wrong password")
    await page.get_by_role("button", name="Sign in").click()
    await check("/staff/login (refused)")
    await page.fill("#f-username", STAFF_USERNAME)
    await page.fill("#f-password", STAFF_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff$"))

    details = [
        f"/staff/agreements/{world.agreement_code}",
        f"/staff/agreements/{world.agreement_code}/audit?period=2025-Q3",
        "/staff/merchants/acme-merch",
        f"/staff/films/{world.film_ids[0]}",
        f"/staff/cinemas/{cinema.id}",
        f"/staff/orders/{order.number}",
        "/staff/periods/2025-Q3/statements",
        f"/staff/approvals/{world.product_ids[0]}/compare",
        "/staff/reports?period=2025-Q3&group_by=film&group_by=territory&group_by=channel",
    ]
    for path in [*console_pages().values(), *details]:
        await visit(path)

    # A form sent with errors, and a confirmation page.
    await page.goto(f"{base}/staff/merchants/new")
    await page.locator("main form button[type=submit]").last.click()
    await check("/staff/merchants/new (errors)")
    await page.goto(f"{base}/staff/agreements/{world.agreement_code}")
    await page.select_option("#f-status", "terminated")
    await page.get_by_role("button", name="Change status…").click()
    await page.get_by_role("heading", name=re.compile("Make .* terminated")).wait_for()
    await check("confirm status change")

    assert found == {}, "axe found serious violations:\n" + describe(found)
