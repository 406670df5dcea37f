"""Order reads, behind a token (a merchant sees the orders holding its lines)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, where
from graphql_schema.relay import Page, paginate
from orders import models as om


class OrderFilter(Filter):
    """Narrows `orders`."""

    status = where(
        sc.OrderStatus, "Only orders in this status.", lambda status, ctx: om.Order.status == status
    )


class OrderQueries(graphene.ObjectType):
    """Shoppers' orders, for partners and staff."""

    orders = filtered(
        t.OrderConnection,
        "Orders, newest first (a merchant: those holding its lines).",
        OrderFilter,
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_orders(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = OrderFilter.apply(visible(om.Order, ctx.viewer, ctx.now), filter, ctx)
        order = (om.Order.created_at.desc(), om.Order.id.desc())
        return await paginate(info, stmt, order, first, after)
