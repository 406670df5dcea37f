"""Found by a hostile review: units a staff refund paid back were still left to ship, so a
merchant could send goods already paid back (and the shopper a shipment e-mail)."""

from __future__ import annotations

from kernel.db import Database
from orders.fulfilment_models import FulfilmentLine
from orders.refunds import refund_order_lines
from tests.graphql.conftest import NOW, Gql, World, gid
from tests.graphql.test_fulfilments import SHIP, fulfil, ids, ship_input


async def test_units_refunded_by_staff_are_not_left_to_ship(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    await refund_order_lines(
        db, world.order_id, [(world.line_ids["acme"], 1)], restock=False, by="staff:x",
        gateway=None, now=NOW,
    )  # fmt: skip
    async with db.read_session() as s:
        row = await s.get(FulfilmentLine, line)
    assert row is not None and row.quantity_left == 0 and row.quantity_cancelled == 1
    body = await gql(SHIP, ship_input(fid, [(gid("FulfilmentLine", line), 1)]), token=world.a.token)
    assert body["data"]["createShipment"]["errors"]
