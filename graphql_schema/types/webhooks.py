"""Merchant webhooks as the API shows them: subscriptions (never their secret, which is
given once, by `createWebhookSubscription`) and deliveries with their last attempt."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.relay import Node, connection, register
from graphql_schema.types.base import _lazy, _load
from licensing import models as lm
from licensing import webhooks as wh

_STATUS_DESCRIPTIONS = {
    "PENDING": "Not delivered yet: waiting for its first or next attempt.",
    "SUCCEEDED": "The receiver answered 2xx.",
    "FAILED": "Given up: no 2xx within the retry horizon (3 days), or its subscription was "
    "disabled or deleted.",
}
WebhookDeliveryStatus = graphene.Enum.from_enum(
    wh.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description=lambda m: (
        "Where a webhook delivery stands." if m is None else _STATUS_DESCRIPTIONS[m.name]
    ),
)
EVENT_LIST = ", ".join(f"`{e}`" for e in wh.EVENTS)


class WebhookSubscription(graphene.ObjectType):
    """A merchant's URL and the events it receives there, signed with the subscription's
    secret (`Tiein-Signature`; see the README)."""

    class Meta:
        interfaces = (Node,)

    url = graphene.String(required=True, description="Where the events are POSTed.")
    events = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description=f"The events it receives: some of {EVENT_LIST}.",
    )
    active = graphene.Boolean(
        required=True, description="False once disabled (it failed for 3 days)."
    )
    disabled_at = graphene.DateTime(
        description="When it was disabled because its deliveries failed for 3 days."
    )
    created_at = graphene.DateTime(required=True, description="When it was made.")
    merchant = graphene.Field(
        graphene.NonNull(_lazy("Merchant")), description="The merchant it belongs to."
    )

    @staticmethod
    def resolve_active(root: wh.WebhookSubscription, info: Any) -> bool:
        return root.active

    @staticmethod
    def resolve_merchant(root: wh.WebhookSubscription, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)


class WebhookDelivery(graphene.ObjectType):
    """One event sent to one subscription, and how its last attempt went. A redelivery is a
    new delivery with the same `eventId`."""

    class Meta:
        interfaces = (Node,)

    event_id = graphene.String(
        required=True, description="The event's id (`Tiein-Event-Id`); receivers dedupe by it."
    )
    event_type = graphene.String(required=True, description=f"One of {EVENT_LIST}.")
    status = graphene.Field(graphene.NonNull(WebhookDeliveryStatus), description="Its state.")
    attempts = graphene.Int(required=True, description="How many times it was sent.")
    last_response_code = graphene.Int(
        description="The HTTP status of the last attempt; null when none came (no answer)."
    )
    last_error = graphene.String(description="Why the last attempt failed, in words.")
    payload = graphene.JSONString(
        required=True, description="The JSON body sent: `{id, type, created_at, data}`."
    )
    created_at = graphene.DateTime(required=True, description="When the event was queued.")
    last_attempt_at = graphene.DateTime(description="When it was last sent.")
    finished_at = graphene.DateTime(description="When it succeeded or failed for good.")
    subscription = graphene.Field(
        WebhookSubscription, description="Its subscription; null once deleted."
    )

    @staticmethod
    def resolve_subscription(root: wh.WebhookDelivery, info: Any) -> Any:
        return _load(info, wh.WebhookSubscription, root.subscription_id)


WebhookSubscriptionConnection = connection(WebhookSubscription, "webhook subscriptions")
WebhookDeliveryConnection = connection(WebhookDelivery, "webhook deliveries")
register(wh.WebhookSubscription, WebhookSubscription)
register(wh.WebhookDelivery, WebhookDelivery)
