"""Fulfilment reads (SPEC §8): a merchant its own, staff all, the public nothing."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, where
from graphql_schema.relay import Page, paginate
from graphql_schema.types.fulfilments import FulfilmentConnection, FulfilmentStatus
from orders import fulfilment_models as fm


class FulfilmentFilter(Filter):
    """Narrows `fulfilments`."""

    status = where(
        FulfilmentStatus,
        "Only fulfilments in this status.",
        lambda status, ctx: fm.Fulfilment.status == status,
    )


class FulfilmentQueries(graphene.ObjectType):
    """What merchants ship."""

    fulfilments = filtered(
        FulfilmentConnection,
        "Fulfilments to ship, oldest first (a merchant: its own; staff: all).",
        FulfilmentFilter,
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_fulfilments(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = FulfilmentFilter.apply(visible(fm.Fulfilment, ctx.viewer, ctx.now), filter, ctx)
        return await paginate(
            info, stmt, (fm.Fulfilment.created_at, fm.Fulfilment.id), first, after
        )
