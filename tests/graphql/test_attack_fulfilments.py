"""Hostile review of the fulfilment API (issues 10-11): another tenant's ids in every form,
`node(id:)`, concurrent shipments racing for the same units, duplicated lines and extreme
quantities. Each test states the attack it stands for."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from sqlalchemy import func, select

from kernel.db import Database
from orders.fulfilment_models import FulfilmentLine, Shipment, ShipmentLine
from orders.models import LineKind
from tests.factory import make_order, make_order_line
from tests.graphql.conftest import NOW, Gql, World, gid
from tests.graphql.test_fulfilments import (
    CANCEL,
    SHIP,
    fulfil,
    ids,
    ids_of_order,
    ship_input,
    state,
)

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Fulfilment { status shippingAddress { name line1 } lines { sku } }
    ... on FulfilmentLine { sku quantity }
    ... on Shipment { carrier trackingNumber }
  }
}"""


async def order_of_three(db: Database, world: World, number: str = "T-3001") -> tuple[int, int]:
    """An order of 3 units of merchant A's product, fulfilled: (fulfilment id, line id)."""
    async with db.session() as s:
        order = await make_order(s, now=NOW, number=number, total_minor=7500)
        await make_order_line(s, order.id, kind=LineKind.PRODUCT, quantity=3,
                              product_id=world.a.approved_id, merchant_id=world.a.id,
                              description="tee", unit_price_minor=2500)  # fmt: skip
    await fulfil(db, order.id)
    fid, [line] = await ids_of_order(db, order.id, world.a.id)
    return fid, line


async def shipped_units(db: Database, line_id: int) -> tuple[int, int]:
    """(the line's quantity_shipped, the units its shipment lines add up to)."""
    async with db.read_session() as s:
        line = await s.get(FulfilmentLine, line_id)
        total = await s.scalar(
            select(func.coalesce(func.sum(ShipmentLine.quantity), 0)).where(
                ShipmentLine.fulfilment_line_id == line_id
            )
        )
    assert line is not None
    return line.quantity_shipped, int(total or 0)


def errors_of(body: dict[str, Any], name: str) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in body["data"][name]["errors"]]


async def test_concurrent_shipments_never_ship_more_than_was_sold(
    gql: Gql, world: World, db: Database
) -> None:
    """Attack: two createShipment calls at once, each for 2 of the 3 units. Exactly one
    may win; the other is refused, and the line's counter matches its shipment lines (no
    lost update of quantity_shipped)."""
    fid, line = await order_of_three(db, world)
    own = gid("FulfilmentLine", line)
    bodies = await asyncio.gather(
        *(
            gql(SHIP, ship_input(fid, [(own, 2)], tracking=f"TRK{n}"), token=world.a.token)
            for n in range(2)
        )
    )
    outcomes = sorted(tuple(errors_of(body, "createShipment")) for body in bodies)
    assert outcomes == [(), (("lines.1.quantity", "QUANTITY_EXCEEDS_REMAINING"),)]
    assert await shipped_units(db, line) == (2, 2)


async def test_concurrent_partial_shipments_add_up(gql: Gql, world: World, db: Database) -> None:
    """Attack: 2 units and 1 unit shipped at once (both fit): both succeed and the line
    counts 3 shipped, not the last writer's 1 or 2."""
    fid, line = await order_of_three(db, world)
    own = gid("FulfilmentLine", line)
    bodies = await asyncio.gather(
        gql(SHIP, ship_input(fid, [(own, 2)], tracking="TRKA"), token=world.a.token),
        gql(SHIP, ship_input(fid, [(own, 1)], tracking="TRKB"), token=world.a.token),
    )
    assert [errors_of(body, "createShipment") for body in bodies] == [[], []]
    assert await shipped_units(db, line) == (3, 3)


async def test_ship_and_cancel_racing_for_the_last_units(
    gql: Gql, world: World, db: Database
) -> None:
    """Attack: ship 2 and cancel 2 of 3 units at once: one of them is refused; shipped +
    cancelled never passes what was sold."""
    fid, line = await order_of_three(db, world)
    own = gid("FulfilmentLine", line)
    cancel = {
        "input": {
            "fulfilmentId": gid("Fulfilment", fid),
            "lines": [{"fulfilmentLineId": own, "quantity": 2}],
        }
    }
    ship, cancelled = await asyncio.gather(
        gql(SHIP, ship_input(fid, [(own, 2)]), token=world.a.token),
        gql(CANCEL, cancel, token=world.a.token),
    )
    refused = errors_of(ship, "createShipment") + errors_of(cancelled, "cancelFulfilmentLines")
    assert refused == [("lines.1.quantity", "QUANTITY_EXCEEDS_REMAINING")]
    async with db.read_session() as s:
        row = await s.get(FulfilmentLine, line)
    assert row is not None and row.quantity_shipped + row.quantity_cancelled == 2


