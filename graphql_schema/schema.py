"""The schema, assembled from the root Query and the per-domain mutation mixins."""

from __future__ import annotations

import graphene
from graphql import print_schema

from graphql_schema import types as t
from graphql_schema.mutations import Mutation
from graphql_schema.queries import Query

schema = graphene.Schema(
    query=Query,
    mutation=Mutation,
    types=[
        t.Film,
        t.Cinema,
        t.Showtime,
        t.Screen,
        t.Product,
        t.BundleOffer,
        t.Merchant,
        t.Agreement,
        t.RoyaltyStatement,
        t.SalesReport,
        t.Order,
        t.OrderLine,
        t.ApiToken,
    ],
)


def schema_sdl() -> str:
    """The schema in SDL, as `tiein graphql schema` prints it and schema.graphql keeps it."""
    return print_schema(schema.graphql_schema) + "\n"
