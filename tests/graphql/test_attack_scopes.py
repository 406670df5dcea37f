"""Attacks on token scopes (SPEC §7): a token without `read` reads what the public reads,
mutation payloads included: a payload object the public never sees comes back null, and
the fields that show merchant data hide themselves."""

from __future__ import annotations

from sqlalchemy import select

from kernel.db import Database
from licensing.models import TokenScope
from licensing.webhooks import WebhookDelivery, WebhookSubscription, queue_event
from tests.graphql.conftest import NOW, Gql, World, gid
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
        "shipment": None,
        "fulfilment": None,  # the public never sees a fulfilment
        "errors": [],
    }
    fid_b, [line_b] = await ids(db, world.b.id)
    full = await scoped_token(db, world.b.id, TokenScope.READ, TokenScope.WRITE)
    seen = await gql.data(SHIP, ship_input(fid_b, [(gid("FulfilmentLine", line_b), 1)]),
                          token=full)  # fmt: skip
    assert seen["createShipment"]["fulfilment"]["shippingAddress"]["name"] == "Ada Fan"


"""Findings NOT fixed (failing tests for the lead)."""


REDELIVER = """mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {
  webhookDelivery { eventId payload } errors { field code } } }"""


async def test_a_write_only_tokens_redelivery_payload_shows_no_event_data(
    gql: Gql, world: World, db: Database
) -> None:
    async with db.session() as s:
        hook = WebhookSubscription(
            merchant_id=world.a.id, url="https://hooks.example/h", events=["stock.low"],
            secret_salt="s", created_at=NOW,
        )  # fmt: skip
        s.add(hook)
        await s.flush()
        await queue_event(s, merchant_id=world.a.id, event="stock.low",
                          data={"sku": "ACME-TEE", "stock": 3}, now=NOW)  # fmt: skip
    async with db.read_session() as s:
        delivery = await s.scalar(select(WebhookDelivery.id))
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    body = await gql(REDELIVER, {"id": gid("WebhookDelivery", delivery)}, token=write_only)
    # the event's data (here stock; for fulfilment.created the shopper's address) is
    # merchant data: a token without `read` must not read it back through the payload
    assert '"stock": 3' not in str(body), body


SHIP_NUMBER = """mutation($input: CreateShipmentInput!) { createShipment(input: $input) {
  fulfilment { status orderNumber } errors { code } } }"""


async def test_a_write_only_tokens_shipment_payload_asking_the_order_number_is_no_500(
    gql: Gql, world: World, db: Database
) -> None:
    await fulfil(db, world.order_id)
    fid, [line] = await ids(db, world.a.id)
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    variables = ship_input(fid, [(gid("FulfilmentLine", line), 1)])
    body = await gql(SHIP_NUMBER, variables, token=write_only)
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, body


REPORT = """mutation($input: SubmitSalesReportInput!) { submitSalesReport(input: $input) {
  salesReport { version agreement { id } lines { sku gross { amount } } } errors { code } } }"""


async def test_a_write_only_tokens_sales_report_payload_is_no_500(
    gql: Gql, world: World, db: Database
) -> None:
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    line = {"sku": world.a.approved_sku, "territory": "US", "units": 1, "gross": "10.00",
            "net": "9.00"}  # fmt: skip
    variables = {"input": {"agreementId": gid("Agreement", world.a.agreement_id),
                           "period": world.period, "lines": [line]}}  # fmt: skip
    body = await gql(REPORT, variables, token=write_only)
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, body
