"""Merchant webhooks (SPEC §8): subscriptions, deliveries, and queuing an event.

The rules:

- A merchant subscribes an https URL (checked by `licensing.webhook_urls`) to some of the
  EVENTS. Its signing secret is shown once, when the subscription is made.
- `queue_event` is called by the service that causes an event, in its transaction: it makes
  one event id and, per active subscription of that merchant to that event, one delivery row
  (the payload snapshot `{id, type, created_at, data}`) and one outbox message
  `webhook.delivery {"delivery_id"}`. A rollback leaves none of them; a commit loses none.
  `data` is the object as that merchant may see it, made by the owner's serializer.
- `messaging.webhooks` sends each delivery, signed, and records every attempt here; a
  subscription whose deliveries have failed for the retry horizon (3 days) is disabled and
  its merchant told (`email.webhook_disabled`).
- A redelivery is a new delivery row of the same event id and payload: receivers dedupe by
  the event id.

The signing secret is not stored. A subscription keeps a random salt; its secret is
`HMAC-SHA256(installation key, "tiein.webhook.v1:<subscription id>:<salt>")`, the
installation key being TIEIN_SECRET_KEY (or the installation's own key, kernel.installation).
So a copy of the database does not hold the secrets when the key is configured outside it,
and there is nothing to decrypt, hence no cipher to get wrong. The price: changing
TIEIN_SECRET_KEY changes every webhook secret (merchants subscribe again); the same is true
of an encrypted secret, which could no longer be decrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime
from kernel.errors import Checks, DomainError
from kernel.outbox import enqueue
from licensing.codes import LicensingError
from licensing.models import Merchant
from licensing.webhook_urls import URL_MAX, WebhookTarget, check_webhook_url

DELIVERY_KIND = "webhook.delivery"
DISABLED_EMAIL_KIND = "email.webhook_disabled"
RESPONSE_MAX = 1024  # bytes of a receiver's answer kept
ERROR_MAX = 1000
MAX_SUBSCRIPTIONS = 20  # per merchant: each event fans out to every one


class WebhookEvent(StrEnum):
    """What a merchant can subscribe to (SPEC §8)."""

    FULFILMENT_CREATED = "fulfilment.created"
    PRODUCT_REVIEWED = "product.reviewed"
    SALES_REPORT_PROCESSED = "sales_report.processed"
    STATEMENT_CLOSED = "statement.closed"
    STOCK_LOW = "stock.low"
    SALES_REPORT_OVERDUE = "sales_report.overdue"


EVENTS = tuple(e.value for e in WebhookEvent)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookSubscription(Base):
    """A merchant's URL and the events it receives there."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_salt: Mapped[str] = mapped_column(String(64))  # the secret is derived, see above
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first failure since
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # failed for 3 days
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by its merchant

    @property
    def active(self) -> bool:
        return self.disabled_at is None and self.deleted_at is None


class WebhookDelivery(Base):
    """One event sent (or to send) to one subscription, with what the last attempt got."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_merchant", "merchant_id", "created_at"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_response_code: Mapped[int | None] = mapped_column(Integer)
    last_response_body: Mapped[str | None] = mapped_column(String(RESPONSE_MAX))
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def subscription_secret(key: str, subscription_id: int, salt: str) -> str:
    """The signing secret of a subscription (derived, never stored: see the module doc)."""
    message = f"tiein.webhook.v1:{subscription_id}:{salt}".encode()
    return "whsec_" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def check_events(events: object, field: str = "events") -> list[str]:
    """The distinct event names, in EVENTS order; UNKNOWN_EVENT names the first bad one."""
    if not isinstance(events, list | tuple) or not events:
        raise DomainError(LicensingError.UNKNOWN_EVENT, "Name at least one event.", field)
    for n, name in enumerate(events, start=1):
        if not isinstance(name, str) or name not in EVENTS:
            shown = repr(name)[:60] if isinstance(name, str) else "that value"
            raise DomainError(
                LicensingError.UNKNOWN_EVENT,
                f"{shown} is not an event; the events are {', '.join(EVENTS)}.",
                f"{field}.{n}",
            )
    return [e for e in EVENTS if e in events]


async def create_subscription(
    session: AsyncSession,
    *,
    merchant_id: int,
    url: object,
    events: object,
    key: str,
    now: datetime,
    allow_private: bool = False,
    checked: WebhookTarget | None = None,
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to `events` for a merchant; returns the subscription and its signing
    secret (shown this once). Every bad field is refused at once (INVALID_URL,
    URL_NOT_ALLOWED, UNKNOWN_EVENT); a merchant holds at most MAX_SUBSCRIPTIONS, even
    when several subscribe at once (its merchant row is locked while counting).

    The URL is resolved here unless `checked` (`check_webhook_url` of `url`, made before
    the transaction began) is given: a lookup waits on a name server for up to 10 s, which
    must not hold a write transaction (on SQLite, the shop's one write lock)."""
    checks = Checks()
    target = names = None
    with checks:
        target = checked or await check_webhook_url(url, allow_private=allow_private)
    with checks:
        names = check_events(events)
    with checks:
        await session.execute(  # FOR NO KEY UPDATE: rows referring to it are not held up
            select(Merchant.id).where(Merchant.id == merchant_id).with_for_update(key_share=True)
        )
        held = await session.scalar(
            select(WebhookSubscription.id)
            .where(
                WebhookSubscription.merchant_id == merchant_id,
                WebhookSubscription.deleted_at.is_(None),
            )
            .offset(MAX_SUBSCRIPTIONS - 1)
            .limit(1)
        )
        if held is not None:
            raise DomainError(
                LicensingError.INVALID,
                f"A merchant has at most {MAX_SUBSCRIPTIONS} subscriptions; delete one first.",
                "url",
            )
    checks.done()
    assert target is not None and names is not None
    subscription = WebhookSubscription(
        merchant_id=merchant_id,
        url=target.url,
        events=names,
        secret_salt=secrets.token_hex(16),
        created_at=now,
    )
    session.add(subscription)
    await session.flush()
    return subscription, subscription_secret(key, subscription.id, subscription.secret_salt)


