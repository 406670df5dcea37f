"""Authenticity label batches as the API shows them (SPEC §10). The codes themselves are not
fields: they are downloaded as a CSV for printing (`LabelBatch.csvUrl`)."""

from __future__ import annotations

from typing import Any

import graphene

from catalog.models import Product
from graphql_schema.relay import Node, connection, register
from graphql_schema.types.base import _lazy, _load
from licensing import label_models as lb
from licensing import models as lm
from licensing.label_batches import MAX_BATCH


def csv_path(batch_id: int) -> str:
    """Where a batch's codes are downloaded: the same bearer token (or a staff session)."""
    return f"/labels/batches/{batch_id}.csv"


class LabelBatch(graphene.ObjectType):
    """Authenticity label codes requested at once for one approved product: 60 random bits
    each in Crockford base32 with a check symbol, printed as `XXXX-XXXX-XXXX-C` and checked
    by anyone at `/verify/<code>`."""

    class Meta:
        interfaces = (Node,)

    quantity = graphene.Int(required=True, description=f"How many codes (1 to {MAX_BATCH:,}).")
    requested_at = graphene.DateTime(required=True, description="When it was requested.")
    requested_by = graphene.String(required=True, description="Who asked: a merchant or staff.")
    csv_url = graphene.String(
        required=True,
        description="A relative URL of the codes as CSV (code, SKU, product, verify URL), "
        "for printing; fetch it with the same `Authorization: Bearer` token.",
    )
    product = graphene.Field(_lazy("Product"), description="The product the labels are for.")
    merchant = graphene.Field(
        graphene.NonNull(_lazy("Merchant")), description="The merchant the labels belong to."
    )

    @staticmethod
    def resolve_csv_url(root: lb.LabelBatch, info: Any) -> str:
        return csv_path(root.id)

    @staticmethod
    def resolve_product(root: lb.LabelBatch, info: Any) -> Any:
        return _load(info, Product, root.product_id)

    @staticmethod
    def resolve_merchant(root: lb.LabelBatch, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)


LabelBatchConnection = connection(LabelBatch, "label batches")
register(lb.LabelBatch, LabelBatch)
