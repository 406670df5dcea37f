"""Two staff onboard the same slug at the same moment: both pass the duplicate check, the
unique index lets one in, and the other gets the DUPLICATE refusal on `slug`, not a 500."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from kernel.db import Database
from kernel.errors import DomainError
from licensing.merchants import ContactInput, MerchantContact, create_merchant
from licensing.models import Merchant


async def _onboard(db: Database, name: str, *, hold: asyncio.Event | None = None) -> Merchant:
    async with db.session() as session:
        merchant = await create_merchant(
            session, slug="twin-co", name=name, country="GB",
            contacts=[ContactInput("Finn", "finn@twin.example", "finance")],
        )  # fmt: skip
        if hold is not None:
            await hold.wait()  # the row is written, not yet committed
        return merchant


async def test_two_onboardings_of_one_slug_at_once_one_wins(db: Database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time: there is no such race there")
    # Given a first onboarding that has written "twin-co" but not committed yet
    release = asyncio.Event()
    first = asyncio.create_task(_onboard(db, "Twin Co", hold=release))
    await asyncio.sleep(0.3)
    # When a second one of the same slug starts (its duplicate check sees nothing yet) and
    # the first then commits
    second = asyncio.create_task(_onboard(db, "Twin Company"))
    await asyncio.sleep(0.3)
    release.set()
    results = await asyncio.gather(first, second, return_exceptions=True)
    # Then the first is stored and the second is refused in words, naming the slug
    assert isinstance(results[0], Merchant), results
    refused = results[1]
    assert isinstance(refused, DomainError), results
    assert (refused.code, refused.field) == ("DUPLICATE", "slug")
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Merchant.id))) == 1
        assert await session.scalar(select(func.count(MerchantContact.id))) == 1
