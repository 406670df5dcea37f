"""Fulfilments made when an order is paid (SPEC §8), in `settle_order`'s transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product, Variant
from licensing.webhooks import WebhookEvent, queue_event
from orders.fulfilment_models import Fulfilment, FulfilmentLine
from orders.fulfilment_views import fulfilment_payload
from orders.models import LineKind, Order, OrderLine


async def create_fulfilments(
    session: AsyncSession, order: Order, lines: Sequence[OrderLine], *, now: datetime
) -> list[Fulfilment]:
    """One fulfilment per merchant of a paid order's merch (none for tickets only), with a
    line per product line and per merch part of a bundle line; in the caller's transaction.
    Idempotent: an order that has fulfilments gets no more."""
    if await session.scalar(select(Fulfilment.id).where(Fulfilment.order_id == order.id)):
        return []
    wanted: list[tuple[int, FulfilmentLine]] = []  # (merchant id, line)
    product_ids = {line.product_id for line in lines if line.product_id} | {
        part.product_id for line in lines for part in line.allocations if part.product_id
    }
    products: dict[int, tuple[str, str]] = {}
    if product_ids:
        rows = await session.execute(
            select(Product.id, Product.name, Product.sku).where(Product.id.in_(product_ids))
        )
        products = {pid: (name, sku) for pid, name, sku in rows.all()}
    # A variant's SKU is the one to ship (one SELECT for the order's variants, if any).
    variant_ids = {line.variant_id for line in lines if line.variant_id} | {
        part.variant_id for line in lines for part in line.allocations if part.variant_id
    }
    variant_skus: dict[int, str] = {}
    if variant_ids:
        rows = await session.execute(
            select(Variant.id, Variant.sku).where(Variant.id.in_(variant_ids))
        )
        variant_skus = {vid: sku for vid, sku in rows.all()}
    for line in lines:
        if line.kind == LineKind.PRODUCT and line.merchant_id is not None:
            assert line.product_id is not None
            wanted.append(
                (
                    line.merchant_id,
                    FulfilmentLine(
                        order_line_id=line.id,
                        product_id=line.product_id,
                        variant_id=line.variant_id,
                        sku=variant_skus.get(line.variant_id or 0)
                        or products.get(line.product_id, ("", ""))[1],
                        description=line.description[:300],
                        quantity=line.quantity,
                    ),
                )
            )
        elif line.kind == LineKind.BUNDLE:
            for part in line.allocations:
                if part.product_id is None or part.merchant_id is None:
                    continue  # the ticket part: nothing to ship
                name, sku = products.get(part.product_id, ("merchandise", ""))
                wanted.append(
                    (
                        part.merchant_id,
                        FulfilmentLine(
                            order_line_id=line.id,
                            bundle_allocation_id=part.id,
                            product_id=part.product_id,
                            variant_id=part.variant_id,
                            sku=variant_skus.get(part.variant_id or 0) or sku,
                            description=f"{name} (in {line.description})"[:300],
                            quantity=part.qty * line.quantity,
                        ),
                    )
                )
    made: dict[int, Fulfilment] = {}
    for merchant_id, _ in wanted:
        if merchant_id not in made:
            made[merchant_id] = Fulfilment(
                order_id=order.id, merchant_id=merchant_id, created_at=now
            )
    session.add_all(made.values())
    await session.flush()
    for merchant_id, row in wanted:
        row.fulfilment_id = made[merchant_id].id
        session.add(row)
    await session.flush()
    await _tell_merchants(session, order, made, [row for _, row in wanted], now=now)
    return list(made.values())


async def _tell_merchants(
    session: AsyncSession,
    order: Order,
    made: dict[int, Fulfilment],
    lines: list[FulfilmentLine],
    *,
    now: datetime,
) -> None:
    """`fulfilment.created` to each merchant that subscribed, with its fulfilment as it may
    see it (SPEC §8), queued in the payment's transaction."""
    await session.refresh(order, ["shipping"])
    for merchant_id, fulfilment in made.items():
        mine = [line for line in lines if line.fulfilment_id == fulfilment.id]
        await queue_event(
            session,
            merchant_id=merchant_id,
            event=WebhookEvent.FULFILMENT_CREATED,
            data=fulfilment_payload(fulfilment, mine, order),
            now=now,
        )
