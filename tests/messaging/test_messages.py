"""Refund and shipment notices, "e-mail me my orders", and what SMTP answers do to a message:
a 5xx fails it at once, a 4xx retries it; header injection is refused, non-ASCII names are
encoded (SPEC §8)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome
from kernel.i18n import translations
from kernel.outbox import OutboxMessage, OutboxStatus, enqueue
from messaging.mail.compose import LOCALE_DIR as MAIL_LOCALE_DIR
from orders.models import LineKind, Order, OrderLine, OrderStatus
from orders.payments import StripeGateway
from orders.refunds import refund_order_lines
from tests.factory import Shop, make_order, shipping_address
from tests.fixtures.smtp import SmtpSink
from tests.messaging.test_receipts import LINK, paid_order
from tests.prices import usd


async def queue(db: Database, kind: str, payload: dict[str, Any], now: datetime) -> int:
    async with db.session() as s:
        message_id = await enqueue(s, kind, payload, now=now)
    assert message_id is not None
    return message_id


async def row_of(db: Database, message_id: int) -> OutboxMessage:
    async with db.read_session() as s:
        row = await s.get(OutboxMessage, message_id)
    assert row is not None
    return row


async def an_order(db: Database, now: datetime, **fields: Any) -> Order:
    async with db.session() as s:
        return await make_order(s, now=now, total_minor=2500, **fields)


async def product_line(db: Database, order: Order) -> int:
    async with db.read_session() as s:
        line_id = await s.scalar(
            select(OrderLine.id).where(
                OrderLine.order_id == order.id, OrderLine.kind == LineKind.PRODUCT
            )
        )
    assert line_id is not None
    return line_id


async def test_a_completed_refund_sends_one_notice_with_the_amount_and_lines(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
) -> None:
    order = await paid_order(db, shop, gateway, now)
    shirts = await product_line(db, order)
    made = await refund_order_lines(
        db, order.id, [(shirts, 1)], restock=False, by="staff:ana", gateway=gateway, now=now
    )
    async with db.read_session() as s:
        notices = list(
            await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email.refund"))
        )
    assert [(n.payload, n.dedupe_key) for n in notices] == [
        ({"order_id": order.id, "refund_id": made.refund.id}, f"refund:{made.refund.id}")
    ]

    assert await send_mail() == {Outcome.DONE: 2}  # the receipt and the refund notice

    [notice] = [m for m in smtp.messages if m["Subject"].startswith("A refund")]
    assert notice["Subject"] == f"A refund for order {order.number}"
    text = notice.get_body(("plain",)).get_content()
    html = notice.get_body(("html",)).get_content()
    for body in (text, html):
        assert usd(2500) in body and "Lighthouse tee" in body
        assert usd(10200) not in body  # the refund's amount, not the order's
    assert len(set(LINK.findall(text))) == 1


async def test_the_shipment_notice_tells_carrier_tracking_and_lines_from_its_payload(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now, address=shipping_address("US"))
    shipment = {
        "carrier": "Harbor Post",
        "tracking_number": "HP-123<456>",
        "shipped_at": "2026-03-04T10:00:00+00:00",
        "lines": [{"description": "Lighthouse tee", "quantity": 2}],
    }
    await queue(db, "email.shipment", {"order_id": order.id, "shipment": shipment}, now)

    assert await send_mail() == {Outcome.DONE: 1}

    [message] = smtp.messages
    assert message["Subject"] == f"Order {order.number} is on its way"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Harbor Post" in text and "HP-123<456>" in text and "Mar 4, 2026" in text
    assert "2 \N{MULTIPLICATION SIGN} Lighthouse tee" in text
    assert "HP-123&lt;456&gt;" in html and "HP-123<456>" not in html  # HTML is escaped


async def test_a_malformed_shipment_or_a_missing_order_fails_at_once(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now)
    bad = await queue(db, "email.shipment", {"order_id": order.id, "shipment": "soon"}, now)
    gone = await queue(db, "email.receipt", {"order_id": 999_999}, now)

    assert await send_mail() == {Outcome.FAILED: 2}
    assert (await row_of(db, bad)).status == OutboxStatus.FAILED.value
    assert "no order 999999" in ((await row_of(db, gone)).last_error or "")
    assert smtp.messages == []


async def test_orders_link_lists_the_paid_orders_of_the_address_with_links_that_work(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable, client: httpx.AsyncClient
) -> None:
    recent = await an_order(db, now, email="Fan@Example.com")
    older = await an_order(db, now, email="fan@example.com", paid_at=now - timedelta(days=400))
    await an_order(db, now, email="fan@example.com", paid_at=now - timedelta(days=800))
    await an_order(
        db, now, email="fan@example.com", status=OrderStatus.PENDING_PAYMENT, paid_at=None
    )
    await an_order(db, now, email="someone.else@example.com")
    await queue(db, "email.orders_link", {"email": "fan@example.com"}, now)

    assert await send_mail() == {Outcome.DONE: 1}

    [message] = smtp.messages
    assert message["To"].addresses[0].addr_spec == "fan@example.com"
    text = message.get_body(("plain",)).get_content()
    paths = LINK.findall(text)
    assert [p.split("?")[0] for p in paths] == [
        f"/orders/{recent.number}",
        f"/orders/{older.number}",
    ]
    for path in paths:
        assert (await client.get(path)).status_code == 200


async def test_orders_link_for_an_address_without_orders_sends_nothing(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    await an_order(db, now, email="fan@example.com")
    message_id = await queue(db, "email.orders_link", {"email": "nobody@example.com"}, now)

    assert await send_mail() == {Outcome.DONE: 1}
    assert (await row_of(db, message_id)).status == OutboxStatus.DONE.value
    assert smtp.messages == []


async def test_a_permanent_smtp_refusal_fails_the_message_at_once(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now)
    message_id = await queue(db, "email.receipt", {"order_id": order.id}, now)
    smtp.refuse("550 5.1.1 No such mailbox")

    assert await send_mail() == {Outcome.FAILED: 1}
    row = await row_of(db, message_id)
    assert row.status == OutboxStatus.FAILED.value and row.attempts == 1
    assert "550" in (row.last_error or "")


async def test_a_temporary_smtp_refusal_is_retried_until_it_goes_through(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now)
    message_id = await queue(db, "email.receipt", {"order_id": order.id}, now)
    smtp.refuse("451 4.3.0 Try again later")

    assert await send_mail(max_batches=1) == {Outcome.RETRY: 1}
    row = await row_of(db, message_id)
    assert row.status == OutboxStatus.PENDING.value and "451" in (row.last_error or "")
    assert smtp.messages == []

    smtp.refuse(None)
    await asyncio.sleep(0.01)  # past the (millisecond) back-off
    assert await send_mail() == {Outcome.DONE: 1}
    row = await row_of(db, message_id)
    assert row.status == OutboxStatus.DONE.value and row.attempts == 2
    assert len(smtp.messages) == 1


async def test_no_smtp_server_configured_keeps_the_message_waiting(
    db: Database, now: datetime, mail_settings: Settings, send_mail: Callable
) -> None:
    order = await an_order(db, now)
    message_id = await queue(db, "email.receipt", {"order_id": order.id}, now)
    unconfigured = dataclasses.replace(mail_settings, smtp_url="")

    assert await send_mail(unconfigured, max_batches=1) == {Outcome.RETRY: 1}
    assert "TIEIN_SMTP_URL" in ((await row_of(db, message_id)).last_error or "")


@pytest.mark.parametrize(
    "fields",
    [
        {"address": shipping_address("US", name="Ada\r\nBcc: victim@example.net")},
        {"address": shipping_address("US", name="Ada\nBcc: victim@example.net")},
        {"email": "fan@example.com\r\nBcc: victim@example.net"},
        {"email": "fan@example.com, victim@example.net"},
        {"email": "not an address"},
    ],
)
async def test_header_injection_through_a_name_or_an_address_is_refused(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable, fields: dict[str, Any]
) -> None:
    order = await an_order(db, now, **fields)
    message_id = await queue(db, "email.receipt", {"order_id": order.id}, now)

    assert await send_mail() == {Outcome.FAILED: 1}
    assert "cannot address this e-mail" in ((await row_of(db, message_id)).last_error or "")
    assert smtp.messages == []


async def test_non_ascii_names_are_encoded_in_the_headers(
    db: Database, now: datetime, mail_settings: Settings, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now, address=shipping_address("US", name="Zoë Ångström 山田"))
    await queue(db, "email.receipt", {"order_id": order.id}, now)
    settings = dataclasses.replace(mail_settings, mail_from="Boutique Été <shop@tiein.test>")

    assert await send_mail(settings) == {Outcome.DONE: 1}

    [raw] = smtp.raw
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # RFC 2047 encoded words, not raw UTF-8
    assert b"=?utf-8?" in headers
    [message] = smtp.messages
    assert message["To"].addresses[0].display_name == "Zoë Ångström 山田"
    assert message["From"].addresses[0].display_name == "Boutique Été"


async def test_the_shipment_notice_of_a_japanese_order_has_no_english_headings(
    db: Database, now: datetime, smtp: SmtpSink, send_mail: Callable
) -> None:
    order = await an_order(db, now, address=shipping_address("US"), language="ja")
    shipment = {
        "carrier": "Harbor Post",
        "tracking_number": "HP-1",
        "shipped_at": "2026-03-04T10:00:00+00:00",
        "lines": [{"description": "Lighthouse tee", "quantity": 2}],
    }
    await queue(db, "email.shipment", {"order_id": order.id, "shipment": shipment}, now)

    assert await send_mail() == {Outcome.DONE: 1}

    html = smtp.messages[0].get_body(("html",)).get_content()
    ja = translations(str(MAIL_LOCALE_DIR), "ja")
    for heading in ("In this parcel", "Qty"):
        assert ja.ugettext(heading) != heading and f">{ja.ugettext(heading)}</th>" in html
    assert ">Qty<" not in html
