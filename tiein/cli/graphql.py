"""`tiein graphql schema`: print the API's schema in SDL (schema.graphql keeps a copy)."""

from __future__ import annotations

import argparse
from typing import Any

from graphql_schema.schema import schema_sdl


def _print_schema(args: argparse.Namespace) -> int:

    print(schema_sdl(), end="")
    return 0


def register(verbs: Any) -> None:
    """Add the `graphql` verbs to the `tiein` command line."""
    graphql = verbs.add_parser("graphql", help="the GraphQL API").add_subparsers(
        dest="graphql_verb", metavar="VERB", required=True
    )
    graphql.add_parser(
        "schema", help="print the GraphQL schema (SDL) with every description"
    ).set_defaults(func=_print_schema)
