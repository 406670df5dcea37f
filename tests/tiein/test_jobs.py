"""The periodic jobs inside the server (`tiein serve --jobs`, DESIGN §6).

Rules protected: a lapsed order is expired by the server itself within a tick and its items
go back on sale; until then the pay page does not claim they were released; a failing job
is logged and runs again at the next tick without stopping the runner; when several
processes serve one database, one of them runs the jobs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from orders.models import OrderStatus
from orders.payments import StripeGateway
from tests.factory import Shop, order_shop
from tests.orders.shop import checkout, fetch_order, full_cart, stock_of
from tiein.app import create_app
from tiein.jobs import PeriodicJobs


@pytest.fixture
async def shop(db: Database) -> Shop:
    return await order_shop(db, now=now_utc())


async def lapsed_order(db: Database, shop: Shop, gateway: StripeGateway):
    """An order placed 20 minutes ago: its 15-minute hold has run out, its items are held."""
    placed = await checkout(db, full_cart(shop), gateway, now=now_utc() - timedelta(minutes=20))
    assert await stock_of(db, shop.shirt_id) == 50 - 3
    return placed


async def test_the_lapsed_pay_page_says_the_items_are_still_held(
    db: Database, shop: Shop, gateway: StripeGateway, client: httpx.AsyncClient
) -> None:
    placed = await lapsed_order(db, shop, gateway)

    page = await client.get(f"/pay/{placed.order.number}", params={"key": placed.access_key})

    assert page.status_code == 200
    assert "The time to pay for this order has run out" in page.text
    assert "were released" not in page.text  # they are not, until the expiry job runs
    assert "still set aside" in page.text
    assert await stock_of(db, shop.shirt_id) == 50 - 3


async def test_the_server_expires_a_lapsed_order_within_a_tick_and_its_stock_is_back(
    db: Database, shop: Shop, gateway: StripeGateway, stripe_settings: Settings
) -> None:
    placed = await lapsed_order(db, shop, gateway)
    settings = dataclasses.replace(stripe_settings, jobs=True, jobs_interval=0.2)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        deadline = time.monotonic() + 15
        while (await fetch_order(db, placed.order.id)).status == OrderStatus.PENDING_PAYMENT:
            assert time.monotonic() < deadline, "the runner did not expire the order"
            await asyncio.sleep(0.05)
        page = await client.get(f"/pay/{placed.order.number}", params={"key": placed.access_key})

    assert (await fetch_order(db, placed.order.id)).status == OrderStatus.EXPIRED
    assert await stock_of(db, shop.shirt_id) == 50
    assert (await gateway.retrieve_intent(placed.order.payment_intent_id or "")).status == (
        "canceled"
    )
    assert page.status_code == 303  # nothing to pay any more: on to the order page
    assert page.headers["location"].startswith(f"/orders/{placed.order.number}?")


async def test_a_failing_job_is_logged_and_runs_again_at_the_next_tick(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/no-tables.db"  # every query fails: no such table
    broken = Database(url)
    jobs = PeriodicJobs(broken, Settings(database_url=url), interval=0.05)
    caplog.set_level(logging.ERROR, logger="tiein.jobs")
    try:
        jobs.start()
        deadline = time.monotonic() + 10
        while len([r for r in caplog.records if "failed" in r.getMessage()]) < 2:
            assert time.monotonic() < deadline, "the failing job was not tried again"
            await asyncio.sleep(0.02)
        assert jobs._task is not None and not jobs._task.done()  # the runner lives on
    finally:
        await jobs.stop()
        await broken.dispose()
    assert jobs._task is None
    assert "orders expire failed" in caplog.text


async def test_one_process_runs_the_jobs_of_a_database_another_takes_over(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    first, second = Database(url), Database(url)
    settings = Settings(database_url=url)
    leader, follower = PeriodicJobs(first, settings), PeriodicJobs(second, settings)
    try:
        assert leader.try_lead()
        assert leader.try_lead()  # still holds it
        assert not follower.try_lead()
        await leader.stop()
        assert follower.try_lead()
    finally:
        await leader.stop()
        await follower.stop()
        await first.dispose()
        await second.dispose()


def test_jobs_settings_come_from_the_environment() -> None:
    from kernel.config import load_settings

    assert load_settings({}).jobs is False
    assert load_settings({}).jobs_interval == 30
    on = load_settings({"TIEIN_JOBS": "1", "TIEIN_JOBS_INTERVAL": "2.5"})
    assert (on.jobs, on.jobs_interval) == (True, 2.5)
