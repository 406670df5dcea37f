"""The root Mutation, assembled from per-domain mixins. Mutations run serially, each in its
own write session (see base.MutationBase)."""

from __future__ import annotations

from graphql_schema.mutations.accounts import AccountMutations
from graphql_schema.mutations.catalog import CatalogMutations
from graphql_schema.mutations.cinemas import CinemaMutations
from graphql_schema.mutations.films import FilmMutations
from graphql_schema.mutations.fulfilments import FulfilmentMutations
from graphql_schema.mutations.labels import LabelMutations
from graphql_schema.mutations.licensing import LicensingMutations
from graphql_schema.mutations.media import MediaMutations
from graphql_schema.mutations.orders import OrderMutations
from graphql_schema.mutations.promotions import PromotionMutations
from graphql_schema.mutations.remittances import RemittanceMutations
from graphql_schema.mutations.variants import VariantMutations
from graphql_schema.mutations.webhooks import WebhookMutations


class Mutation(
    PromotionMutations,
    LabelMutations,
    CinemaMutations,
    RemittanceMutations,
    VariantMutations,
    WebhookMutations,
    FulfilmentMutations,
    OrderMutations,
    LicensingMutations,
    AccountMutations,
    CatalogMutations,
    MediaMutations,
    FilmMutations,
):
    """Every change a merchant partner or licensing staff can make."""


__all__ = ["Mutation"]
