"""Fixtures of the order tests: the clock and a small shop (see tests/orders/shop.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from kernel.clock import now_utc
from kernel.db import Database
from tests.orders.shop import Shop, build_shop


@pytest.fixture
def now() -> datetime:
    return now_utc()


@pytest.fixture
async def shop(db: Database, now: datetime) -> Shop:
    return await build_shop(db, now=now)
