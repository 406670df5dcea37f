"""Attacks on token scopes (SPEC §7): a token without `read` reads what the public reads,
mutation payloads included; a mutation's payload object is not filtered by the reader, so
its private fields must hide themselves."""

from __future__ import annotations

from kernel.db import Database
from licensing.models import TokenScope
from tests.graphql.conftest import Gql, World, gid
from tests.graphql.test_fulfilments import fulfil, ids, ship_input
from tests.graphql.test_scopes import scoped_token

SHIP = """
mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { carrier }
    fulfilment { status shippingAddress { name line1 city postcode formatted } }
    errors { field code message }
  }
}"""


async def test_a_write_only_tokens_shipment_payload_shows_no_shipping_address(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    variables = ship_input(fid, [(gid("FulfilmentLine", line), 1)])
    data = await gql.data(SHIP, variables, token=write_only)
    # the shipment is made; the shopper's name and address are merchant data, not shown
    assert data["createShipment"] == {
        "shipment": {"carrier": "UPS"},
        "fulfilment": {"status": "SHIPPED", "shippingAddress": None},
        "errors": [],
    }
    fid_b, [line_b] = await ids(db, world.b.id)
    full = await scoped_token(db, world.b.id, TokenScope.READ, TokenScope.WRITE)
    seen = await gql.data(SHIP, ship_input(fid_b, [(gid("FulfilmentLine", line_b), 1)]),
                          token=full)  # fmt: skip
    assert seen["createShipment"]["fulfilment"]["shippingAddress"]["name"] == "Ada Fan"
