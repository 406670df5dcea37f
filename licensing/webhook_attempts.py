"""What an attempt to deliver a webhook did, recorded on its delivery and subscription.

The rules (SPEC §8):

- A 2xx answer: the delivery succeeded, and its subscription is no longer failing.
- Anything else: the attempt is kept (status code, error, at most 1 KB of the answer); the
  delivery stays pending while the queue retries it and fails on the last attempt.
- A subscription is failing from its first failed attempt after a success (`failing_since`).
  Once it has been failing for the retry horizon (3 days), it is disabled (`disabled_at`)
  and its merchant is told by e-mail (`email.webhook_disabled {"subscription_id"}`, queued
  in the same transaction, once). Deliveries of a disabled subscription are not sent.
- Only a pending delivery is changed: a late report of an attempt that another worker
  finished already changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import enqueue
from licensing.webhooks import (
    DISABLED_EMAIL_KIND,
    ERROR_MAX,
    RESPONSE_MAX,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)


class Verdict(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAILED = "failed"
    STALE = "stale"  # the delivery was not pending any more: nothing changed


@dataclass(frozen=True)
class Attempt:
    """One try: the status code (None when no answer came), the start of the answer, and
    the error in words."""

    status_code: int | None
    body: str | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _bounded(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def record_attempt(
    session: AsyncSession,
    delivery_id: int,
    attempt: Attempt,
    *,
    now: datetime,
    final: bool,
    horizon: timedelta,
) -> Verdict:
    """Record `attempt` of a pending delivery; `final` says the queue will not try again.
    Disables the subscription once it has failed for `horizon` (see the module doc)."""
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
        return Verdict.STALE
    subscription = await session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == delivery.subscription_id)
        .with_for_update()
    )
    assert subscription is not None
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_response_code = attempt.status_code
    delivery.last_response_body = _bounded(attempt.body, RESPONSE_MAX)
    delivery.last_error = _bounded(attempt.error, ERROR_MAX)
    if attempt.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED.value
        delivery.finished_at = now
        subscription.failing_since = None
        verdict = Verdict.SUCCEEDED
    else:
        if subscription.failing_since is None:
            subscription.failing_since = now
        if final:
            delivery.status = DeliveryStatus.FAILED.value
            delivery.finished_at = now
        verdict = Verdict.FAILED if final else Verdict.RETRY
        if subscription.disabled_at is None and now - subscription.failing_since >= horizon:
            await disable_subscription(session, subscription, now=now)
    await session.flush()
    return verdict


async def disable_subscription(
    session: AsyncSession, subscription: WebhookSubscription, *, now: datetime
) -> None:
    """Disable a subscription that has failed for the horizon and queue the e-mail that
    tells its merchant (once per subscription, by its dedupe key)."""
    subscription.disabled_at = now
    await enqueue(
        session,
        DISABLED_EMAIL_KIND,
        {"subscription_id": subscription.id},
        now=now,
        dedupe_key=f"{DISABLED_EMAIL_KIND}:{subscription.id}",
    )


async def give_up(session: AsyncSession, delivery_id: int, reason: str, *, now: datetime) -> None:
    """Fail a pending delivery without an attempt (its subscription was disabled or
    deleted, or its URL is now refused)."""
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.FAILED.value,
            finished_at=now,
            last_error=_bounded(reason, ERROR_MAX),
        )
        .execution_options(synchronize_session=False)
    )
