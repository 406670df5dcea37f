"""The webhook API (SPEC §8): a merchant subscribes and gets the secret once, lists its own
subscriptions and deliveries, deletes and redelivers; bad input is a UserError naming the
field, every bad field at once, nothing changed; another merchant's ids look not found."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from kernel.db import Database
from licensing.webhooks import WebhookDelivery, WebhookSubscription, queue_event
from tests.factory import GraphqlWorld as World
from tests.graphql.conftest import NOW, Gql, gid
from tests.messaging.receiver import Receiver

CREATE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id url events active }
    secret
    errors { field code message }
  }
}"""
SUBSCRIPTIONS = "{ webhookSubscriptions(first: 10) { totalCount nodes { id url } } }"
DELIVERIES = """query($filter: WebhookDeliveryFilter) {
  webhookDeliveries(first: 10, filter: $filter) {
    nodes { id eventId eventType status attempts lastResponseCode createdAt }
  }
}"""
DELETE = """mutation($id: ID!) {
  deleteWebhookSubscription(input: {id: $id}) { deletedId errors { field code } }
}"""
REDELIVER = """mutation($id: ID!) {
  redeliverWebhook(input: {deliveryId: $id}) {
    webhookDelivery { id eventId status } errors { field code }
  }
}"""


async def create(gql: Gql, token: str, **input: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": input}, token)
    return data["createWebhookSubscription"]


async def count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_merchant_subscribes_and_sees_the_secret_once(
    gql: Gql, world: World, receiver: Receiver
) -> None:
    made = await create(gql, world.a.token, url=receiver.url, events=["stock.low"])
    assert made["errors"] == []
    assert made["secret"].startswith("whsec_") and len(made["secret"]) == 70
    assert made["webhookSubscription"]["events"] == ["stock.low"]
    listed = await gql.data(SUBSCRIPTIONS, token=world.a.token)
    assert listed["webhookSubscriptions"]["totalCount"] == 1
    assert made["secret"] not in str(listed)
    other = await gql.data(SUBSCRIPTIONS, token=world.b.token)
    assert other["webhookSubscriptions"]["totalCount"] == 0  # own only
    staff = await gql.data(SUBSCRIPTIONS, token=world.staff_token)
    assert staff["webhookSubscriptions"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("url", "events", "expected"),
    [
        ("https://x.test/" + "a" * 2000, ["stock.low"], [("url", "INVALID_URL")]),
        ("https://x.test/\x00", ["stock.low"], [("url", "INVALID_URL")]),
        ("https://bücher.test/", ["stock.low"], [("url", "INVALID_URL")]),
        ("ftp://x.test/", ["stock.low"], [("url", "INVALID_URL")]),
        ("RECEIVER", ["stock.low", "order.paid"], [("events.2", "UNKNOWN_EVENT")]),
        ("RECEIVER", [], [("events", "UNKNOWN_EVENT")]),
        (
            "https://u:p@x.test/",
            ["nope"],
            [("url", "INVALID_URL"), ("events.1", "UNKNOWN_EVENT")],
        ),
    ],
)
async def test_bad_input_is_refused_field_by_field_and_nothing_changes(
    gql: Gql, db: Database, world: World, receiver: Receiver, url: str, events: list, expected
) -> None:
    url = receiver.url if url == "RECEIVER" else url
    body = await gql(CREATE, {"input": {"url": url, "events": events}}, world.a.token)
    if "errors" in body:  # a NUL in a string input is refused before the mutation runs
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    else:
        made = body["data"]["createWebhookSubscription"]
        assert made["webhookSubscription"] is None and made["secret"] is None
        assert [(e["field"], e["code"]) for e in made["errors"]] == expected
    assert await count(db, WebhookSubscription) == 0


async def test_another_merchants_subscription_and_delivery_look_not_found(
    gql: Gql, db: Database, world: World, receiver: Receiver
) -> None:
    made = await create(gql, world.a.token, url=receiver.url, events=["stock.low"])
    sub_id = made["webhookSubscription"]["id"]
    async with db.session() as session:
        await queue_event(session, merchant_id=world.a.id, event="stock.low", data={}, now=NOW)
    [delivery] = (await gql.data(DELIVERIES, token=world.a.token))["webhookDeliveries"]["nodes"]
    assert (delivery["eventType"], delivery["status"], delivery["attempts"]) == (
        "stock.low", "PENDING", 0,
    )  # fmt: skip
    assert delivery["lastResponseCode"] is None

    refused = await gql.data(DELETE, {"id": sub_id}, world.b.token)
    assert refused["deleteWebhookSubscription"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    again = await gql.data(REDELIVER, {"id": delivery["id"]}, world.b.token)
    assert again["redeliverWebhook"]["errors"] == [{"field": "deliveryId", "code": "NOT_FOUND"}]
    theirs = await gql.data(DELIVERIES, token=world.b.token)
    assert theirs["webhookDeliveries"]["nodes"] == []
    assert await count(db, WebhookDelivery) == 1

    early = await gql.data(REDELIVER, {"id": delivery["id"]}, world.a.token)
    assert early["redeliverWebhook"]["errors"] == [
        {"field": "deliveryId", "code": "REDELIVERY_REFUSED"}
    ]  # the first delivery is still pending
    async with db.session() as session:
        await session.execute(update(WebhookDelivery).values(status="failed"))
    own = await gql.data(REDELIVER, {"id": delivery["id"]}, world.a.token)
    assert own["redeliverWebhook"]["webhookDelivery"]["eventId"] == delivery["eventId"]
    by_sub = await gql.data(
        DELIVERIES, {"filter": {"subscriptionId": sub_id, "status": "PENDING"}}, world.a.token
    )
    assert len(by_sub["webhookDeliveries"]["nodes"]) == 1
    deleted = await gql.data(DELETE, {"id": sub_id}, world.a.token)
    assert deleted["deleteWebhookSubscription"] == {"deletedId": sub_id, "errors": []}
    listed = await gql.data(SUBSCRIPTIONS, token=world.a.token)
    assert listed["webhookSubscriptions"]["totalCount"] == 0
    gone = await gql.data(REDELIVER, {"id": delivery["id"]}, world.a.token)
    assert gone["redeliverWebhook"]["errors"] == [
        {"field": "deliveryId", "code": "SUBSCRIPTION_DISABLED"}
    ]


async def test_staff_subscribe_for_a_named_merchant(
    gql: Gql, world: World, receiver: Receiver
) -> None:
    missing = await create(gql, world.staff_token, url=receiver.url, events=["stock.low"])
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("merchantId", "NOT_FOUND")]
    made = await create(
        gql, world.staff_token, url=receiver.url, events=["stock.low"],
        merchantId=gid("Merchant", world.b.id),
    )  # fmt: skip
    assert made["errors"] == []
    listed = await gql.data(SUBSCRIPTIONS, token=world.b.token)
    assert listed["webhookSubscriptions"]["totalCount"] == 1
