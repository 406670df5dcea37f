"""Webhook reads, behind a token: a merchant's own subscriptions and deliveries (staff: all)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, is_id, where
from graphql_schema.relay import Page, connection_field, paginate
from graphql_schema.types import webhooks as t
from licensing import webhooks as wh


class WebhookDeliveryFilter(Filter):
    """Narrows `webhookDeliveries`."""

    status = where(
        t.WebhookDeliveryStatus,
        "Only deliveries in this state.",
        lambda status, ctx: wh.WebhookDelivery.status == status,
    )
    subscription_id = where(
        graphene.ID,
        "Only deliveries of this subscription (a WebhookSubscription ID).",
        lambda gid, ctx: is_id(wh.WebhookDelivery.subscription_id, gid, "WebhookSubscription"),
    )


class WebhookQueries(graphene.ObjectType):
    """A merchant's webhook subscriptions and what was delivered."""

    webhook_subscriptions = connection_field(
        t.WebhookSubscriptionConnection,
        "Webhook subscriptions, oldest first (a merchant: its own; deleted ones are gone).",
    )
    webhook_deliveries = filtered(
        t.WebhookDeliveryConnection,
        "Webhook deliveries, newest first (a merchant: its own).",
        WebhookDeliveryFilter,
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_webhook_subscriptions(
        root: Any, info: Any, first: int, after: str | None = None
    ) -> Page:
        ctx = info.context
        stmt = visible(wh.WebhookSubscription, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (wh.WebhookSubscription.id,), first, after)

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_webhook_deliveries(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = WebhookDeliveryFilter.apply(
            visible(wh.WebhookDelivery, ctx.viewer, ctx.now), filter, ctx
        )
        order = (wh.WebhookDelivery.created_at.desc(), wh.WebhookDelivery.id.desc())
        return await paginate(info, stmt, order, first, after)