async def test_duplicated_and_extreme_quantities_are_refused_whole(
    gql: Gql, world: World, db: Database
) -> None:
    """Attack: the same line listed twice to pass the per-entry check (2 + 2 of 3), int32
    extremes, and a quantity beyond 32 bits."""
    fid, line = await order_of_three(db, world)
    own = gid("FulfilmentLine", line)
    before = await state(db)
    for lines in ([(own, 2), (own, 2)], [(own, 2**31 - 1), (own, 2**31 - 1)], [(own, -(2**31))]):
        body = await gql(SHIP, ship_input(fid, lines), token=world.a.token)
        assert errors_of(body, "createShipment"), lines
    body = await gql(SHIP, ship_input(fid, [(own, 2**31)]), token=world.a.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    cancel = {
        "input": {
            "fulfilmentId": gid("Fulfilment", fid),
            "lines": [{"fulfilmentLineId": own, "quantity": 2}] * 2,
        }
    }
    body = await gql(CANCEL, cancel, token=world.a.token)
    assert errors_of(body, "cancelFulfilmentLines") == [
        ("lines.2.quantity", "QUANTITY_EXCEEDS_REMAINING")
    ]
    assert await state(db) == before
    # 1 + 1 of the same line is one shipment line of 2
    body = await gql(SHIP, ship_input(fid, [(own, 1), (own, 1)]), token=world.a.token)
    assert errors_of(body, "createShipment") == []
    async with db.read_session() as s:
        rows = (await s.scalars(select(ShipmentLine))).all()
    assert [(r.fulfilment_line_id, r.quantity) for r in rows] == [(line, 2)]


def raw_id(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def test_another_merchants_ids_in_every_form_are_not_found(
    gql: Gql, world: World, db: Database
) -> None:
    """Attack: merchant A holds B's fulfilment, line and shipment ids; it asks `node` for
    them, and passes them (and raw ints, other type names, padded and odd forms) to the
    mutations. Nothing of B is shown or changed, every answer is NOT_FOUND."""
    await fulfil(db, world.order_id)
    bolt, [bolt_line] = await ids(db, world.b.id)
    fid, [line] = await ids(db, world.a.id)
    ok = await gql.data(
        SHIP, ship_input(bolt, [(gid("FulfilmentLine", bolt_line), 1)]), token=world.b.token
    )
    assert ok["createShipment"]["errors"] == []
    async with db.read_session() as s:
        shipment = await s.scalar(select(Shipment.id))
    assert shipment is not None
    for global_id in (
        gid("Fulfilment", bolt),
        gid("FulfilmentLine", bolt_line),
        gid("Shipment", shipment),
    ):
        body = await gql(NODE, {"id": global_id}, token=world.a.token)
        assert body["data"]["node"] is None, body
        assert "Bolt" not in str(body) and "1 Harbor" not in str(body)
        body = await gql(NODE, {"id": global_id})  # public
        assert body["data"]["node"] is None, body
    # the owner and staff see it
    assert (await gql.data(NODE, {"id": gid("Shipment", shipment)}, token=world.b.token))["node"][
        "carrier"
    ] == "UPS"
    before = await state(db)
    for fulfilment_id in (
        gid("Fulfilment", bolt),
        str(bolt),
        raw_id("Fulfilment", f" {bolt}"),
        raw_id("Fulfilment", f"{bolt}.0"),
        raw_id("Fulfilment", f"+{bolt}"),
        raw_id("Fulfilment", f"0{bolt}"),
        gid("Order", bolt),
        gid("FulfilmentLine", bolt),
        gid("Shipment", bolt),
        raw_id("fulfilment", bolt),
    ):
        variables = ship_input(bolt, [(gid("FulfilmentLine", bolt_line), 1)])
        variables["input"]["fulfilmentId"] = fulfilment_id
        body = await gql(SHIP, variables, token=world.a.token)
        assert errors_of(body, "createShipment")[0] == ("fulfilmentId", "NOT_FOUND"), (
            fulfilment_id,
            body,
        )
        cancel = {
            "input": {
                "fulfilmentId": fulfilment_id,
                "lines": [{"fulfilmentLineId": gid("FulfilmentLine", bolt_line), "quantity": 1}],
            }
        }
        body = await gql(CANCEL, cancel, token=world.a.token)
        assert errors_of(body, "cancelFulfilmentLines") == [("fulfilmentId", "NOT_FOUND")]
    # B's line inside A's own fulfilment, as a raw int, and under another type name
    for line_id in (gid("FulfilmentLine", bolt_line), str(bolt_line), gid("Shipment", line)):
        body = await gql(SHIP, ship_input(fid, [(line_id, 1)]), token=world.a.token)
        assert errors_of(body, "createShipment") == [("lines.1.fulfilmentLineId", "NOT_FOUND")], (
            line_id
        )
    assert await state(db) == before


async def test_a_carrier_is_one_line_without_bidi_overrides(
    gql: Gql, world: World, db: Database
) -> None:
    """Attack: a carrier name with line breaks or a right-to-left override, to write
    lines of the merchant's choosing into the shopper's shipment e-mail and order page
    (or to make "SPU" read as "UPS"). Refused; names in any script are fine."""
    fid, line = await order_of_three(db, world)
    own = gid("FulfilmentLine", line)
    before = await state(db)
    for carrier in (
        "UPS\nYour order was cancelled: call +1 555 0100",
        "UPS\r\nBcc: x@example.com",
        "UPS\u2028second line",
        "\u202eSPU",
        "UPS\u2066x\u2069",
        "UPS\tExpress",
    ):
        body = await gql(SHIP, ship_input(fid, [(own, 1)], carrier=carrier), token=world.a.token)
        assert errors_of(body, "createShipment") == [("carrier", "INVALID_CARRIER")], carrier
    assert await state(db) == before
    body = await gql(SHIP, ship_input(fid, [(own, 1)], carrier="ヤマト運輸"), token=world.a.token)
    assert errors_of(body, "createShipment") == []