async def delete_subscription(
    session: AsyncSession, subscription_id: int, *, merchant_id: int | None, now: datetime
) -> WebhookSubscription:
    """Stop a subscription (its deliveries are kept, pending ones are not sent). Another
    merchant's, or a deleted one, is NOT_FOUND."""
    subscription = await _subscription(session, subscription_id, merchant_id, "id")
    subscription.deleted_at = now
    await session.flush()
    return subscription


async def _subscription(
    session: AsyncSession, subscription_id: int, merchant_id: int | None, field: str
) -> WebhookSubscription:
    query = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.deleted_at.is_(None)
    )
    if merchant_id is not None:
        query = query.where(WebhookSubscription.merchant_id == merchant_id)
    found = await session.scalar(query.with_for_update())
    if found is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such webhook subscription.", field)
    return found


async def _add_delivery(
    session: AsyncSession,
    subscription: WebhookSubscription,
    event_id: str,
    event: str,
    payload: dict[str, Any],
    now: datetime,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        event_id=event_id,
        subscription_id=subscription.id,
        merchant_id=subscription.merchant_id,
        event_type=event,
        payload=payload,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    await enqueue(
        session,
        DELIVERY_KIND,
        {"delivery_id": delivery.id},
        now=now,
        dedupe_key=f"{DELIVERY_KIND}:{delivery.id}",
    )
    return delivery


async def queue_event(
    session: AsyncSession,
    *,
    merchant_id: int,
    event: str,
    data: Mapping[str, Any],
    now: datetime,
) -> str | None:
    """Queue `event` about `data` (the object as the merchant may see it) to every active
    subscription of the merchant to it, in the caller's transaction. Returns the event id,
    or None when no subscription wants it (nothing is written)."""
    if event not in EVENTS:
        raise ValueError(f"{event!r} is not a webhook event")
    event = WebhookEvent(event).value
    subscriptions = (
        await session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.merchant_id == merchant_id,
                WebhookSubscription.disabled_at.is_(None),
                WebhookSubscription.deleted_at.is_(None),
            )
            .order_by(WebhookSubscription.id)
        )
    ).all()
    wanted = [s for s in subscriptions if event in (s.events or [])]
    if not wanted:
        return None
    event_id = str(uuid.uuid4())
    payload = {"id": event_id, "type": event, "created_at": now.isoformat(), "data": dict(data)}
    for subscription in wanted:
        await _add_delivery(session, subscription, event_id, event, payload, now)
    return event_id


async def subscribed_merchants(
    session: AsyncSession, event: str, merchant_ids: Collection[int]
) -> set[int]:
    """Which of `merchant_ids` have an active subscription to `event` (one statement), so
    that a service touching many merchants queues events only for those."""
    if not merchant_ids:
        return set()
    query = select(WebhookSubscription.merchant_id, WebhookSubscription.events).where(
        WebhookSubscription.disabled_at.is_(None), WebhookSubscription.deleted_at.is_(None)
    )
    if len(merchant_ids) <= 500:  # else every active subscription: fewer than merchants
        query = query.where(WebhookSubscription.merchant_id.in_(sorted(set(merchant_ids))))
    rows = await session.execute(query)
    return {m for m, events in rows if m in merchant_ids and event in (events or [])}


# Deliveries of one event to one subscription, the first included: enough to recover from
# any outage of a receiver, too few to turn redeliverWebhook into a request cannon.
DELIVERIES_PER_EVENT = 10


async def redeliver(
    session: AsyncSession, delivery_id: int, *, merchant_id: int | None, now: datetime
) -> WebhookDelivery:
    """Send a delivery's event again: a new delivery of the same event id and payload to
    the same subscription. Another merchant's delivery is NOT_FOUND; a disabled or deleted
    subscription is SUBSCRIPTION_DISABLED; while a delivery of the event is still pending,
    or once it has had DELIVERIES_PER_EVENT deliveries, REDELIVERY_REFUSED."""
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if merchant_id is not None:
        query = query.where(WebhookDelivery.merchant_id == merchant_id)
    original = await session.scalar(query)
    if original is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such webhook delivery.", "deliveryId")
    subscription = await session.get(WebhookSubscription, original.subscription_id)
    if subscription is None or not subscription.active:
        raise DomainError(
            LicensingError.SUBSCRIPTION_DISABLED,
            "The delivery's subscription is disabled or deleted; subscribe again.",
            "deliveryId",
        )
    pending, total = (
        await session.execute(
            select(
                func.count().filter(WebhookDelivery.status == DeliveryStatus.PENDING.value),
                func.count(),
            ).where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.event_id == original.event_id,
            )
        )
    ).one()
    if pending:
        raise DomainError(
            LicensingError.REDELIVERY_REFUSED,
            "A delivery of this event is still pending; wait for its outcome.",
            "deliveryId",
        )
    if total >= DELIVERIES_PER_EVENT:
        raise DomainError(
            LicensingError.REDELIVERY_REFUSED,
            f"This event has been delivered {total} times, the most there can be.",
            "deliveryId",
        )
    return await _add_delivery(
        session, subscription, original.event_id, original.event_type, original.payload, now
    )
