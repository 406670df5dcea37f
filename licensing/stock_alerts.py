"""`stock.low` (SPEC §8): a merchant hears when a product's stock falls to the low-stock
threshold it set, or below.

The event is sent when stock *crosses* the threshold: from above it to at or below it, by
a stock adjustment or by a checkout taking units. Stock that stays low sends nothing more;
stock that is raised above the threshold and falls again sends it again. The catalog, which
owns stock, does not know about webhooks (it is a lower floor): the services that take stock
call `queue_low_stock` after taking it, in the same transaction.

The demand forecast (reports/forecast.py) also sends `stock.low`, with a `forecast` part,
when it expects a product to run out within its window: `alert_forecast_stock_outs`, from a
periodic job (tiein/jobs.py), once per product per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product
from catalog.payloads import product_payload
from catalog.products import adjust_stock
from licensing.alert_models import ForecastAlert
from licensing.webhooks import WebhookEvent, queue_event


async def queue_low_stock(
    session: AsyncSession, taken: Mapping[int, int], *, now: datetime
) -> list[int]:
    """After `taken` units (per product id) were removed from stock, queue `stock.low` for
    each product whose stock crossed its threshold; returns their ids."""
    if not taken:
        return []
    products = await session.scalars(
        select(Product)
        .where(Product.id.in_(sorted(taken)), Product.low_stock_threshold.is_not(None))
        .order_by(Product.id)
        .execution_options(populate_existing=True)  # the stock as the UPDATE left it
    )
    crossed = []
    for product in products:
        threshold = product.low_stock_threshold
        assert threshold is not None
        if product.stock <= threshold < product.stock + taken[product.id]:
            crossed.append(product.id)
            await queue_event(
                session,
                merchant_id=product.merchant_id,
                event=WebhookEvent.STOCK_LOW,
                data={"product": product_payload(product), "threshold": threshold},
                now=now,
            )
    return crossed


async def adjust_stock_and_alert(
    session: AsyncSession, product_id: int, delta: int, *, merchant_id: int | None, now: datetime
) -> Product:
    """`catalog.products.adjust_stock`, then `stock.low` when a removal crossed the
    product's threshold."""
    product = await adjust_stock(session, product_id, delta, merchant_id=merchant_id)
    if delta < 0:
        await queue_low_stock(session, {product.id: -delta}, now=now)
    return product


async def alert_forecast_stock_outs(
    session: AsyncSession, expected: Mapping[int, str], *, window_days: int, now: datetime
) -> list[int]:
    """`stock.low` for each product the demand forecast expects to run out of (`expected`:
    product id -> expected units, as a decimal string) within `window_days`, at most once
    per product per UTC day (a ForecastAlert row is the dedupe key, written in the same
    transaction as the events). Returns the ids alerted now."""
    if not expected:
        return []
    day = now.date()
    done = set(
        (
            await session.scalars(
                select(ForecastAlert.product_id).where(
                    ForecastAlert.day == day, ForecastAlert.product_id.in_(sorted(expected))
                )
            )
        ).all()
    )
    todo = sorted(set(expected) - done)
    if not todo:
        return []
    products = await session.scalars(
        select(Product).where(Product.id.in_(todo)).order_by(Product.id)
    )
    alerted = []
    for product in products:
        session.add(ForecastAlert(product_id=product.id, day=day, sent_at=now))
        await queue_event(
            session,
            merchant_id=product.merchant_id,
            event=WebhookEvent.STOCK_LOW,
            data={
                "product": product_payload(product),
                "threshold": product.low_stock_threshold,
                "forecast": {"expected_units": expected[product.id], "window_days": window_days},
            },
            now=now,
        )
        alerted.append(product.id)
    await session.flush()
    return alerted
