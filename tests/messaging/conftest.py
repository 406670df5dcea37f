"""Fixtures of the messaging tests: a shop, a paid order, the mail settings and a drain; a
real HTTP receiver on a loopback port, and settings that let webhooks reach it
(TIEIN_WEBHOOK_ALLOW_PRIVATE)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome, RetryPolicy, drain
from messaging.email import email_handlers
from tests.factory import Shop, order_shop
from tests.fixtures.smtp import SmtpSink
from tests.graphql.conftest import gql, world  # noqa: F401 (the GraphQL world and client)
from tests.messaging.receiver import Receiver

FAST = RetryPolicy(first_delay=timedelta(milliseconds=1), max_delay=timedelta(milliseconds=5))


@pytest.fixture
def now() -> datetime:
    return now_utc()


@pytest.fixture
async def shop(db: Database, now: datetime) -> Shop:
    return await order_shop(db, now=now)


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    """The test settings, sending through the test's SMTP server."""
    sender = "Tiein Shop <shop@tiein.test>"
    return dataclasses.replace(settings, smtp_url=smtp.url, mail_from=sender)


@pytest.fixture
def send_mail(db: Database, mail_settings: Settings) -> Callable:
    """Run the e-mail handlers over every due outbox message (as a worker would)."""

    async def run(settings: Settings | None = None, **options: object) -> Counter[Outcome]:
        handlers = email_handlers(db, settings or mail_settings)
        return await drain(db, handlers, worker_id="test-mailer", policy=FAST, **options)

    return run


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    base = Settings(database_url=database_url, secret_key="test-secret-key", allowed_hosts=("*",))
    return replace(base, webhook_allow_private=True, webhook_first_delay=1, webhook_max_delay=1)
