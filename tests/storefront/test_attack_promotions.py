"""Campaign pages, referral links and cached shop pages attacked as a hostile client would
(SPEC §9, issue 14's page cache)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from kernel.db import Database
from orders.promotion_models import Campaign
from tests.factory import make_film, staff_member
from tests.storefront.console import post_form, sign_in


async def test_the_last_possible_day_is_refused_in_words_not_a_server_error(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    async with db.session() as session:
        film = await make_film(session, title="Night Train")
    form = {"name": "Forever", "channel": "referral", "starts_on": "2026-01-01",
            "ends_on": "9999-12-31", "film_ids": [str(film.id)]}  # fmt: skip
    refused = await post_form(client, "/staff/campaigns", form)
    assert refused.status_code == 400
    assert "Give a date like 2026-05-01." in refused.text
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Campaign.id))) == 0
