"""Closing a period waits for postings under way, so none lands behind a freshly closed one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from kernel.db import Database
from licensing.closing import close_period
from licensing.models import Period, PeriodStatus
from licensing.periods import hold_periods, last_closed_period

AFTER_Q2 = datetime(2026, 7, 2, tzinfo=UTC)


async def test_a_close_waits_until_the_posting_under_way_commits(db: Database) -> None:
    async with db.sessions() as posting:
        # A posting has read which periods are closed and holds them steady...
        await posting.begin()
        assert await last_closed_period(posting) is None
        await hold_periods(posting, exclusive=False)

        async def close() -> None:
            async with db.session() as session:
                await close_period(session, "2026-Q2", now=AFTER_Q2, closed_by="staff")

        closing = asyncio.create_task(close())
        await asyncio.sleep(0.5)
        # ...so the close cannot happen before the posting is done.
        assert not closing.done()
        await posting.commit()
    await asyncio.wait_for(closing, timeout=30)
    async with db.read_session() as session:
        status = await session.scalar(select(Period.status).where(Period.name == "2026-Q2"))
    assert status == PeriodStatus.CLOSED
