"""Fixtures of the catalog tests: their clock and the catalog world (tests.factory), committed
on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kernel.db import Database
from tests.factory import CatalogWorld as World
from tests.factory import catalog_world

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: Database) -> World:
    """The catalog world, committed (each test then works in sessions of its own)."""
    async with db.session() as session:
        return await catalog_world(session, now=NOW)
