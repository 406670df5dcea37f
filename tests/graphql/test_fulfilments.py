"""`fulfilments`, `createShipment` and `cancelFulfilmentLines` (SPEC §8): a merchant sees and
ships its own fulfilments only, with the shipping address and never the e-mail; bad input is
a UserError with its field and code, and nothing changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kernel.db import Database
from kernel.outbox import OutboxMessage
from orders.addresses import ShippingAddress
from orders.fulfilment_create import create_fulfilments
from orders.fulfilment_models import Fulfilment, FulfilmentLine, Shipment
from orders.models import LineKind, Order
from orders.settlement import order_lines
from tests.conftest import count_queries
from tests.factory import make_order, make_order_line, shipping_address
from tests.graphql.conftest import NOW, Gql, World, gid

LIST = """
query($first: Int!, $filter: FulfilmentFilter) {
  fulfilments(first: $first, filter: $filter) {
    totalCount
    nodes {
      id status orderNumber createdAt
      shippingAddress { name line1 city area postcode country formatted }
      merchant { name }
      lines { id sku description quantity quantityShipped quantityCancelled quantityLeft
              fromBundle product { sku } }
      shipments { carrier trackingNumber shippedAt lines { quantity line { sku } } }
    }
  }
}"""

SHIP = """
mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { carrier trackingNumber lines { quantity } }
    fulfilment { status lines { quantityShipped quantityLeft } }
    errors { field code message }
  }
}"""

CANCEL = """
mutation($input: CancelFulfilmentLinesInput!) {
  cancelFulfilmentLines(input: $input) {
    fulfilment { status lines { quantityCancelled quantityLeft } }
    refundStatus
    errors { field code message }
  }
}"""


async def fulfil(db: Database, order_id: int) -> None:
    async with db.session() as s:
        order = await s.get(Order, order_id)
        assert order is not None
        s.add(ShippingAddress(order_id=order_id, **{**shipping_address("US"), "country": "US"}))
        await create_fulfilments(s, order, await order_lines(s, order_id), now=NOW)


async def ids(db: Database, merchant_id: int) -> tuple[int, list[int]]:
    async with db.read_session() as s:
        found = await s.scalar(select(Fulfilment.id).where(Fulfilment.merchant_id == merchant_id))
        lines = await s.scalars(
            select(FulfilmentLine.id).where(FulfilmentLine.fulfilment_id == found)
        )
        return int(found or 0), list(lines)


async def state(db: Database) -> tuple:
    async with db.read_session() as s:
        return (
            [
                (r.quantity_shipped, r.quantity_cancelled)
                for r in await s.scalars(select(FulfilmentLine).order_by(FulfilmentLine.id))
            ],
            await s.scalar(select(func.count()).select_from(Shipment)),
            await s.scalar(select(func.count()).select_from(OutboxMessage)),
            list(await s.scalars(select(Order.refunded_minor).order_by(Order.id))),
        )


def ship_input(fulfilment_id: int, lines: list[tuple[Any, Any]], **kw: Any) -> dict:
    return {
        "input": {
            "fulfilmentId": gid("Fulfilment", fulfilment_id),
            "lines": [{"fulfilmentLineId": line, "quantity": qty} for line, qty in lines],
            "carrier": kw.get("carrier", "UPS"),
            "trackingNumber": kw.get("tracking", "1Z 999 AA1"),
        }
    }


async def test_a_merchant_sees_its_own_fulfilments_with_the_address_staff_all_public_none(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    mine = (await gql.data(LIST, {"first": 10}, token=world.a.token))["fulfilments"]
    assert mine["totalCount"] == 1
    [node] = mine["nodes"]
    assert node["status"] == "AWAITING_SHIPMENT" and node["orderNumber"] == "T-1001"
    address = node["shippingAddress"]
    assert (address["name"], address["line1"], address["city"], address["country"]) == (
        "Ada Fan", "1 Harbor Road", "Springfield", "US",
    )  # fmt: skip
    assert address["formatted"].splitlines()[0] == "Ada Fan"
    assert "phone" not in LIST  # merchants see no phone number either
    assert [(x["sku"], x["quantity"], x["quantityLeft"]) for x in node["lines"]] == [
        (world.a.approved_sku, 1, 1)
    ]
    assert node["lines"][0]["product"] == {"sku": world.a.approved_sku}
    assert "shopper@example.com" not in str(mine)
    assert "email" not in LIST  # there is no such field to ask for
    staff = (await gql.data(LIST, {"first": 10}, token=world.staff_token))["fulfilments"]
    assert staff["totalCount"] == 2
    shipped = {"first": 10, "filter": {"status": "SHIPPED"}}
    assert (await gql.data(LIST, shipped, token=world.staff_token))["fulfilments"]["nodes"] == []
    public = await gql(LIST, {"first": 10})
    assert public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # another merchant's fulfilment, by node: null
    bolt, _ = await ids(db, world.b.id)
    node_q = "query($id: ID!) { node(id: $id) { id } }"
    found = await gql.data(node_q, {"id": gid("Fulfilment", bolt)}, token=world.a.token)
    assert found == {"node": None}


async def test_ship_then_the_list_shows_it_and_the_email_is_queued(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    data = await gql.data(SHIP, ship_input(fid, [(gid("FulfilmentLine", line), 1)]),
                          token=world.a.token)  # fmt: skip
    payload = data["createShipment"]
    assert payload["errors"] == []
    assert payload["fulfilment"] == {
        "status": "SHIPPED", "lines": [{"quantityShipped": 1, "quantityLeft": 0}]
    }  # fmt: skip
    [node] = (await gql.data(LIST, {"first": 10}, token=world.a.token))["fulfilments"]["nodes"]
    assert [(s["carrier"], s["trackingNumber"]) for s in node["shipments"]] == [
        ("UPS", "1Z 999 AA1")
    ]
    assert node["shipments"][0]["lines"] == [{"quantity": 1, "line": {"sku": world.a.approved_sku}}]
    async with db.read_session() as s:
        kinds = list(await s.scalars(select(OutboxMessage.kind)))
    assert kinds == ["email.shipment"]


async def test_bad_shipments_are_user_errors_with_field_and_code_and_change_nothing(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    bolt, [bolt_line] = await ids(db, world.b.id)
    before = await state(db)

    async def errors(variables: dict, token: str | None = None) -> dict:
        body = await gql.data(SHIP, variables, token=token or world.a.token)
        return {e["field"]: e["code"] for e in body["createShipment"]["errors"]}

    own = gid("FulfilmentLine", line)
    # another merchant's fulfilment looks exactly like one that does not exist
    assert await errors(ship_input(bolt, [(gid("FulfilmentLine", bolt_line), 1)])) == {
        "fulfilmentId": "NOT_FOUND"
    }
    assert await errors(ship_input(999_999, [(own, 1)])) == {"fulfilmentId": "NOT_FOUND"}
    bad = ship_input(fid, [(gid("FulfilmentLine", bolt_line), 1), ("garbage", 1), (own, 0),
                           (own, -5), (own, 2)], carrier="", tracking="")  # fmt: skip
    assert await errors(bad) == {
        "lines.1.fulfilmentLineId": "NOT_FOUND",
        "lines.2.fulfilmentLineId": "NOT_FOUND",
        "lines.3.quantity": "INVALID_QUANTITY",
        "lines.4.quantity": "INVALID_QUANTITY",
        "lines.5.quantity": "QUANTITY_EXCEEDS_REMAINING",
        "carrier": "INVALID_CARRIER",
        "trackingNumber": "INVALID_TRACKING_NUMBER",
    }
    assert await errors(ship_input(fid, [])) == {"lines": "NO_LINES"}
    for tracking in ("9" * 5000, "追跡 123", "1Z\u202e99"):
        assert await errors(ship_input(fid, [(own, 1)], tracking=tracking)) == {
            "trackingNumber": "INVALID_TRACKING_NUMBER"
        }
    assert await errors(ship_input(fid, [(own, 1)], carrier="ü" * 101)) == {
        "carrier": "INVALID_CARRIER"
    }
    # NUL never reaches the service: the endpoint refuses it as BAD_USER_INPUT
    body = await gql(SHIP, ship_input(fid, [(own, 1)], carrier="UP\x00S"), token=world.a.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a public caller may not ship
    body = await gql(SHIP, ship_input(fid, [(own, 1)]))
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await state(db) == before


async def test_cancel_refunds_the_line_and_refuses_another_merchants(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    bolt, [bolt_line] = await ids(db, world.b.id)
    before = await state(db)
    cancel_other = {
        "input": {
            "fulfilmentId": gid("Fulfilment", bolt),
            "lines": [{"fulfilmentLineId": gid("FulfilmentLine", bolt_line), "quantity": 1}],
        }
    }
    body = await gql.data(CANCEL, cancel_other, token=world.a.token)
    assert body["cancelFulfilmentLines"]["errors"][0]["field"] == "fulfilmentId"
    assert body["cancelFulfilmentLines"]["errors"][0]["code"] == "NOT_FOUND"
    too_many = {
        "input": {
            "fulfilmentId": gid("Fulfilment", fid),
            "lines": [{"fulfilmentLineId": gid("FulfilmentLine", line), "quantity": 2}],
        }
    }
    body = await gql.data(CANCEL, too_many, token=world.a.token)
    assert [(e["field"], e["code"]) for e in body["cancelFulfilmentLines"]["errors"]] == [
        ("lines.1.quantity", "QUANTITY_EXCEEDS_REMAINING")
    ]
    assert await state(db) == before

    too_many["input"]["lines"][0]["quantity"] = 1
    body = await gql.data(CANCEL, too_many, token=world.a.token)
    payload = body["cancelFulfilmentLines"]
    assert payload["errors"] == [] and payload["refundStatus"] == "COMPLETED"
    assert payload["fulfilment"] == {
        "status": "CANCELLED", "lines": [{"quantityCancelled": 1, "quantityLeft": 0}]
    }  # fmt: skip
    async with db.read_session() as s:
        order = await s.get(Order, world.order_id)
    assert order is not None and order.status.value == "partially_refunded"
    assert order.refunded_minor == 2500


async def test_listing_fulfilments_takes_the_same_statements_for_2_or_12(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    await gql.data(SHIP, ship_input(fid, [(gid("FulfilmentLine", line), 1)]), token=world.a.token)

    async def counted() -> int:
        with count_queries(db) as counter:
            body = await gql.data(LIST, {"first": 50}, token=world.staff_token)
        assert body["fulfilments"]["nodes"]
        return counter.count

    await counted()  # warm the caches (token lookup, document cache)
    few = await counted()
    for n in range(5):
        async with db.session() as s:
            order = await make_order(s, now=NOW, number=f"T-2{n:03d}", total_minor=5000)
            for side in (world.a, world.b):
                await make_order_line(s, order.id, kind=LineKind.PRODUCT, quantity=2,
                                      product_id=side.approved_id, merchant_id=side.id,
                                      description="tee", unit_price_minor=2500)  # fmt: skip
        await fulfil(db, order.id)
        fid, [line] = await ids_of_order(db, order.id, world.a.id)
        await gql.data(SHIP, ship_input(fid, [(gid("FulfilmentLine", line), 1)]),
                       token=world.a.token)  # fmt: skip
    many = await counted()
    assert many == few <= 11  # with the shipping addresses: one batched statement


async def ids_of_order(db: Database, order_id: int, merchant_id: int) -> tuple[int, list[int]]:
    async with db.read_session() as s:
        found = await s.scalar(
            select(Fulfilment.id).where(
                Fulfilment.order_id == order_id, Fulfilment.merchant_id == merchant_id
            )
        )
        lines = await s.scalars(
            select(FulfilmentLine.id).where(FulfilmentLine.fulfilment_id == found)
        )
        return int(found or 0), list(lines)
