"""The receipt's e-tickets as a PDF (SPEC §8, §10): attached to the receipt e-mail, one
page per ticket with its code, the film, the cinema, the showing's local time with its zone
named and the order's seats for that showing; the QR code is in it as an image. Without
WeasyPrint's libraries the receipt still goes out, with its QR codes inline, and no PDF."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import datetime

import pypdf
import pytest
from sqlalchemy import select

from catalog.models import Cinema, Showtime
from kernel.db import Database
from kernel.i18n import format_moment
from orders.payments import StripeGateway
from tests.factory import Shop
from tests.fixtures.smtp import SmtpSink
from tests.messaging.test_receipts import paid_order, parts, ticket_codes


async def showing(db: Database, shop: Shop) -> tuple[Showtime, Cinema]:
    async with db.read_session() as s:
        showtime = await s.get(Showtime, shop.showtime_id)
        cinema = await s.scalar(select(Cinema).where(Cinema.id == showtime.cinema_id))
        return showtime, cinema


async def test_the_receipt_carries_the_e_tickets_as_a_pdf(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
) -> None:
    # Given a paid order with two tickets for one showing (a ticket line and a bundle's)
    order = await paid_order(db, shop, gateway, now)
    codes = await ticket_codes(db, order)
    showtime, cinema = await showing(db, shop)
    # When the receipt is sent
    await send_mail()
    [message] = smtp.messages
    # Then a PDF named after the order is attached
    [attachment] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == f"e-tickets-{order.number}.pdf"
    data = attachment.get_content()
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(codes) == 2
    when = format_moment(showtime.starts_at, cinema.timezone, "en", with_year=True)
    for n, (code, page) in enumerate(zip(codes, reader.pages, strict=True), start=1):
        text = " ".join(page.extract_text().split())
        assert code in text.replace(" ", "") or code in text
        assert "Night Harbor" in text and cinema.name in text and cinema.city in text
        assert when in text and f"time zone {cinema.timezone}" in text
        assert f"seat {n} of 2" in text
    qr_images = {image.data for page in reader.pages for image in page.images}
    assert len(qr_images) == len(codes), "each ticket's QR code is an image of its own"
    # and both bodies say it is attached
    assert f"e-tickets-{order.number}.pdf" in message.get_body(("plain",)).get_content()


async def test_without_weasyprint_the_receipt_goes_out_without_the_pdf(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    order = await paid_order(db, shop, gateway, now)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    await send_mail()
    [message] = smtp.messages
    assert "application/pdf" not in parts(message)
    assert parts(message).count("image/png") == 2  # the QR codes inline, as before
    assert "e-tickets-" not in message.get_body(("plain",)).get_content()
    assert any("without its e-tickets PDF" in r.getMessage() for r in caplog.records)
    assert order.number in message["Subject"]
