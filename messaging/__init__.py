"""Drains the outbox: e-mails, webhooks, periodic jobs (DESIGN §1, §6).

`messaging.handlers.handlers(db, settings)` maps each outbox kind this package sends to its
handler; the worker (`tiein.worker`) runs them with `kernel.drainer`, beside the periodic
jobs' handlers (`tiein.jobs`). A package below queues a message in its own transaction
(`kernel.outbox.enqueue`) with a payload made by its serializer; a handler here reads that
payload and does the sending, outside any transaction, and must be idempotent: delivery is
at least once.
"""
