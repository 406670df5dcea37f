"""Every outbox kind's handler, merged from each messaging module's map (DESIGN §6)."""

from __future__ import annotations

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Handler
from messaging.webhooks import webhook_handlers


def handlers(db: Database, settings: Settings) -> dict[str, Handler]:
    """The handler of every kind the workers drain."""
    return {**webhook_handlers(db, settings)}
