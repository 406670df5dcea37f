"""Label batch reads, behind a token: a merchant's own batches (staff: every merchant's)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, is_id, where
from graphql_schema.relay import Page, paginate
from graphql_schema.types import labels as t
from licensing.label_models import LabelBatch


class LabelBatchFilter(Filter):
    """Narrows `labelBatches`."""

    product_id = where(
        graphene.ID,
        "Only batches of this product (a Product ID).",
        lambda gid, ctx: is_id(LabelBatch.product_id, gid, "Product"),
    )


class LabelQueries(graphene.ObjectType):
    """Authenticity label batches (SPEC §10)."""

    label_batches = filtered(
        t.LabelBatchConnection,
        "Label batches, newest first (a merchant: its own).",
        LabelBatchFilter,
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_label_batches(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = LabelBatchFilter.apply(visible(LabelBatch, ctx.viewer, ctx.now), filter, ctx)
        return await paginate(info, stmt, (LabelBatch.id.desc(),), first, after)
