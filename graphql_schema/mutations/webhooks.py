"""Webhook mutations: a merchant subscribes a URL (the secret is shown once), deletes a
subscription, and asks for an event to be delivered again. Staff may act for any merchant
(`merchantId`); another merchant's subscription or delivery looks not found."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.auth import MERCHANT_WRITE
from graphql_schema.mutations.base import MutationBase, errors_field, find, not_found, run
from graphql_schema.types import webhooks as t
from kernel.errors import Checks
from kernel.installation import SecretKey
from licensing import models as lm
from licensing import webhooks as wh
from licensing.webhook_urls import WebhookTarget, check_webhook_url

FIELDS = {"delivery": "deliveryId"}


def _acting_merchant(info: Any) -> int | None:
    viewer = info.context.viewer
    return viewer.merchant_id if viewer.is_merchant else None


class CreateWebhookSubscriptionInput(graphene.InputObjectType):
    """A URL and the events to send there."""

    url = graphene.String(
        required=True,
        description="An https URL (2000 characters at most, no credentials) that resolves "
        "to public addresses only.",
    )
    events = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description=f"The events to receive, some of {t.EVENT_LIST}.",
    )
    merchant_id = graphene.ID(
        description="Staff only: the merchant it is for (a merchant token subscribes itself)."
    )


class CreateWebhookSubscription(MutationBase):
    """Subscribe a URL to events. The answer holds the signing secret: it is shown this
    once and never again (keep it to verify `Tiein-Signature`)."""

    permissions = (MERCHANT_WRITE,)
    input_type = CreateWebhookSubscriptionInput
    input_description = "The subscription."
    webhook_subscription = graphene.Field(t.WebhookSubscription, description="The new one.")
    secret = graphene.String(
        description="The signing secret, shown only in this answer: HMAC-SHA256 key of "
        "`Tiein-Signature`."
    )
    errors = errors_field()

    @classmethod
    async def execute(cls, info: Any, input: Any) -> Any:
        """Load the installation key and resolve the URL first, with no transaction open:
        on SQLite, reading (or making) the key inside the write transaction would wait on
        that transaction's own lock, and a slow name server (up to 10 s) would hold the
        shop's one write lock (on PostgreSQL, a connection idle in transaction)."""
        ctx = info.context
        key = getattr(getattr(ctx.app, "state", None), "secret_key", None)
        if not isinstance(key, SecretKey):
            key = SecretKey(ctx.settings.secret_key)
        value = await key.load(ctx.db)
        url_checks = Checks()
        target = None
        with url_checks:
            target = await check_webhook_url(
                input.url, allow_private=ctx.settings.webhook_allow_private
            )
        result, errors = await run(
            info, lambda s: cls.subscribe(s, info, input, value, target, url_checks)
        )
        return cls.payload(result, errors)

    @classmethod
    async def subscribe(
        cls,
        session: AsyncSession,
        info: Any,
        input: Any,
        key: str,
        target: WebhookTarget | None,
        url_checks: Checks,
    ) -> Any:
        """`target` is the URL checked by `execute` (None when refused, the refusal in
        `url_checks`); nothing here looks a name up."""
        ctx = info.context
        checks = Checks()
        merchant_id = _acting_merchant(info)
        with checks:
            if merchant_id is None:  # staff name the merchant
                if input.merchant_id is None:
                    raise not_found("merchant", "merchantId")
                merchant = await find(
                    session, info, lm.Merchant, input.merchant_id,
                    type_name="Merchant", field="merchantId",
                )  # fmt: skip
                merchant_id = merchant.id
            elif input.merchant_id is not None:
                merchant = await find(
                    session, info, lm.Merchant, input.merchant_id,
                    type_name="Merchant", field="merchantId",
                )  # fmt: skip
        for refusal in url_checks.errors:
            checks.add(refusal)
        events = list(input.events or [])
        if merchant_id is None or target is None:  # refused already: name the other fields
            with checks:
                wh.check_events(events)
            checks.done()
        assert merchant_id is not None and target is not None
        with checks:
            subscription, secret = await wh.create_subscription(
                session,
                merchant_id=merchant_id,
                url=input.url,
                events=events,
                key=key,
                now=ctx.now,
                allow_private=ctx.settings.webhook_allow_private,
                checked=target,
            )
        checks.done()
        return {"webhook_subscription": subscription, "secret": secret}


class DeleteWebhookSubscriptionInput(graphene.InputObjectType):
    """The subscription to stop."""

    id = graphene.ID(required=True, description="The WebhookSubscription.")


class DeleteWebhookSubscription(MutationBase):
    """Stop a subscription: nothing more is sent to it (its deliveries stay listed)."""

    permissions = (MERCHANT_WRITE,)
    input_type = DeleteWebhookSubscriptionInput
    input_description = "Which one."
    deleted_id = graphene.ID(description="The ID of the deleted subscription.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        found = await find(
            session, info, wh.WebhookSubscription, input.id,
            type_name="WebhookSubscription", field="id",
        )  # fmt: skip
        await wh.delete_subscription(
            session, found.id, merchant_id=_acting_merchant(info), now=info.context.now
        )
        return input.id


class RedeliverWebhookInput(graphene.InputObjectType):
    """The delivery whose event to send again."""

    delivery_id = graphene.ID(required=True, description="The WebhookDelivery.")


class RedeliverWebhook(MutationBase):
    """Send a delivery's event again, as a new delivery with the same event id and payload
    (receivers dedupe by the event id)."""

    permissions = (MERCHANT_WRITE,)
    input_type = RedeliverWebhookInput
    input_description = "Which delivery."
    fields = FIELDS
    webhook_delivery = graphene.Field(t.WebhookDelivery, description="The new delivery.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        found = await find(
            session, info, wh.WebhookDelivery, input.delivery_id,
            type_name="WebhookDelivery", field="deliveryId",
        )  # fmt: skip
        return await wh.redeliver(
            session, found.id, merchant_id=_acting_merchant(info), now=info.context.now
        )


class WebhookMutations(graphene.ObjectType):
    create_webhook_subscription = CreateWebhookSubscription.field()
    delete_webhook_subscription = DeleteWebhookSubscription.field()
    redeliver_webhook = RedeliverWebhook.field()
