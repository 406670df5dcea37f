"""The `tiein` command line. Every verb has --help; errors are one clear line, exit non-zero."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kernel.config import load_settings
from kernel.errors import DomainError
from tiein.cli import admin, catalog, graphql, licensing, merchants, orders, serve, worker
from tiein.cli.common import CommandError, safe_url

# Each module adds its verbs through `register(subparsers)`.
COMMAND_MODULES = (serve, worker, admin, merchants, licensing, catalog, orders, graphql)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tiein",
        description="tiein: film IP licensing, a ticket-plus-merch storefront and a royalty "
        "ledger. Configuration comes from environment variables (TIEIN_DATABASE_URL, "
        "TIEIN_SECRET_KEY, STRIPE_*); see README.md.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    for module in COMMAND_MODULES:
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
            url = safe_url(load_settings().database_url)
            return f"cannot use the database {url}: {text}"
        current = current.__cause__ or current.__context__
    return f"{type(exc).__name__}: {text}"


if __name__ == "__main__":
    sys.exit(main())
