"""Attacks on signed order links and the order page (hostile review of issues 10-11)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from kernel.db import Database
from orders.order_links import order_link_path, order_token_opens, sign_order_token
from tests.factory import make_order


async def test_a_valid_token_on_a_non_ascii_order_number_is_a_404_not_a_500(
    db: Database, now: datetime, client: httpx.AsyncClient
) -> None:
    async with db.session() as s:
        order = await make_order(s, now=now, email="fan@example.com", total_minor=1200)
    token = sign_order_token("test-secret-key", order.number, expires_at=now + timedelta(hours=1))
    assert not order_token_opens("test-secret-key", token, "é" + order.number, now=now)
    for number in ("é", order.number + "é", "\u202e" + order.number, "😀"):
        answer = await client.get(order_link_path(quote(number), token))
        assert answer.status_code == 404, number
