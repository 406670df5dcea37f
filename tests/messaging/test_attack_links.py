"""Attacks on signed order links and the order page (hostile review of issues 10-11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from kernel.db import Database
from kernel.drainer import Outcome
from kernel.outbox import enqueue
from orders.order_links import order_link_path, order_token_opens, sign_order_token
from tests.factory import make_order, shipping_address
from tests.fixtures.smtp import SmtpSink


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


XSS = '<img src=x onerror="alert(1)">'


async def test_a_shipping_name_and_line_are_inert_in_the_receipt_and_order_page(
    db: Database, now: datetime, client: httpx.AsyncClient, smtp: SmtpSink, send_mail: Callable
) -> None:
    address = shipping_address("US", name=XSS + "\u202e", line1="1 " + XSS)
    async with db.session() as s:
        order = await make_order(s, now=now, total_minor=1200, address=address)
        await enqueue(s, "email.receipt", {"order_id": order.id}, now=now)
    assert await send_mail() == {Outcome.DONE: 1}
    [message] = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert message["To"].addresses[0].addr_spec == "fan@example.com"
    token = sign_order_token("test-secret-key", order.number, expires_at=now + timedelta(hours=1))
    page = await client.get(order_link_path(order.number, token))
    assert page.status_code == 200
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
