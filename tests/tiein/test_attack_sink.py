"""Attacks on the local SMTP sink and the staff Outbox page (hostile review of issues 10-11):
any process on the host may write to the sink's loopback port, so what it keeps must never
break the page staff read it with."""

from __future__ import annotations

import dataclasses
import smtplib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from messaging.mail import mailbox
from messaging.mail.mailbox import MAX_MESSAGE_BYTES
from tests.factory import staff_member
from tests.fixtures.stripe import in_process
from tests.storefront.console import sign_in
from tiein.smtp_sink import start_sink, stop_sink

UNKNOWN_CHARSET = b"Subject: hello\r\nContent-Type: text/html; charset=x-bogus\r\n\r\n<p>hi</p>\r\n"
SUPERSCRIPT_ID = b"Subject: two\r\nX-Tiein-Outbox: \xc2\xb2\r\n\r\nbody\r\n"
ARABIC_DIGIT_ID = b"Subject: three\r\nX-Tiein-Outbox: \xd9\xa3\r\n\r\nbody\r\n"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    directory = tmp_path / "mail"
    process, port = start_sink(directory)
    try:
        yield directory, port
    finally:
        stop_sink(process)


@pytest.mark.parametrize("raw", [UNKNOWN_CHARSET, SUPERSCRIPT_ID, ARABIC_DIGIT_ID])
def test_a_malformed_message_is_listed_not_a_crash(tmp_path: Path, raw: bytes) -> None:
    mailbox.save(tmp_path, raw, now=now_utc())
    [mail] = mailbox.received(tmp_path)
    assert mail.outbox_id is None  # only ASCII digits name an outbox message
    assert mail.subject in ("hello", "two", "three")
    if raw is UNKNOWN_CHARSET:
        assert "hi" in mail.html


def test_a_message_over_the_limit_is_not_read_back(tmp_path: Path) -> None:
    saved = mailbox.save(tmp_path, b"Subject: big\r\n\r\n" + b"x" * 100, now=now_utc())
    with saved.open("ab") as grow:
        grow.truncate(MAX_MESSAGE_BYTES + 1)
    assert mailbox.received(tmp_path) == []
    assert mailbox.read(tmp_path, saved.name) is None


def test_the_sink_refuses_a_message_over_the_limit(sink: tuple[Path, int]) -> None:
    directory, port = sink
    body = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (MAX_MESSAGE_BYTES // 1000 + 1)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp, pytest.raises(smtplib.SMTPException):
        smtp.sendmail("a@example.com", ["b@example.com"], body)
    assert list(directory.glob("*.eml")) == []


@pytest.fixture
async def staff_client(
    settings: Settings, db: Database, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    from tiein.app import create_app

    sink_settings = dataclasses.replace(settings, mail_sink_dir=str(tmp_path))
    async with in_process(create_app(sink_settings, database=db)) as client:
        await staff_member(db)
        await sign_in(client)
        yield client


async def test_the_outbox_page_survives_a_malformed_message(
    staff_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    saved = mailbox.save(tmp_path, UNKNOWN_CHARSET, now=datetime(2026, 1, 1))
    page = await staff_client.get("/staff/outbox")
    assert page.status_code == 200
    mail = await staff_client.get(f"/staff/outbox/mail/{saved.name}")
    assert mail.status_code == 200
