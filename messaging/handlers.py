"""The outbox handlers of every messaging module, by kind (`tiein worker`, `serve --jobs`)."""

from __future__ import annotations

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Handler
from messaging.email import email_handlers


def handlers(db: Database, settings: Settings) -> dict[str, Handler]:
    """Every kind the drainer can run, mapped to its handler."""
    return {
        **email_handlers(db, settings),
    }
