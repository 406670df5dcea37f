"""Every outbox kind the messaging package handles, in one map for the worker
(`tiein worker`, `tiein serve --jobs`)."""

from __future__ import annotations

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Handler
from messaging.email import email_handlers
from messaging.reminders import reminder_handlers
from messaging.webhooks import WebhookClients, webhook_handlers


def handlers(
    db: Database, settings: Settings, *, clients: WebhookClients | None = None
) -> dict[str, Handler]:
    """The handlers of the messaging package by outbox kind (`email.receipt`,
    `webhook.delivery`, …): each module's map merged, one line each. Webhooks are posted
    with `clients` (kept connections, closed by the caller) when given."""
    return {
        **email_handlers(db, settings),
        **reminder_handlers(db, settings),
        **webhook_handlers(db, settings, clients=clients),
    }
