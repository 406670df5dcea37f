"""Verbs of the orders package: `tiein payments reconcile`, `tiein orders expire`."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from kernel.clock import now_utc
from kernel.config import load_settings
from kernel.db import Database
from orders.payments import StripeGateway
from orders.reconcile import expire_orders, reconcile_payments
from tiein.cli.common import CommandError, run_with_db
from tiein.localstripe import TEST_SECRET_KEY, running_stand_in


def stripe_gateway(required: bool) -> Any:
    """Stripe as configured; without keys, the local stand-in (localstripe) that a running
    `tiein serve` started for the same database — it keeps its payments in memory, so the
    verbs must ask that very process."""

    settings = load_settings()
    if not settings.stripe_secret_key:
        api_base = running_stand_in(settings.database_url)
        if api_base is not None:
            settings = dataclasses.replace(
                settings, stripe_secret_key=TEST_SECRET_KEY, stripe_api_base=api_base
            )
    if not settings.stripe_secret_key:
        if required:
            raise CommandError(
                "STRIPE_SECRET_KEY is not set and no `tiein serve` with localstripe runs on "
                "this database: cannot ask Stripe about payments"
            )
        return None
    return StripeGateway(settings)


def _reconcile(args: argparse.Namespace) -> int:

    gateway = stripe_gateway(required=True)

    async def work(db: Database) -> Any:
        try:
            return await reconcile_payments(db, gateway, now=now_utc())
        finally:
            await gateway.close()

    report = run_with_db(work)
    print(f"payments reconciled: {report}")
    for error in report.errors:
        print(f"  could not check {error}")
    return 1 if report.errors else 0


def _expire(args: argparse.Namespace) -> int:

    gateway = stripe_gateway(required=False)

    async def work(db: Database) -> Any:
        try:
            return await expire_orders(db, gateway, now=now_utc())
        finally:
            if gateway is not None:
                await gateway.close()

    report = run_with_db(work)
    print(f"orders expired: {report}")
    for error in report.errors:
        print(f"  could not check {error}")
    return 1 if report.errors else 0


def register(verbs: Any) -> None:
    """Add the `payments` and `orders` verbs to the `tiein` command line."""
    payments = verbs.add_parser("payments", help="Stripe payments").add_subparsers(
        dest="payments_verb", metavar="VERB", required=True
    )
    text = (
        "ask Stripe about every order awaiting payment and apply what it says "
        "(settles paid orders whose webhook was lost; idempotent); checkouts and refunds "
        "a crash left half-way get their Stripe answer and are completed or released"
    )
    payments.add_parser("reconcile", help=text, description=text).set_defaults(func=_reconcile)

    orders = verbs.add_parser("orders", help="orders").add_subparsers(
        dest="orders_verb", metavar="VERB", required=True
    )
    text = (
        "release the items of unpaid orders whose reservation ran out, mark them expired "
        "and cancel their PaymentIntents (idempotent)"
    )
    orders.add_parser("expire", help=text, description=text).set_defaults(func=_expire)
