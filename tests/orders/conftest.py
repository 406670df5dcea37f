"""Fixtures of the order tests: the clock and a small shop (tests.factory.order_shop)."""

from __future__ import annotations

from datetime import datetime

import pytest

from kernel.clock import now_utc
from kernel.db import Database
from tests.factory import Shop, order_shop


@pytest.fixture
def now() -> datetime:
    return now_utc()


@pytest.fixture
async def shop(db: Database, now: datetime) -> Shop:
    return await order_shop(db, now=now)
