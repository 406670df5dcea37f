"""The root Query, assembled from per-domain mixins (catalog, licensing, orders, reports)
and the fields of no domain (node, viewer).

Root fields run concurrently, so each opens its own read session (see loaders.py)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.queries.accounts import AccountQueries
from graphql_schema.queries.catalog import CatalogQueries
from graphql_schema.queries.forecast import ForecastQueries
from graphql_schema.queries.fulfilments import FulfilmentQueries
from graphql_schema.queries.labels import LabelQueries
from graphql_schema.queries.licensing import LicensingQueries
from graphql_schema.queries.orders import OrderQueries
from graphql_schema.queries.promotions import PromotionQueries
from graphql_schema.queries.receivables import ReceivableQueries
from graphql_schema.queries.reports import ReportQueries
from graphql_schema.queries.webhooks import WebhookQueries
from graphql_schema.relay import MODEL_FOR_TYPE, Node, decode_id, split_id
from graphql_schema.types import StatementView
from kernel.errors import DomainError
from kernel.parsing import InvalidInput, parse_id
from kernel.periods import check_period
from licensing import models as lm
from licensing.accounts import Viewer
from licensing.models import TokenScope
from licensing.statements import compute_statement


class ViewerInfo(graphene.ObjectType):
    """Who is asking, as the API sees the request's token."""

    class Meta:
        name = "Viewer"

    kind = graphene.Field(graphene.NonNull(sc.ViewerKind), description="Public, merchant or staff.")
    name = graphene.String(required=True, description="The token's label, or `public`.")
    merchant = graphene.Field(
        t.Merchant,
        description="The merchant a merchant token acts for (read as a token without `read` "
        "reads: only what the public sees of it).",
    )
    scopes = graphene.List(
        graphene.NonNull(sc.TokenScope),
        required=True,
        description="What the token may do: staff every scope, the public none.",
    )

    @staticmethod
    def resolve_kind(root: Any, info: Any) -> str:
        if root.is_staff:
            return sc.ViewerKind.STAFF.value
        return sc.ViewerKind.MERCHANT.value if root.is_merchant else sc.ViewerKind.PUBLIC.value

    @staticmethod
    def resolve_scopes(root: Viewer, info: Any) -> list[TokenScope]:
        return [scope for scope in TokenScope if root.has_scope(scope)]

    @staticmethod
    def resolve_merchant(root: Any, info: Any) -> Any:
        if root.merchant_id is None:
            return None
        return info.context.loaders.load(lm.Merchant, root.merchant_id)


async def resolve_node(info: Any, value: str) -> Any:
    """The object of a global ID, or None when it is malformed, missing or not visible."""
    decoded = decode_id(value)
    if decoded is None:
        return await _statement_node(info, value)
    kind, pk = decoded
    model = MODEL_FOR_TYPE.get(kind)
    if model is None or model is StatementView:
        return None
    return await info.context.loaders.get(model, pk)


async def _statement_node(info: Any, value: str) -> Any:
    """A RoyaltyStatement's id is `<agreement id>.<period>`: live figures until the period
    closes, frozen ones after; visible when its agreement is."""
    found = split_id(value)
    if found is None or found[0] != "RoyaltyStatement":
        return None
    agreement_text, _, period = found[1].partition(".")
    try:
        agreement_id = parse_id(agreement_text, field="id")
    except InvalidInput:
        return None
    agreement = await info.context.loaders.get(lm.Agreement, agreement_id)
    if agreement is None:
        return None
    try:
        async with info.context.read_session() as session:
            figures = await compute_statement(session, agreement.id, check_period(period))
    except DomainError:
        return None
    return StatementView(figures)


class RootQueries(graphene.ObjectType):
    """Any object by its global ID, and who is asking."""

    node = graphene.Field(
        Node,
        id=graphene.ID(required=True, description="A global ID."),
        description="Any object by its global ID; null when it does not exist or you may "
        "not see it.",
    )
    viewer = graphene.Field(graphene.NonNull(ViewerInfo), description="Who you are.")

    @staticmethod
    async def resolve_node(root: Any, info: Any, id: str) -> Any:
        return await resolve_node(info, id)

    @staticmethod
    def resolve_viewer(root: Any, info: Any) -> Any:
        return info.context.caller  # who the token is, even when it reads as the public


class Query(
    PromotionQueries,
    ForecastQueries,
    LabelQueries,
    ReceivableQueries,
    AccountQueries,
    WebhookQueries,
    FulfilmentQueries,
    ReportQueries,
    OrderQueries,
    LicensingQueries,
    CatalogQueries,
    RootQueries,
):
    """Everything tiein lets its partners and staff read."""

    # graphene lays out the fields of the last mixin first: root, catalog, licensing, ...


__all__ = ["Query", "resolve_node"]
