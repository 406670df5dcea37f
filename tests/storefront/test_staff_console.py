"""The console a licensing manager expects: destructive actions are confirmed on a second,
server-rendered step; no control defaults to a destructive choice; refusals are words (their
codes only in `data-code`); rates are typed in percent and stored in basis points exactly;
tiers are rows of a table, each bad row refused on its own; periods are picked, not typed."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from kernel.periods import next_period, period_of, previous_period
from licensing.agreements import get_agreement_by_code
from licensing.models import Agreement, AgreementStatus, Period, PeriodStatus
from storefront.staff.agreement_form import parse_percent_bps, parse_tiers, percent_text
from storefront.staff.common import format_bps, period_choices
from tests.factory import staff_member, staff_world
from tests.storefront.console import confirm, confirmation_form, post_form, sign_in

# A public code in brackets, the way the console used to show refusals: "(INVALID)".
CODE_IN_BRACKETS = re.compile(r"\([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\)|\((?:INVALID|DUPLICATE)\)")
LINK = re.compile(r'href="([^"#]+)"')


async def _status(db: Database, agreement_id: int) -> AgreementStatus:
    async with db.read_session() as session:
        return await session.scalar(select(Agreement.status).where(Agreement.id == agreement_id))


async def _period_status(db: Database, name: str) -> PeriodStatus | None:
    async with db.read_session() as session:
        period = await session.get(Period, name)
        return period.status if period else None


# --- confirmation before destructive actions ----------------------------------------------


async def test_a_status_change_is_confirmed_before_it_is_made(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    path = f"/staff/agreements/{world.agreement_code}"

    # Given the agreement page, the status list starts on a neutral choice, not a status.
    page = await client.get(path)
    select_html = page.text[page.text.index('id="f-status"') :]
    select_html = select_html[: select_html.index("</select>")]
    assert '<option value="" selected>choose…</option>' in select_html
    assert select_html.count("selected") == 1
    assert '<option value="expired">' in select_html  # offered, never preselected

    # When the form is sent as it comes, nothing changes and the page says why.
    unchosen = await post_form(client, f"{path}/status", {"status": ""}, page=path)
    assert unchosen.status_code == 303
    shown = await client.get(unchosen.headers["location"])
    assert "Choose the new status first; nothing was changed." in shown.text
    assert await _status(db, world.agreement_id) == AgreementStatus.ACTIVE

    # When "expired" is chosen, the first POST only says what it will do.
    asked = await post_form(client, f"{path}/status", {"status": "expired"}, page=path)
    assert asked.status_code == 200
    text = unescape(asked.text)
    assert "Nothing has changed yet" in text
    assert f"{world.agreement_code} (Acme <Merch> & Co) goes from active to expired." in text
    assert "cannot be undone" in text
    action, fields = confirmation_form(asked.text)
    assert action == f"{path}/status"
    assert ("status", "expired") in fields and ("confirmed", "yes") in fields
    assert await _status(db, world.agreement_id) == AgreementStatus.ACTIVE

    # Then the second POST, with its own CSRF token, makes the change.
    done = await confirm(client, asked)
    assert done.status_code == 303
    assert "is now expired" in (await client.get(done.headers["location"])).text
    assert await _status(db, world.agreement_id) == AgreementStatus.EXPIRED


async def test_a_confirmation_without_its_csrf_token_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    path = f"/staff/agreements/{world.agreement_code}/status"
    forged = await client.post(path, data={"status": "terminated", "confirmed": "yes"})
    assert forged.status_code == 403
    assert await _status(db, world.agreement_id) == AgreementStatus.ACTIVE


async def test_a_status_the_agreement_cannot_take_is_refused_before_any_confirmation(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    path = f"/staff/agreements/{world.agreement_code}"
    refused = await post_form(client, f"{path}/status", {"status": "draft"}, page=path)
    assert refused.status_code == 303
    shown = await client.get(refused.headers["location"])
    assert "cannot go from active to draft; it can become expired or terminated." in shown.text
    assert 'data-code="INVALID_STATUS_CHANGE"' in shown.text
    assert await _status(db, world.agreement_id) == AgreementStatus.ACTIVE


async def test_closing_a_period_is_confirmed_before_it_is_closed(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)

    asked = await post_form(client, "/staff/periods/close", {"period": "2025-Q3"})
    assert asked.status_code == 200
    text = unescape(asked.text)
    assert "Close 2025-Q3?" in text
    assert f"The statements of 1 agreement ({world.agreement_code})" in text
    assert "never opened again" in text
    assert await _period_status(db, "2025-Q3") == PeriodStatus.OPEN

    done = await confirm(client, asked)
    assert "2025-Q3 is closed" in (await client.get(done.headers["location"])).text
    assert await _period_status(db, "2025-Q3") == PeriodStatus.CLOSED

    # A closed period is not offered for closing again.
    again = await post_form(client, "/staff/periods/close", {"period": "2025-Q3"})
    shown = await client.get(again.headers["location"])
    assert "2025-Q3 is closed already; nothing to do." in shown.text


# --- no codes in brackets anywhere in the console -----------------------------------------


async def _walk(client: httpx.AsyncClient, start: list[str], limit: int = 80) -> dict[str, str]:
    """Every staff page reachable by links from `start` (downloads and sign-out left out)."""
    seen: dict[str, str] = {}
    todo = list(start)
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen:
            continue
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.text
        for href in LINK.findall(response.text):
            target = urlsplit(urljoin(path, unescape(href)))
            link = target.path + (f"?{target.query}" if target.query else "")
            wanted = target.path.startswith("/staff") and not target.path.endswith(".csv")
            if wanted and target.path != "/staff/logout" and link not in seen:
                todo.append(link)
    return seen


async def test_no_console_page_shows_a_code_in_brackets(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    code = world.agreement_code
    pages = await _walk(
        client,
        [
            "/staff",
            f"/staff/agreements/{code}/audit?period=2025-Q3",
            "/staff/reports?period=2025-Q3&group_by=film&group_by=territory",
            "/staff/agreements?status=active",
        ],
    )
    assert len(pages) >= 12, sorted(pages)
    # Pages that carry refusals: a bad period, a bad agreement form, flashed refusals.
    bad = await client.get("/staff/reports?period=2025-Q9")
    assert bad.status_code == 400
    pages["bad report period"] = bad.text
    bad_audit = await client.get(f"/staff/agreements/{code}/audit?period=Q3")
    pages["bad audit period"] = bad_audit.text
    new_form = await post_form(
        client,
        "/staff/agreements/new",
        {"code": code, "rate_percent": "8.125", "currency": "USD", "tier_rate": ["9"]},
        page="/staff/agreements/new",
    )
    assert new_form.status_code == 400
    pages["bad agreement form"] = new_form.text
    for path, data, code_shown in (
        ("/staff/periods/close", {"period": "2025-Q4"}, "EARLIER_PERIOD_OPEN"),
        ("/staff/periods/close", {"period": period_of(now_utc())}, "PERIOD_NOT_ENDED"),
        (f"/staff/agreements/{code}/status", {"status": "draft"}, None),
        (f"/staff/approvals/{world.product_ids[0]}", {"decision": "request_changes"}, None),
    ):
        refused = await post_form(client, path, data)
        shown = await client.get(refused.headers["location"])
        assert "data-code=" in shown.text, path
        if code_shown:
            assert f'data-code="{code_shown}"' in shown.text, (path, data)
        pages[f"refused {path}"] = shown.text
    for name, html in pages.items():
        assert not CODE_IN_BRACKETS.search(html), (name, CODE_IN_BRACKETS.search(html))


# --- rates in percent, stored as basis points ---------------------------------------------


@given(st.integers(min_value=0, max_value=10_000))
def test_a_rate_in_percent_round_trips_to_basis_points_exactly(bps: int) -> None:
    assert parse_percent_bps(percent_text(bps), field="rateBps") == bps
    assert parse_percent_bps(format_bps(bps), field="rateBps") == bps  # "12.50 %" as shown


@given(st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False))
def test_any_percentage_with_two_decimals_is_its_hundredfold_in_bps(percent: Decimal) -> None:
    assert parse_percent_bps(f"{percent:f}", field="rateBps") == int(percent * 100)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("8.125", "two at most"),
        ("100.01", "more than 100 %"),
        ("101", "more than 100 %"),
        ("-5", "not a percentage"),
        ("1e2", "not a percentage"),
        ("8,5", "not a percentage"),
        ("", "not a percentage"),
        ("NaN", "not a percentage"),
    ],
)
def test_a_rate_that_is_not_a_storable_percentage_is_refused(text: str, words: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_percent_bps(text, field="rateBps")
    assert refused.value.code == "INVALID_RATE" and refused.value.field == "rateBps"
    assert words in refused.value.message


def test_examples_of_percent_to_bps() -> None:
    assert [parse_percent_bps(t, field="r") for t in ("8.5", "8.5 %", "0", "100", "12.05")] == [
        850,
        850,
        0,
        10_000,
        1205,
    ]
    assert [percent_text(b) for b in (850, 1200, 1205, 0, 10_000)] == [
        "8.5",
        "12",
        "12.05",
        "0",
        "100",
    ]


# --- tiers as table rows ------------------------------------------------------------------


def test_tier_rows_become_thresholds_and_rates_and_blank_rows_are_skipped() -> None:
    rows = [("0", "8"), ("", ""), ("1000.00", "12.5"), (" ", " ")]
    assert parse_tiers(rows, "USD") == [(0, 800), (100_000, 1250)]
    assert parse_tiers([("", "")] * 3, "USD") == []


def test_each_bad_tier_row_is_refused_on_its_own() -> None:
    rows = [("0", "8"), ("500", ""), ("1000.00", "12.5"), ("12.345", "9"), ("2000", "101")]
    with pytest.raises(DomainErrors) as refused:
        parse_tiers(rows, "USD")
    errors = refused.value.errors
    assert [e.field for e in errors] == ["tiers.2", "tiers.4", "tiers.5"]
    assert all(e.code == "INVALID_TIERS" for e in errors)
    assert errors[0].message == "Tier row 2: give a rate too, or clear the row."
    assert errors[1].message.startswith("Tier row 4: USD amounts have 2 decimal places")
    assert errors[2].message == "Tier row 5: '101' is more than 100 %."


async def test_the_agreement_form_shows_each_bad_tier_row_and_keeps_what_was_typed(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db, sales=False)
    await staff_member(db)
    await sign_in(client)
    new = await client.get("/staff/agreements/new")
    assert new.text.count('name="tier_threshold"') == 3  # an empty table of three rows
    assert 'name="rate_percent"' in new.text and "rate_bps" not in new.text
    form = {
        "code": "LA-2026-0100",
        "merchant_id": str(world.merchant_id),
        "film_ids": [str(world.film_ids[0])],
        "categories": ["apparel"],
        "channels": ["storefront"],
        "territories": "US",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "USD",
        "rate_percent": "8.5",
        "tier_threshold": ["0", "x", "2000.00", ""],
        "tier_rate": ["8.5", "10", "", ""],
        "advance": "0",
        "minimum_guarantee": "0",
    }
    bad = await post_form(client, "/staff/agreements/new", form, page="/staff/agreements/new")
    assert bad.status_code == 400
    assert (
        'id="tier-2" class="has-error"' in bad.text and 'id="tier-3" class="has-error"' in bad.text
    )
    assert 'id="tier-1" class="has-error"' not in bad.text
    assert "Tier row 3: give a rate too, or clear the row." in bad.text
    assert 'value="2000.00"' in bad.text and 'value="8.5"' in bad.text

    form |= {"tier_threshold": ["0", "1000", ""], "tier_rate": ["8.5", "12.25", ""]}
    made = await post_form(client, "/staff/agreements/new", form, page="/staff/agreements/new")
    assert made.status_code == 303
    async with db.read_session() as session:
        agreement = await get_agreement_by_code(session, "LA-2026-0100")
        assert agreement.rate_bps == 850
        assert [(t.threshold_minor, t.rate_bps) for t in agreement.tiers] == [
            (0, 850),
            (100_000, 1225),
        ]


# --- period pickers -----------------------------------------------------------------------


def test_period_choices_run_from_the_earliest_known_period_to_the_current_one() -> None:
    assert period_choices({"2024-Q3"}, "2025-Q1") == [
        "2025-Q1",
        "2024-Q4",
        "2024-Q3",
        "2024-Q2",  # the current period and the three before it are always offered
    ]
    assert period_choices({"2023-Q4"}, "2024-Q4")[-1] == "2023-Q4"
    # Without history, the current period and the three before it.
    assert period_choices(set(), "2026-Q1") == ["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]
    # A period asked for is offered (selected) even when it is outside the range.
    assert "2031-Q1" in period_choices(set(), "2026-Q1", chosen="2031-Q1")
    assert len(period_choices({"1990-Q1"}, "2026-Q1")) == 40  # at most ten years of them


async def test_reports_and_audit_pick_their_period_from_a_list(
    client: httpx.AsyncClient, db: Database
) -> None:
    world = await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    current = period_of(now_utc())

    reports = await client.get("/staff/reports?period=2025-Q3")
    picker = reports.text[reports.text.index('<select id="f-period"') :]
    picker = picker[: picker.index("</select>")]
    options = re.findall(r'<option value="([^"]+)"', picker)
    assert options[0] == current and "2025-Q3" in options and "2025-Q4" in options
    assert next_period(current) not in options  # nothing offered that has not begun
    assert '<option value="2025-Q3" selected>' in picker
    assert 'name="period" value=' not in reports.text  # no free-text period field

    audit = await client.get(f"/staff/agreements/{world.agreement_code}/audit?period=2025-Q4")
    picker = audit.text[audit.text.index('<select id="f-period"') :]
    options = re.findall(r'<option value="([^"]+)"', picker[: picker.index("</select>")])
    # The agreement runs 2025-07-01 to 2026-06-30: its quarters that have begun.
    assert options[-1] == "2025-Q3" and "2025-Q2" not in options
    assert options[0] == min("2026-Q2", current)
    assert previous_period(options[0]) in options
