"""Check-in at the door through the staff page: a ticket admits once (SPEC §5)."""

from __future__ import annotations

import httpx

from kernel.clock import now_utc
from kernel.db import Database
from tests.factory import door_world, staff_member
from tests.storefront.console import post_form, sign_in


async def _check_in(client: httpx.AsyncClient, code: str, showtime_id: int | str) -> httpx.Response:
    return await post_form(
        client,
        "/staff/check-in",
        {"code": code, "showtime_id": str(showtime_id)},
        page="/staff/check-in",
    )


async def test_a_ticket_admits_once_and_the_second_scan_says_already_used_with_when(
    client: httpx.AsyncClient, db: Database
) -> None:
    door = await door_world(db, now=now_utc())
    await staff_member(db)
    await sign_in(client)

    page = await client.get(f"/staff/check-in?showtime_id={door.showtime_id}")
    assert "Night Train" in page.text
    assert f'value="{door.showtime_id}" selected' in page.text

    first = await _check_in(client, door.codes[0], door.showtime_id)
    assert first.status_code == 200
    assert 'data-code="ADMITTED"' in first.text and "Admitted" in first.text
    assert "Admit one: Night Train, Roxy" in first.text
    # The door keeps its showtime selected for the next scan.
    assert f'value="{door.showtime_id}" selected' in first.text

    second = await _check_in(client, door.codes[0], door.showtime_id)
    assert second.status_code == 409
    assert 'data-code="ALREADY_USED"' in second.text and "Refused" in second.text
    assert "already used at " in second.text and " UTC" in second.text

    # The other ticket of the order is still good.
    other = await _check_in(client, door.codes[1], "")
    assert 'data-code="ADMITTED"' in other.text


async def test_the_door_refuses_a_ticket_of_another_showtime_and_an_unknown_code(
    client: httpx.AsyncClient, db: Database
) -> None:
    door = await door_world(db, now=now_utc())
    await staff_member(db)
    await sign_in(client)

    wrong = await _check_in(client, door.codes[0], door.other_showtime_id)
    assert wrong.status_code == 409
    assert 'data-code="WRONG_SHOWTIME"' in wrong.text

    unknown = await _check_in(client, "not-a-real-ticket-code", door.showtime_id)
    assert unknown.status_code == 409
    assert 'data-code="UNKNOWN_TICKET"' in unknown.text

    # Neither refusal used the ticket up.
    assert "ADMITTED" in (await _check_in(client, door.codes[0], door.showtime_id)).text
