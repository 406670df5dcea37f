"""Fixtures of the messaging tests: a real HTTP receiver on a loopback port, and settings
that let webhooks reach it (TIEIN_WEBHOOK_ALLOW_PRIVATE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from kernel.config import Settings
from tests.graphql.conftest import gql, world  # noqa: F401 (the GraphQL world and client)
from tests.messaging.receiver import Receiver


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
