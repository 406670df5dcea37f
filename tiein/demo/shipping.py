"""The demo's deliveries: every paid order with merch gets its fulfilments (through the
service that settlement uses), and those paid more than `SHIPPING_DAYS` ago are shipped by a
demo carrier, so the console's Fulfilments page and the order pages show every state.

Shipments are written directly, like the rest of the demo's past: through the service they
would queue thousands of shipment e-mails to the demo's made-up shoppers."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kernel.db import Database
from orders.fulfilment_create import create_fulfilments
from orders.fulfilment_models import FulfilmentLine, FulfilmentStatus, Shipment, ShipmentLine
from orders.models import LineKind, Order, OrderLine, OrderStatus
from orders.settlement import order_lines
from tiein.demo.catalog import local_time

SHIPPING_DAYS = 3  # orders paid more recently wait for their merchant
CARRIERS = ("DHL Express", "UPS", "USPS Priority")


async def deliver_history(db: Database, today: date) -> tuple[int, int]:
    """Fulfil every paid demo order with merch and ship the older ones; (made, shipped)."""
    async with db.read_session() as session:
        ids = list(
            await session.scalars(
                select(Order.id)
                .where(
                    Order.status.in_((OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)),
                    Order.id.in_(
                        select(OrderLine.order_id).where(OrderLine.kind != LineKind.TICKET)
                    ),
                )
                .order_by(Order.id)
            )
        )
    cutoff = local_time(today - timedelta(days=SHIPPING_DAYS), 0)
    made = shipped = 0
    for start in range(0, len(ids), 100):
        async with db.session() as session:
            for order_id in ids[start : start + 100]:
                order = await session.get(Order, order_id)
                assert order is not None and order.paid_at is not None
                lines = await order_lines(session, order_id)
                fulfilments = await create_fulfilments(session, order, lines, now=order.paid_at)
                made += len(fulfilments)
                if order.paid_at >= cutoff:
                    continue
                for fulfilment in fulfilments:
                    shipment = Shipment(
                        fulfilment_id=fulfilment.id,
                        carrier=CARRIERS[fulfilment.id % len(CARRIERS)],
                        tracking_number=f"DEMO{fulfilment.id:08d}",
                        shipped_at=order.paid_at + timedelta(days=2),
                    )
                    session.add(shipment)
                    await session.flush()
                    rows = await session.scalars(
                        select(FulfilmentLine).where(FulfilmentLine.fulfilment_id == fulfilment.id)
                    )
                    for line in rows:
                        session.add(
                            ShipmentLine(
                                shipment_id=shipment.id,
                                fulfilment_line_id=line.id,
                                quantity=line.quantity,
                            )
                        )
                        line.quantity_shipped = line.quantity
                    fulfilment.status = FulfilmentStatus.SHIPPED
                    shipped += 1
    return made, shipped
