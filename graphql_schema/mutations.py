"""Mutations: placeholder until the per-domain mixins land."""

from __future__ import annotations

import graphene


class Mutation(graphene.ObjectType):
    """Changes to the catalog, licensing and orders."""

    noop = graphene.Boolean(description="Placeholder.")
