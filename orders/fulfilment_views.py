"""Fulfilments as they are read (SPEC §8): the shipping address a merchant may see, the
fulfilments of an order with their lines and shipments, and the payload of the
`fulfilment.created` webhook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.payloads import global_id
from orders.addresses import shipping_address_of
from orders.fulfilment_models import Fulfilment, FulfilmentLine, Shipment
from orders.models import Order


def merchant_address(order: Order) -> dict[str, Any] | None:
    """The shipping address of an order as its merchants may see it: name, parts and the
    formatted text; never the shopper's e-mail or phone. `order.shipping` must be loaded."""
    address = shipping_address_of(order)
    if address is None:
        return None
    return {key: value for key, value in address.items() if key != "phone"}


@dataclass(frozen=True)
class FulfilmentView:
    """A fulfilment with its lines, shipments (their lines loaded) and order."""

    fulfilment: Fulfilment
    lines: list[FulfilmentLine]
    shipments: list[Shipment]
    order: Order


async def fulfilment_views(
    session: AsyncSession, fulfilments: Sequence[Fulfilment]
) -> list[FulfilmentView]:
    """The fulfilments with their lines, shipments and orders, in four statements."""
    if not fulfilments:
        return []
    ids = [f.id for f in fulfilments]
    lines = list(
        await session.scalars(
            select(FulfilmentLine)
            .where(FulfilmentLine.fulfilment_id.in_(ids))
            .order_by(FulfilmentLine.id)
        )
    )
    shipments = list(
        await session.scalars(
            select(Shipment)
            .where(Shipment.fulfilment_id.in_(ids))
            .options(selectinload(Shipment.lines))
            .order_by(Shipment.shipped_at, Shipment.id)
        )
    )
    orders = {
        o.id: o
        for o in await session.scalars(
            select(Order)
            .where(Order.id.in_({f.order_id for f in fulfilments}))
            .options(selectinload(Order.shipping))
        )
    }
    return [
        FulfilmentView(
            f,
            [x for x in lines if x.fulfilment_id == f.id],
            [s for s in shipments if s.fulfilment_id == f.id],
            orders[f.order_id],
        )
        for f in fulfilments
    ]


async def fulfilments_of_order(session: AsyncSession, order_id: int) -> list[FulfilmentView]:
    """An order's fulfilments, oldest first, for the shopper's order page."""
    found = await session.scalars(
        select(Fulfilment).where(Fulfilment.order_id == order_id).order_by(Fulfilment.id)
    )
    return await fulfilment_views(session, list(found))


def fulfilment_payload(
    fulfilment: Fulfilment, lines: Sequence[FulfilmentLine], order: Order
) -> dict[str, Any]:
    """The fulfilment as its merchant may see it (the `fulfilment.created` webhook's object):
    global IDs as the API gives them, status, lines with SKU and quantities, the shipping
    name and address — never the shopper's e-mail or phone. `order.shipping` must be loaded."""
    return {
        "id": global_id("Fulfilment", fulfilment.id),
        "order_number": order.number,
        "status": fulfilment.status.value,
        "created_at": fulfilment.created_at.isoformat(),
        "shipping": merchant_address(order),
        "lines": [
            {
                "id": global_id("FulfilmentLine", line.id),
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "quantity_shipped": line.quantity_shipped,
                "quantity_cancelled": line.quantity_cancelled,
            }
            for line in lines
        ],
    }


async def recent_fulfilments(
    session: AsyncSession, *, status: str | None = None, limit: int = 100
) -> list[FulfilmentView]:
    """The latest fulfilments (optionally of one status), newest first, for staff."""
    query = select(Fulfilment).order_by(Fulfilment.created_at.desc(), Fulfilment.id.desc())
    if status:
        query = query.where(Fulfilment.status == status)
    return await fulfilment_views(session, list(await session.scalars(query.limit(limit))))


async def fulfilment_view(session: AsyncSession, fulfilment_id: int) -> FulfilmentView | None:
    """One fulfilment with its lines, shipments and order; None when there is no such one."""
    found = await session.get(Fulfilment, fulfilment_id)
    return (await fulfilment_views(session, [found]))[0] if found else None
