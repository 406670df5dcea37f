"""The periodic jobs of SPEC §9 on the demo's history: `stock.low` for products the demand
forecast expects to run out of (once per product per day), and the co-purchase counts that
the storefront's recommendations read in one statement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from catalog.models import Film, Product
from kernel.db import Database
from licensing.alert_models import ForecastAlert
from licensing.webhooks import WebhookDelivery, create_subscription
from reports.recommendation_models import CoPurchase
from storefront.shop.recommendations import Sources, also_bought
from tests.conftest import count_queries
from tiein.demo import load_demo
from tiein.jobs import forecast_stock_alerts, refresh_recommendations_job

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


async def test_forecast_alerts_and_recommendations_on_the_demo(db: Database) -> None:
    # given the demo, a tee of Starfall Rising down to 1 unit, its merchant subscribed
    await load_demo(db, orders=150, today=TODAY, progress=False)
    async with db.session() as session:
        tee = await session.scalar(
            select(Product).where(Product.name == "Starfall Rising Gate Logo Tee")
        )
        assert tee is not None
        await session.execute(update(Product).where(Product.id == tee.id).values(stock=1))
        await create_subscription(
            session, merchant_id=tee.merchant_id, url="http://127.0.0.1:9/hooks",
            events=["stock.low"], key="k", now=NOW, allow_private=True,
        )  # fmt: skip
    # when the forecast job runs twice on one day, then once more the next day
    await forecast_stock_alerts(db, now=NOW)
    await forecast_stock_alerts(db, now=NOW + timedelta(hours=1))
    async with db.read_session() as s:
        alerts = (await s.scalars(select(ForecastAlert.product_id))).all()
        sent = (
            await s.scalars(
                select(WebhookDelivery).where(WebhookDelivery.event_type == "stock.low")
            )
        ).all()
    # then the tee was flagged once, and its merchant told once, with the forecast
    assert alerts.count(tee.id) == 1
    mine = [d for d in sent if d.payload["data"]["product"]["sku"] == tee.sku]
    assert len(mine) == 1 and mine[0].payload["data"]["forecast"]["window_days"] == 14
    assert float(mine[0].payload["data"]["forecast"]["expected_units"]) > 1
    await forecast_stock_alerts(db, now=NOW + timedelta(days=1))
    async with db.read_session() as s:
        again = await s.scalar(
            select(func.count(ForecastAlert.id)).where(ForecastAlert.product_id == tee.id)
        )
    assert again == 2

    # when the recommendations job runs, then a film's page reads them in one statement
    await refresh_recommendations_job(db, now=NOW)
    async with db.read_session() as s:
        assert await s.scalar(select(func.count(CoPurchase.id))) > 0
        film = await s.scalar(select(Film).where(Film.slug == "starfall-rising"))
        assert film is not None
        with count_queries(db) as counter:
            products = await also_bought(s, Sources(film_ids=[film.id]), country="US", now=NOW)
        assert counter.count == 1
        assert products and all(p.stock > 0 for p in products)
        # a product's own page leaves it out; a country where nothing is licensed gets none
        with count_queries(db) as counter:
            others = await also_bought(
                s, Sources(skus=[products[0].sku], showtime_ids=[1]), country="US", now=NOW
            )
        assert counter.count == 1 and products[0].id not in {p.id for p in others}
        assert await also_bought(s, Sources(film_ids=[film.id]), country="AQ", now=NOW) == []


async def test_the_product_page_shows_what_else_was_bought_and_next_showtimes(
    db: Database, client: httpx.AsyncClient
) -> None:
    await load_demo(db, orders=150, today=TODAY, progress=False)
    await refresh_recommendations_job(db, now=datetime.now(UTC))
    async with db.read_session() as s:
        tee = await s.scalar(select(Product).where(Product.name == "Starfall Rising Gate Logo Tee"))
    assert tee is not None
    page = await client.get(f"/products/{tee.sku}")
    assert page.status_code == 200
    assert "Shoppers who came for this film also bought" in page.text
    cart = await client.get("/cart")
    assert cart.status_code == 200 and "also bought" not in cart.text  # an empty cart
