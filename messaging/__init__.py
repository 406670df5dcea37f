"""Draining the outbox: e-mails to shoppers, webhooks to merchants (DESIGN §1, §6)."""
