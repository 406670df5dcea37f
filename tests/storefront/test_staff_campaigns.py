"""Campaigns in the staff console (SPEC §9): create a campaign and its codes, bad input
answered in words naming the field with nothing stored, and the campaign's report with a
chart and a CSV equal to its table."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.db import Database
from orders.promotion_models import Campaign, PromoCode
from tests.factory import make_film, staff_member
from tests.storefront.console import post_form, sign_in


async def _count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_staff_create_a_campaign_a_code_and_read_its_report(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    async with db.session() as session:
        film = await make_film(session, title="Night Train")
        other = await make_film(session, title="Day Boat")
    today = now_utc().date()
    listing = await client.get("/staff/campaigns")
    assert listing.status_code == 200 and 'href="/staff/campaigns"' in listing.text  # in the nav
    assert "Night Train" in listing.text and "multiple" in listing.text
    # no CSRF token: refused
    bare = await client.post("/staff/campaigns", data={"name": "x"})
    assert bare.status_code == 403

    # Reversed dates and no film: answered in words, nothing stored
    form = {"name": "Creators", "channel": "referral", "starts_on": str(today),
            "ends_on": str(today - timedelta(days=3)), "referral_code": "creators"}  # fmt: skip
    refused = await post_form(client, "/staff/campaigns", form)
    assert refused.status_code == 400
    assert "Last day: The end must come after the start." in refused.text
    assert "Films: Choose 1 to 50 films." in refused.text
    assert "DATES_REVERSED" not in refused.text
    assert await _count(db, Campaign) == 0

    form["ends_on"] = str(today + timedelta(days=30))
    made = await post_form(
        client, "/staff/campaigns", {**form, "film_ids": [str(film.id), str(other.id)]}
    )
    assert made.status_code == 303
    path = made.headers["location"]
    page = await client.get(path)
    assert page.status_code == 200
    assert (
        "/r/CREATORS" in page.text
        and "Day Boat" in page.text
        and "No promo codes yet." in page.text
    )

    # A code over 100 % and one without a currency for its amount are refused in words
    code = {"code": "save10", "kind": "percent", "percent": "100.5", "scope": "merch",
            "valid_from": str(today), "valid_to": str(today + timedelta(days=9))}  # fmt: skip
    over = await post_form(client, f"{path}/codes", code, page=path)
    assert over.status_code == 400 and "Percentage: " in over.text
    fixed = await post_form(
        client, f"{path}/codes", {**code, "kind": "fixed", "amount": "5.00"}, page=path
    )
    assert fixed.status_code == 400 and "Currency: A fixed amount needs a currency." in fixed.text
    assert await _count(db, PromoCode) == 0
    added = await post_form(
        client, f"{path}/codes", {**code, "percent": "12.5", "use_limit": "10"}, page=path
    )
    assert added.status_code == 303
    page = await client.get(path)
    assert "SAVE10" in page.text and "0 of 10" in page.text
    async with db.read_session() as session:
        promo = await session.scalar(select(PromoCode))
    assert promo is not None and promo.percent_bps == 1250

    # The report: a chart, a table, and the CSV with the same figures
    assert "<svg" in page.text and "Referral visits" in page.text
    csv_path = f"{path}/report.csv"
    assert csv_path in page.text
    download = await client.get(csv_path)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(download.text)))
    assert (row["referral_visits"], row["orders"], row["attach_rate"]) == ("0", "0", "0.0 %")
    # a visit of the referral link shows in both
    assert (await client.get("/r/creators")).status_code == 303
    [row] = list(csv.DictReader(io.StringIO((await client.get(csv_path)).text)))
    assert row["referral_visits"] == "1"
    # bad ids and periods: a 404 or words, never a 500
    assert (await client.get("/staff/campaigns/999999")).status_code == 404
    assert (await client.get("/staff/campaigns/x%00")).status_code == 404
    assert (await client.get("/staff/campaigns/999999/report.csv")).status_code == 404
    bad = await client.get(f"{path}?period=2026-Q9")
    assert bad.status_code == 400 and "Period: " in bad.text
    assert (await client.get(f"{csv_path}?period=nope")).status_code == 400


async def test_the_public_cannot_reach_the_campaign_pages(
    client: httpx.AsyncClient, db: Database
) -> None:
    for path in ("/staff/campaigns", "/staff/campaigns/1", "/staff/campaigns/1/report.csv"):
        response = await client.get(path)
        assert response.status_code == 303, path  # to the sign-in page, nothing shown
        assert response.headers["location"].startswith("/staff/login?next=")
        assert "Campaign" not in response.text
