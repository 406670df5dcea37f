"""Fixtures shared by the storefront tests: `shop`, the app configured for localstripe and
driven in-process (the plain `client` fixture has no payment keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kernel.config import Settings
from kernel.db import Database
from tests.fixtures.stripe import in_process
from tiein.app import create_app


@pytest.fixture
async def shop(stripe_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app configured for localstripe, driven in-process."""
    async with in_process(create_app(stripe_settings, database=db)) as c:
        yield c
