"""Administration verbs: the database schema, demo data, API tokens and staff users."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from sqlalchemy import select

from kernel.config import load_settings
from kernel.db import Database
from licensing.accounts import create_api_token, create_staff_user
from licensing.models import StaffUser
from licensing.staff_sessions import change_staff_password, deactivate_staff_user
from licensing.tokens import parse_scopes
from tiein import migrate
from tiein.cli.common import CommandError, run_with_db, safe_url
from tiein.cli.merchants import merchant_by_slug
from tiein.demo import load_demo


def register(verbs: Any) -> None:
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
    create.add_argument(
        "--scopes",
        metavar="LIST",
        help="what a merchant token may do, comma-separated from read, write, tokens "
        "(default read,write); a staff token holds every scope",
    )
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


def _db_upgrade(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    migrate.upgrade(url, args.revision)
    print(f"database at revision {args.revision}: {safe_url(url)}")
    return 0


def _db_check(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    diff = asyncio.run(migrate.schema_diff(url))
    if diff:
        for item in diff:
            print(f"differs: {item}", file=sys.stderr)
        raise CommandError(f"the schema of {safe_url(url)} differs from the models ({len(diff)})")
    print(f"schema matches the models: {safe_url(url)}")
    return 0


def _demo_load(args: argparse.Namespace) -> int:
    media_dir = load_settings().media_path
    summary = run_with_db(
        lambda db: load_demo(db, orders=args.orders, progress=not args.quiet, media_dir=media_dir)
    )
    print(summary)
    return 0


def _token_create(args: argparse.Namespace) -> int:
    scopes = None if args.scopes is None else parse_scopes(args.scopes)

    async def work(db: Database) -> tuple[str, str]:
        async with db.session() as session:
            if args.merchant:
                merchant = await merchant_by_slug(session, args.merchant)
                token, secret = await create_api_token(
                    session, merchant=merchant, name=args.name, scopes=scopes
                )
            else:
                user = await session.scalar(
                    select(StaffUser).where(StaffUser.username == args.staff.lower())
                )
                if user is None:
                    raise CommandError(f"no staff user {args.staff!r} (tiein staff create)")
                token, secret = await create_api_token(
                    session, staff_user=user, name=args.name, scopes=scopes
                )
            return secret, token.scopes

    secret, held = run_with_db(work)
    print(secret)
    print(f"Scopes: {held}. Store this token now: tiein keeps only its hash.", file=sys.stderr)
    return 0


def _staff_create(args: argparse.Namespace) -> int:
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
    password = args.password or getpass.getpass("New password: ")

    async def work(db: Database) -> str:
        async with db.session() as session:
            user = await change_staff_password(session, args.username, password)
            return user.username

    print(f"password changed, sessions ended: {run_with_db(work)}")
    return 0


def _staff_deactivate(args: argparse.Namespace) -> int:
    async def work(db: Database) -> str:
        async with db.session() as session:
            user = await deactivate_staff_user(session, args.username)
            return user.username

    print(f"staff user deactivated, sessions ended, tokens revoked: {run_with_db(work)}")
    return 0
