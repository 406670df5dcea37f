"""The demo's deliveries: every paid order with merch gets one fulfilment per merchant, with
the lines `orders.fulfilment_create.create_fulfilments` would make (a line per product line
and per merch part of a bundle line), and those paid more than `SHIPPING_DAYS` ago are
shipped by a demo carrier, so the console's Fulfilments page and the order pages show every
state.

Written in bulk with the history's batch, like the rest of the demo's past: through the
services they would cost a dozen statements an order and queue thousands of shipment
e-mails to the demo's made-up shoppers (the demo's merchants subscribe to no webhooks, so
no `fulfilment.created` delivery is missed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orders.fulfilment_models import (
    Fulfilment,
    FulfilmentLine,
    FulfilmentStatus,
    Shipment,
    ShipmentLine,
)
from orders.models import LineKind

SHIPPING_DAYS = 3  # orders paid more recently wait for their merchant
CARRIERS = ("DHL Express", "UPS", "USPS Priority")


async def ship_batch(
    session: AsyncSession,
    orders: list[tuple[int, datetime, list[tuple[int, object]]]],
    allocations: dict[int, list[tuple[int, dict]]],
    shipped_before: datetime,
) -> None:
    """Fulfil `(order id, paid at, [(line id, planned line)])` and ship the older ones."""
    wanted: list[tuple[tuple[int, int], dict]] = []  # ((order, merchant), fulfilment line)
    paid: dict[int, datetime] = {}
    for order_id, paid_at, lines in orders:
        paid[order_id] = paid_at
        for line_id, line in lines:
            if line.kind == LineKind.PRODUCT:  # type: ignore[attr-defined]
                product = line.product  # type: ignore[attr-defined]
                wanted.append(
                    ((order_id, product.merchant_id),
                     {"order_line_id": line_id, "bundle_allocation_id": None,
                      "product_id": product.id, "sku": product.sku,
                      "description": product.name[:300], "quantity": line.qty})  # type: ignore[attr-defined]
                )  # fmt: skip
            elif line.kind == LineKind.BUNDLE:  # type: ignore[attr-defined]
                offer = line.offer  # type: ignore[attr-defined]
                products = {c.product_id: c.product for c in offer.components}
                for part_id, part in allocations.get(line_id, []):
                    if part["product_id"] is None:
                        continue  # the ticket part: nothing to ship
                    product = products[part["product_id"]]
                    wanted.append(
                        ((order_id, product.merchant_id),
                         {"order_line_id": line_id, "bundle_allocation_id": part_id,
                          "product_id": product.id, "sku": product.sku,
                          "description": f"{product.name} (in {offer.name})"[:300],
                          "quantity": part["qty"] * line.qty})  # type: ignore[attr-defined]
                    )  # fmt: skip
    keys = list(dict.fromkeys(key for key, _ in wanted))
    if not keys:
        return
    rows = [
        {
            "order_id": order_id,
            "merchant_id": merchant_id,
            "created_at": paid[order_id],
            "status": FulfilmentStatus.SHIPPED
            if paid[order_id] < shipped_before
            else FulfilmentStatus.AWAITING_SHIPMENT,
        }
        for order_id, merchant_id in keys
    ]
    ids = await session.scalars(
        insert(Fulfilment).returning(Fulfilment.id, sort_by_parameter_order=True), rows
    )
    fulfilment_of = dict(zip(keys, ids, strict=True))
    line_rows = []
    for key, row in wanted:
        shipped = paid[key[0]] < shipped_before
        line_rows.append(
            row
            | {
                "fulfilment_id": fulfilment_of[key],
                "quantity_shipped": row["quantity"] if shipped else 0,
            }
        )
    line_ids = list(
        await session.scalars(
            insert(FulfilmentLine).returning(FulfilmentLine.id, sort_by_parameter_order=True),
            line_rows,
        )
    )
    shipped_keys = [key for key in keys if paid[key[0]] < shipped_before]
    if not shipped_keys:
        return
    shipments = [
        {
            "fulfilment_id": fulfilment_of[key],
            "carrier": CARRIERS[fulfilment_of[key] % len(CARRIERS)],
            "tracking_number": f"DEMO{fulfilment_of[key]:08d}",
            "shipped_at": paid[key[0]] + timedelta(days=2),
        }
        for key in shipped_keys
    ]
    shipment_ids = await session.scalars(
        insert(Shipment).returning(Shipment.id, sort_by_parameter_order=True), shipments
    )
    shipment_of = dict(zip((fulfilment_of[k] for k in shipped_keys), shipment_ids, strict=True))
    await session.execute(
        insert(ShipmentLine),
        [
            {"shipment_id": shipment_of[row["fulfilment_id"]], "fulfilment_line_id": line_id,
             "quantity": row["quantity"]}
            for line_id, row in zip(line_ids, line_rows, strict=True)
            if row["fulfilment_id"] in shipment_of
        ],
    )  # fmt: skip
