"""The receipt (SPEC §8): queued when a payment settles the order, once; sent over SMTP with
the lines, the totals, the e-tickets as inline QR images and a signed link that opens the
order page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import select

from catalog.models import Ticket
from kernel.db import Database
from kernel.drainer import Outcome
from kernel.outbox import OutboxMessage, OutboxStatus
from orders.card_step import confirm_payment
from orders.models import Order, OrderLine
from orders.order_links import order_link_path, sign_order_token
from orders.payments import StripeGateway
from orders.settlement import settle_order
from tests.factory import Shop
from tests.fixtures.smtp import SmtpSink
from tests.orders.shop import checkout, fetch_order, full_cart
from tests.prices import usd

LINK = re.compile(r"http://127\.0\.0\.1:8000(/orders/[^\s\"'<>]+)")


async def paid_order(db: Database, shop: Shop, gateway: StripeGateway, now: datetime) -> Order:
    placed = await checkout(db, full_cart(shop), gateway, now=now)
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    return await fetch_order(db, placed.order.id)


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.read_session() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def ticket_codes(db: Database, order: Order) -> list[str]:
    async with db.read_session() as s:
        rows = await s.scalars(
            select(Ticket.code)
            .join(OrderLine, OrderLine.id == Ticket.order_line_id)
            .where(OrderLine.order_id == order.id)
            .order_by(Ticket.id)
        )
        return list(rows)


def parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def test_paying_queues_one_receipt_and_a_second_settlement_queues_none(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    order = await paid_order(db, shop, gateway, now)
    async with db.session() as s:
        assert await settle_order(s, order.id, now=now) is False  # the same news again
    queued = await outbox(db)
    assert [(m.kind, m.payload, m.dedupe_key) for m in queued] == [
        ("email.receipt", {"order_id": order.id}, f"receipt:{order.id}")
    ]


async def test_the_receipt_has_lines_totals_inline_ticket_qr_codes_and_a_working_link(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
    client: httpx.AsyncClient,
) -> None:
    order = await paid_order(db, shop, gateway, now)

    outcomes = await send_mail()

    assert outcomes == {Outcome.DONE: 1}
    assert [m.status for m in await outbox(db)] == [OutboxStatus.DONE.value]
    [message] = smtp.messages
    assert smtp.envelopes == [("shop@tiein.test", ["fan@example.com"])]
    assert message["Subject"] == f"Your receipt for order {order.number}"
    assert message["To"].addresses[0].display_name == "Ada Fan"
    assert message["From"].addresses[0].addr_spec == "shop@tiein.test"
    # plain text and HTML, the HTML with its images: multipart/related inside the alternative;
    # the e-tickets PDF attached after it (tests/messaging/test_eticket_pdf.py reads it)
    assert parts(message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "image/png",
        "application/pdf",
    ]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert order.number in body
        assert usd(10200) in body  # 2 shirts + a ticket + a bundle
        assert "Lighthouse tee" in body and "Night Harbor" in body
    codes = await ticket_codes(db, order)
    assert len(codes) == 2  # the ticket line's and the bundle's
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    for code, image in zip(codes, images, strict=True):
        assert code in text and code in html
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert image.get_content_disposition() == "inline"
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")

    # The link is absolute (TIEIN_PUBLIC_URL), signed, and opens the order page.
    paths = set(LINK.findall(text))
    assert len(paths) == 1
    path = paths.pop()
    assert "token=" in path and "key=" not in path
    page = await client.get(path)
    assert page.status_code == 200
    assert f"Order {order.number}" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_a_signed_link_opens_only_its_order_and_only_until_it_expires(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime, client: httpx.AsyncClient
) -> None:
    order = await paid_order(db, shop, gateway, now)
    other = await paid_order(db, shop, gateway, now)
    good = sign_order_token("test-secret-key", order.number, expires_at=now + timedelta(hours=1))
    assert (await client.get(order_link_path(order.number, good))).status_code == 200

    expired = sign_order_token("test-secret-key", order.number, expires_at=now - timedelta(1))
    foreign = sign_order_token("another-key", order.number, expires_at=now + timedelta(hours=1))
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for number, token in [
        (order.number, expired),
        (order.number, foreign),
        (order.number, tampered),
        (other.number, good),  # a token opens the order it was signed for, no other
        (order.number, ""),
    ]:
        answer = await client.get(order_link_path(number, token))
        assert answer.status_code == 404, (number, token)
    assert (await client.get(f"/orders/{order.number}?token={'x' * 5000}")).status_code == 400
