"""Label mutations: a merchant (or staff, for any merchant) requests a batch of authenticity
label codes for an approved product (SPEC §10)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product
from graphql_schema.auth import MERCHANT_WRITE
from graphql_schema.mutations.base import MutationBase, actor_name, errors_field, find
from graphql_schema.types import labels as t
from kernel.errors import Checks
from licensing.label_batches import (
    MAX_BATCH,
    check_quantity,
    check_request_total,
    request_labels,
)


class RequestLabelsInput(graphene.InputObjectType):
    """The product and how many labels."""

    product_id = graphene.ID(required=True, description="An approved Product of yours.")
    quantity = graphene.Int(required=True, description=f"1 to {MAX_BATCH:,} codes.")


class RequestLabels(MutationBase):
    __doc__ = f"""Make a batch of authenticity label codes for an approved product of an active
    agreement; download them for printing from the batch's `csvUrl`. A product that is not
    approved is refused (NOT_APPROVED); more than {MAX_BATCH:,} at once is TOO_MANY_LABELS, and so
    is more than {MAX_BATCH:,} in all by the aliased requestLabels of one document."""

    permissions = (MERCHANT_WRITE,)
    input_type = RequestLabelsInput
    input_description = "The product and the quantity."
    label_batch = graphene.Field(t.LabelBatch, description="The new batch.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        ctx = info.context
        checks = Checks()
        with checks:
            check_quantity(input.quantity)
            check_request_total(ctx.labels_asked, input.quantity)
        product = None
        with checks:
            product = await find(
                session, info, Product, input.product_id, type_name="Product", field="productId"
            )
        checks.done()
        assert product is not None
        viewer = ctx.viewer
        batch = await request_labels(
            session,
            product_id=product.id,
            quantity=input.quantity,
            merchant_id=viewer.merchant_id if viewer.is_merchant else None,
            requested_by=await actor_name(session, info),
            now=ctx.now,
        )
        ctx.labels_asked += input.quantity
        return batch


class LabelMutations(graphene.ObjectType):
    request_labels = RequestLabels.field()
