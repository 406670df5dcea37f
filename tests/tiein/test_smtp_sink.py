"""The local SMTP sink and the staff Outbox page (SPEC §8, DESIGN §5): `tiein serve` without
TIEIN_SMTP_URL starts an aiosmtpd sink on loopback that keeps what it receives, stops it on
every way out (and it dies with a killed serve), and staff read the e-mails in the console."""

from __future__ import annotations

import dataclasses
import html
import re
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from catalog.models import Showtime
from catalog.tickets import issue_tickets
from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome, drain
from kernel.outbox import enqueue
from messaging.email import email_handlers
from messaging.mail import mailbox
from orders.models import Order
from tests.factory import make_order, make_ticket_line, order_shop, staff_member
from tests.fixtures.stripe import in_process
from tests.messaging.conftest import FAST
from tests.storefront.console import sign_in
from tests.tiein.test_serve import Serve, _alive, _wait_gone
from tiein import migrate
from tiein.smtp_sink import start_sink, stop_sink


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A sink child process storing into a temporary directory: (directory, SMTP URL)."""
    directory = tmp_path / "mail"
    process, port = start_sink(directory)
    try:
        yield directory, f"smtp://127.0.0.1:{port}?starttls=false"
    finally:
        stop_sink(process)
    assert process.poll() is not None


@pytest.fixture
def sink_settings(settings: Settings, sink: tuple[Path, str]) -> Settings:
    directory, url = sink
    return dataclasses.replace(settings, smtp_url=url, mail_sink_dir=str(directory))


@pytest.fixture
async def staff_client(sink_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from tiein.app import create_app

    async with in_process(create_app(sink_settings, database=db)) as client:
        await staff_member(db)
        await sign_in(client)
        yield client


async def a_receipt_with_tickets(db: Database, now: datetime) -> tuple[int, Order]:
    """A paid order of two tickets with its receipt queued: (outbox id, order)."""
    shop = await order_shop(db, now=now)
    async with db.session() as s:
        showtime = await s.get(Showtime, shop.showtime_id)
        assert showtime is not None
        line = await make_ticket_line(s, showtime, 2, now=now)
        await issue_tickets(s, order_line_id=line.id, showtime_id=showtime.id, count=2, now=now)
        message_id = await enqueue(s, "email.receipt", {"order_id": line.order_id}, now=now)
        order = await s.get(Order, line.order_id)
    assert message_id is not None and order is not None
    return message_id, order


async def test_the_sink_keeps_each_message_it_receives_with_its_inline_images(
    db: Database, sink_settings: Settings, sink: tuple[Path, str]
) -> None:
    message_id, order = await a_receipt_with_tickets(db, now_utc())

    outcomes = await drain(db, email_handlers(db, sink_settings), worker_id="w", policy=FAST)

    assert outcomes == {Outcome.DONE: 1}
    [mail] = mailbox.received(sink[0])
    assert mail.outbox_id == message_id
    assert mail.subject == f"Your receipt for order {order.number}"
    assert mail.to == "fan@example.com"
    assert order.number in mail.text
    assert mail.attachments == 3  # the two QR codes and the e-tickets PDF
    assert mail.html.count('src="data:image/png;base64,') == 2 and "cid:" not in mail.html
    assert mailbox.read(sink[0], "../../etc/passwd") is None
    assert mailbox.read(sink[0], mail.name) == mail


async def test_staff_see_the_outbox_and_the_received_mail_in_a_sandboxed_frame(
    db: Database, staff_client: httpx.AsyncClient, sink_settings: Settings
) -> None:
    now = now_utc()
    _, order = await a_receipt_with_tickets(db, now)
    async with db.session() as s:
        bad = await make_order(s, now=now, email="nobody")
        await enqueue(s, "email.receipt", {"order_id": bad.id}, now=now)
        await enqueue(s, "email.orders_link", {"email": "fan@example.com"}, now=now)
    await drain(db, email_handlers(db, sink_settings), worker_id="w", policy=FAST, max_batches=1)

    page = await staff_client.get("/staff/outbox")
    assert page.status_code == 200
    assert 'href="/staff/outbox">Outbox</a>' in page.text  # in the staff navigation
    rows = re.findall(r'<tr class="outbox-(\w+)">(.*?)</tr>', page.text, re.S)
    by_status = {status: body for status, body in rows}
    assert set(by_status) == {"sent", "failed"}
    assert f"Your receipt for order {order.number}" in by_status["sent"]
    assert "fan@example.com" in by_status["sent"] and "view</a>" in by_status["sent"]
    assert "cannot address this e-mail" in by_status["failed"]
    assert "Received by the local SMTP sink" in page.text
    failed_only = await staff_client.get("/staff/outbox?status=failed")
    assert "outbox-sent" not in failed_only.text and "outbox-failed" in failed_only.text

    link = re.search(r'href="(/staff/outbox/mail/[^"]+)">view</a>', page.text)
    assert link is not None
    mail_page = await staff_client.get(link.group(1))
    assert mail_page.status_code == 200
    frame = re.search(r'<iframe[^>]* sandbox srcdoc="([^"]*)"', mail_page.text)
    assert frame is not None
    assert "<script" not in frame.group(1)  # the HTML is an escaped attribute value
    assert order.number in html.unescape(frame.group(1))
    assert "script-src 'none'" in mail_page.headers["content-security-policy"]
    assert order.number in mail_page.text  # the plain-text body too
    assert (await staff_client.get("/staff/outbox/mail/nothing.eml")).status_code == 404


async def test_the_outbox_page_is_for_staff_only(client: httpx.AsyncClient) -> None:
    answer = await client.get("/staff/outbox", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/staff/login")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_serve_without_smtp_starts_the_sink_and_it_ends_with_the_serve(
    tmp_path: Path, how: signal.Signals
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    migrate.upgrade(url, "head")
    serve = Serve(url, tmp_path, "--no-localstripe", "--no-jobs")
    try:
        found = re.search(r"local SMTP sink on 127\.0\.0\.1:(\d+)", serve.output())
        assert found, serve.output()
        [sink_pid] = _children(serve.process.pid)
        assert _alive(sink_pid)
    finally:
        serve.stop(how)
    assert _wait_gone(sink_pid), "the SMTP sink outlived tiein serve"
