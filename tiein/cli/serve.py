"""`tiein serve`: the app under uvicorn, with the local Stripe stand-in when no keys are set
and the local SMTP sink when no TIEIN_SMTP_URL is set."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
from typing import Any

from kernel.config import load_settings
from kernel.db import is_sqlite
from kernel.installation import installation_secret
from tiein import localstripe, smtp_sink
from tiein.cli.common import CommandError, run_with_db
from tiein.jobs import JOBS_IN_WORDS
from tiein.server import TcpConfig, run_uvicorn
from tiein.stand_ins import PortInUse


def register(verbs: Any) -> None:
    serve = verbs.add_parser("serve", help="serve the storefront, /graphql and /staff over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--localstripe-port",
        type=int,
        default=8420,
        help="where to run localstripe when no STRIPE_SECRET_KEY is set (default 8420)",
    )
    serve.add_argument(
        "--no-localstripe",
        action="store_true",
        help="do not start localstripe even when no Stripe keys are configured",
    )
    serve.add_argument(
        "--no-smtp-sink",
        action="store_true",
        help="do not start the local SMTP sink even when no TIEIN_SMTP_URL is set "
        "(e-mails then wait in the outbox until one is)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="",
        metavar="IPS",
        help="comma-separated addresses of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto to trust (default: none; the connection's own address counts)",
    )
    serve.add_argument(
        "--jobs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the worker in each server process, as `tiein worker` does: send what the "
        f"outbox holds (e-mails, merchant webhooks) and run the periodic jobs ({JOBS_IN_WORDS}) "
        "(default: on with SQLite or the local localstripe, off otherwise: then run "
        "`tiein worker`)",
    )
    serve.add_argument(
        "--jobs-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between two runs of each periodic job (default 30, TIEIN_JOBS_INTERVAL)",
    )
    serve.set_defaults(func=_serve)


class _Terminated(BaseException):
    """SIGTERM reached `tiein serve`: unwind, so that everything it started is stopped."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def _serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM. Whatever way it ends (signal, error, the server
    failing to start), the local stand-ins started here are stopped with it: uvicorn
    re-raises the signal it caught once it has shut down, and SIGTERM's handler here turns
    that into an unwinding exception, so the `finally` below always runs. The stand-ins also
    die with this process on Linux (PR_SET_PDEATHSIG), should it be killed outright."""
    settings = load_settings()
    use_stand_in = not os.environ.get("STRIPE_SECRET_KEY") and not args.no_localstripe
    use_sink = not os.environ.get("TIEIN_SMTP_URL") and not args.no_smtp_sink
    jobs = args.jobs
    if jobs is None:
        jobs = is_sqlite(settings.database_url) or use_stand_in
    os.environ["TIEIN_JOBS"] = "1" if jobs else "0"
    # Links that leave the site (e-mails) point where this server listens, unless configured.
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    os.environ.setdefault("TIEIN_PUBLIC_URL", f"http://{host}:{args.port}")
    if args.jobs_interval is not None:
        if args.jobs_interval <= 0:
            raise CommandError("--jobs-interval must be a positive number of seconds")
        os.environ["TIEIN_JOBS_INTERVAL"] = str(args.jobs_interval)

    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    stripe_process = sink_process = None
    try:
        if use_stand_in:
            stripe_process = _start_local_stripe(args, settings.database_url)
        if use_sink:
            sink_process = _start_smtp_sink(settings.database_url)
        if not run_uvicorn(server_config(args)):
            raise CommandError(f"the server did not start on {args.host}:{args.port}")
    except _Terminated:
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        if stripe_process is not None:
            localstripe.stop_localstripe(stripe_process)
            localstripe.forget_stand_in(settings.database_url, stripe_process)
        if sink_process is not None:
            smtp_sink.stop_sink(sink_process)
        signal.signal(signal.SIGTERM, previous)
    return 0


def server_config(args: argparse.Namespace) -> Any:
    """uvicorn's settings for `tiein serve`. The client address (which the sign-in throttle
    and the anonymous GraphQL budget key on) comes from X-Forwarded-For only when the
    connection comes from a proxy named with --forwarded-allow-ips: trusted by default, a
    local client could claim any address it likes."""
    proxies = args.forwarded_allow_ips
    return TcpConfig(
        "tiein.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


def _start_local_stripe(args: argparse.Namespace, database_url: str) -> Any:
    """No Stripe keys: run localstripe on loopback beside the app and point the app at it.
    A port already taken (a stand-in some other run left behind) is never reused: a fresh
    port is used instead. The address is recorded beside the database for the CLI verbs."""
    if importlib.util.find_spec("localstripe") is None:
        raise CommandError(
            "no STRIPE_SECRET_KEY set and localstripe is not installed: "
            "pip install 'tiein[demo]' or configure Stripe (see README)"
        )
    webhook_secret = local_stripe_webhook_secret()  # before the process: nothing to clean up
    port = args.localstripe_port
    try:
        process = localstripe.start_localstripe(port, die_with_parent=True)
    except PortInUse as exc:
        port = localstripe.free_port()
        print(f"tiein: {exc}; starting localstripe on port {port} instead", file=sys.stderr)
        process = localstripe.start_localstripe(port, die_with_parent=True)
    base = f"http://127.0.0.1:{port}"
    try:
        os.environ.update(
            STRIPE_SECRET_KEY=localstripe.TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=localstripe.TEST_PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=webhook_secret,
            STRIPE_API_BASE=base,
            STRIPE_JS_URL=f"{base}/js.stripe.com/v3/",
        )
        app_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        localstripe.register_webhook(
            base, f"http://{app_host}:{args.port}/webhooks/stripe", webhook_secret
        )
        localstripe.record_stand_in(database_url, base, process)
    except BaseException:
        localstripe.stop_localstripe(process)
        raise
    print(f"tiein: test payments through localstripe at {base} (no STRIPE_SECRET_KEY set)")
    return process


def local_stripe_webhook_secret() -> str:
    """The installation's webhook secret for localstripe, made on first use and kept in the
    database like the secret key (SPEC §11), so every start and worker signs with the same."""
    return run_with_db(
        lambda db: installation_secret(db, localstripe.WEBHOOK_SECRET_NAME, prefix="whsec_")
    )


def _start_smtp_sink(database_url: str) -> Any:
    """No TIEIN_SMTP_URL: run the SMTP sink on a free loopback port beside the app, keeping
    what it receives beside the database, and point the app (and its workers) at it."""
    if importlib.util.find_spec("aiosmtpd") is None:
        raise CommandError(
            "no TIEIN_SMTP_URL set and aiosmtpd is not installed: "
            "pip install 'tiein[demo]', configure SMTP (see README) or pass --no-smtp-sink"
        )
    directory = smtp_sink.mailbox_dir(database_url)
    process, port = smtp_sink.start_sink(directory, die_with_parent=True)
    os.environ.update(
        TIEIN_SMTP_URL=f"smtp://127.0.0.1:{port}?starttls=false",
        TIEIN_MAIL_SINK_DIR=str(directory),
    )
    print(f"tiein: e-mails go to the local SMTP sink on 127.0.0.1:{port} (staff Outbox page)")
    return process
