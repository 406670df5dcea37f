"""`tiein worker`: the outbox's drainer and the periodic jobs, in a process of their own."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
from typing import Any

from kernel.config import load_settings
from kernel.db import Database
from tiein.cli.common import CommandError, safe_url
from tiein.cli.orders import stripe_gateway
from tiein.jobs import JOBS_IN_WORDS
from tiein.worker import Worker

DESCRIPTION = (
    "send what the outbox holds (e-mails, merchant webhooks), retrying failures with "
    f"back-off, and run the periodic jobs ({JOBS_IN_WORDS}) once per interval across every "
    "worker; run any number, on any number of machines, beside "
    "`tiein serve --no-jobs`. Runs until SIGTERM or SIGINT, then lets the messages it holds "
    "finish (a few seconds) and exits"
)


def register(verbs: Any) -> None:
    """Add the `worker` verb to the `tiein` command line."""
    worker = verbs.add_parser(
        "worker",
        help="send e-mails and webhooks from the outbox and run the periodic jobs",
        description=DESCRIPTION,
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="messages run side by side in this process (default 1)",
    )
    worker.add_argument(
        "--jobs-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between two runs of each periodic job (default 30, TIEIN_JOBS_INTERVAL)",
    )
    worker.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise CommandError("--concurrency must be at least 1")
    settings = load_settings()
    if args.jobs_interval is not None:
        if not args.jobs_interval > 0:
            raise CommandError("--jobs-interval must be a positive number of seconds")
        settings = dataclasses.replace(settings, jobs_interval=args.jobs_interval)
    # Stripe as configured, else the stand-in of a `tiein serve` on this database, else none
    # (then only orders without a PaymentIntent expire, and nothing is reconciled).
    gateway = stripe_gateway(required=False)

    async def run(db: Database) -> None:
        try:
            worker = Worker(db, settings, gateway=gateway, concurrency=args.concurrency)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        print(
            f"tiein worker {worker.name}: the outbox of {safe_url(settings.database_url)}, "
            f"periodic jobs every {settings.jobs_interval:g}s"
            + ("" if gateway is not None else " (no Stripe: payments are not reconciled)"),
            flush=True,
        )
        worker.start()
        try:
            await stop.wait()
        finally:
            await worker.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            print(f"tiein worker {worker.name}: stopped", flush=True)

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            await run(db)
        finally:
            if gateway is not None:
                await gateway.close()
            await db.dispose()

    asyncio.run(main())
    return 0
