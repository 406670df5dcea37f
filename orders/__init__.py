"""Carts, orders, reservations, payments (Stripe), webhooks, refunds, tickets, reconciliation."""
