"""The `tiein` command line. Every verb has --help; errors are one clear line, exit non-zero."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tiein.config import load_settings
from tiein.db import Database, is_sqlite
from tiein.errors import DomainError

# Packages that add verbs of their own through a `register(subparsers)` function.
COMMAND_MODULES = ("licensing.cli", "catalog.cli", "orders.cli", "graphql_schema.cli")


class CommandError(Exception):
    """A problem to report to the user in one line (exit status 1)."""


def run_with_db(work: Callable[[Database], Awaitable[Any]]) -> Any:
    """Run `work` with a Database of the configured URL, disposed afterwards."""

    async def main() -> Any:
        db = Database(load_settings().database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


class _Terminated(BaseException):
    """SIGTERM reached `tiein serve`: unwind, so that everything it started is stopped."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def _serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM. Whatever way it ends (signal, error, the server
    failing to start), the local Stripe stand-in started here is stopped with it: uvicorn
    re-raises the signal it caught once it has shut down, and SIGTERM's handler here turns
    that into an unwinding exception, so the `finally` below always runs. The stand-in also
    dies with this process on Linux (PR_SET_PDEATHSIG), should it be killed outright."""
    import os
    import signal

    from tiein.server import run_uvicorn

    settings = load_settings()
    use_stand_in = not os.environ.get("STRIPE_SECRET_KEY") and not args.no_localstripe
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
    stripe_process = None
    try:
        if use_stand_in:
            stripe_process = _start_local_stripe(args, settings.database_url)
        if not run_uvicorn(server_config(args)):
            raise CommandError(f"the server did not start on {args.host}:{args.port}")
    except _Terminated:
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        if stripe_process is not None:
            from orders.localstripe import forget_stand_in, stop_localstripe

            stop_localstripe(stripe_process)
            forget_stand_in(settings.database_url, stripe_process)
        signal.signal(signal.SIGTERM, previous)
    return 0


def server_config(args: argparse.Namespace) -> Any:
    """uvicorn's settings for `tiein serve`. The client address (which the sign-in throttle
    and the anonymous GraphQL budget key on) comes from X-Forwarded-For only when the
    connection comes from a proxy named with --forwarded-allow-ips: trusted by default, a
    local client could claim any address it likes."""
    from tiein.server import TcpConfig

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
    import importlib.util
    import os

    if importlib.util.find_spec("localstripe") is None:
        raise CommandError(
            "no STRIPE_SECRET_KEY set and localstripe is not installed: "
            "pip install 'tiein[localstripe]' or configure Stripe (see README)"
        )
    from orders import localstripe

    webhook_secret = local_stripe_webhook_secret()  # before the process: nothing to clean up
    port = args.localstripe_port
    try:
        process = localstripe.start_localstripe(port, die_with_parent=True)
    except localstripe.PortInUse as exc:
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
    from orders.localstripe import WEBHOOK_SECRET_NAME
    from tiein.installation import installation_secret

    return run_with_db(lambda db: installation_secret(db, WEBHOOK_SECRET_NAME, prefix="whsec_"))


def _db_upgrade(args: argparse.Namespace) -> int:
    from tiein import migrate

    url = load_settings().database_url
    migrate.upgrade(url, args.revision)
    print(f"database at revision {args.revision}: {_safe(url)}")
    return 0


def _db_check(args: argparse.Namespace) -> int:
    from tiein import migrate

    url = load_settings().database_url
    diff = asyncio.run(migrate.schema_diff(url))
    if diff:
        for item in diff:
            print(f"differs: {item}", file=sys.stderr)
        raise CommandError(f"the schema of {_safe(url)} differs from the models ({len(diff)})")
    print(f"schema matches the models: {_safe(url)}")
    return 0


def _demo_load(args: argparse.Namespace) -> int:
    from tiein.demo import load_demo

    summary = run_with_db(lambda db: load_demo(db, orders=args.orders, progress=not args.quiet))
    print(summary)
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from licensing.accounts import create_api_token
    from licensing.models import Merchant, StaffUser

    async def work(db: Database) -> str:
        async with db.session() as session:
            if args.merchant:
                merchant = await session.scalar(
                    select(Merchant).where(Merchant.slug == args.merchant)
                )
                if merchant is None:
                    raise CommandError(f"no merchant with slug {args.merchant!r}")
                _, secret = await create_api_token(session, merchant=merchant, name=args.name)
            else:
                user = await session.scalar(
                    select(StaffUser).where(StaffUser.username == args.staff.lower())
                )
                if user is None:
                    raise CommandError(f"no staff user {args.staff!r} (tiein staff create)")
                _, secret = await create_api_token(session, staff_user=user, name=args.name)
            return secret

    print(run_with_db(work))
    print("Store this token now: tiein keeps only its hash.", file=sys.stderr)
    return 0


def _staff_create(args: argparse.Namespace) -> int:
    import getpass

    from licensing.accounts import create_staff_user

    password = args.password or getpass.getpass("Password: ")

    async def work(db: Database) -> str:
        async with db.session() as session:
            user = await create_staff_user(
                session, username=args.username, password=password, display_name=args.name
            )
            return user.username

    print(f"staff user created: {run_with_db(work)}")
    return 0


def _staff_password(args: argparse.Namespace) -> int:
    import getpass

    from licensing.staff_sessions import change_staff_password

    password = args.password or getpass.getpass("New password: ")

    async def work(db: Database) -> str:
        async with db.session() as session:
            user = await change_staff_password(session, args.username, password)
            return user.username

    print(f"password changed, sessions ended: {run_with_db(work)}")
    return 0


def _staff_deactivate(args: argparse.Namespace) -> int:
    from licensing.staff_sessions import deactivate_staff_user

    async def work(db: Database) -> str:
        async with db.session() as session:
            user = await deactivate_staff_user(session, args.username)
            return user.username

    print(f"staff user deactivated, sessions ended, tokens revoked: {run_with_db(work)}")
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tiein",
        description="tiein: film IP licensing, a ticket-plus-merch storefront and a royalty "
        "ledger. Configuration comes from environment variables (TIEIN_DATABASE_URL, "
        "TIEIN_SECRET_KEY, STRIPE_*); see README.md.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

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
        help="run the periodic jobs (expire unpaid orders, reconcile payments) in the server "
        "(default: on with SQLite or the local localstripe, off otherwise)",
    )
    serve.add_argument(
        "--jobs-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between two runs of the periodic jobs (default 30, TIEIN_JOBS_INTERVAL)",
    )
    serve.set_defaults(func=_serve)

    db = verbs.add_parser("db", help="database schema").add_subparsers(
        dest="db_verb", metavar="VERB", required=True
    )
    up = db.add_parser("upgrade", help="apply migrations up to the newest (or --revision)")
    up.add_argument("--revision", default="head", help="target revision (default head)")
    up.set_defaults(func=_db_upgrade)
    db.add_parser(
        "check", help="compare the database schema with the models; exit 1 if they differ"
    ).set_defaults(func=_db_check)

    demo = verbs.add_parser("demo", help="demo data").add_subparsers(
        dest="demo_verb", metavar="VERB", required=True
    )
    load = demo.add_parser(
        "load", help="load the deterministic demo data set (idempotent: does nothing if loaded)"
    )
    load.add_argument("--orders", type=int, default=2000, help="paid orders to create (2000)")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(func=_demo_load)

    token = verbs.add_parser("token", help="API tokens").add_subparsers(
        dest="token_verb", metavar="VERB", required=True
    )
    create = token.add_parser("create", help="issue a GraphQL API token; prints it once")
    owner = create.add_mutually_exclusive_group(required=True)
    owner.add_argument("--merchant", metavar="SLUG", help="a token for this merchant")
    owner.add_argument("--staff", metavar="USERNAME", help="a token for this staff user")
    create.add_argument("--name", default="cli", help="a label for the token")
    create.set_defaults(func=_token_create)

    staff = verbs.add_parser("staff", help="staff users").add_subparsers(
        dest="staff_verb", metavar="VERB", required=True
    )
    screate = staff.add_parser("create", help="create a staff user (asks for the password)")
    screate.add_argument("username", help="login name")
    screate.add_argument("--name", default="", help="display name")
    screate.add_argument("--password", help="password (prompted for when omitted)")
    screate.set_defaults(func=_staff_create)
    spassword = staff.add_parser(
        "password", help="set a staff user's password and end all of their sessions"
    )
    spassword.add_argument("username", help="login name")
    spassword.add_argument("--password", help="new password (prompted for when omitted)")
    spassword.set_defaults(func=_staff_password)
    sdeactivate = staff.add_parser(
        "deactivate",
        help="stop a staff user signing in; ends their sessions and revokes their API tokens",
    )
    sdeactivate.add_argument("username", help="login name")
    sdeactivate.set_defaults(func=_staff_deactivate)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"tiein: {exc.code}{where}: {exc.message}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"tiein: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        print(f"tiein: {describe_failure(exc)}", file=sys.stderr)
        return 1


def describe_failure(exc: BaseException) -> str:
    """One line for an unexpected failure, naming the database when it is the cause."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    causes = (OSError, ConnectionError)
    names = {"OperationalError", "InvalidCatalogNameError", "InvalidPasswordError", "ArgumentError"}
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, causes) or type(current).__name__ in names:
            url = _safe(load_settings().database_url)
            return f"cannot use the database {url}: {text}"
        current = current.__cause__ or current.__context__
    return f"{type(exc).__name__}: {text}"


if __name__ == "__main__":
    sys.exit(main())
