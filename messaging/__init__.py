"""Drains the outbox: e-mails to shoppers and webhooks to merchants (DESIGN §1, SPEC §8)."""
