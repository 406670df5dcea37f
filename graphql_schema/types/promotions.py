"""Campaigns and their promo codes as the API shows them to staff (SPEC §9)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema.relay import Node, connection, register
from graphql_schema.types.base import NodeObject, _lazy
from orders import promotion_models as pm

CampaignChannelEnum = graphene.Enum.from_enum(
    pm.CampaignChannel,
    name="CampaignChannel",
    description=lambda m: (
        "How a campaign reaches its audience." if m is None else f"Through {m.value}."
    ),
)
PromoScopeEnum = graphene.Enum.from_enum(
    pm.PromoScope,
    name="PromoScope",
    description=lambda m: (
        "Which lines of an order a promo code takes off."
        if m is None
        else {
            "TICKETS": "Ticket lines.",
            "MERCH": "Product (merch) lines.",
            "BUNDLES": "Bundle lines.",
            "ANY": "Every line.",
        }[m.name]
    ),
)
PromoKindEnum = graphene.Enum.from_enum(
    pm.PromoKind,
    name="PromoKind",
    description=lambda m: (
        "A percentage or a fixed amount."
        if m is None
        else {"PERCENT": "A percentage (bps).", "FIXED": "A fixed amount."}[m.name]
    ),
)


class PromoCode(graphene.ObjectType):
    """A code taking a percentage or a fixed amount off the eligible lines of one order."""

    code = graphene.String(required=True, description="The code, upper-case (typed in any case).")
    kind = graphene.Field(graphene.NonNull(PromoKindEnum), description="Percentage or fixed.")
    percent_bps = graphene.Int(description="The percentage in basis points (1000 = 10%).")
    amount = graphene.Field(sc.Money, description="The fixed amount off.")
    scope = graphene.Field(graphene.NonNull(PromoScopeEnum), description="The lines it applies to.")
    campaign_films_only = graphene.Boolean(
        required=True, description="Only lines of the campaign's films are eligible."
    )
    valid_from = graphene.DateTime(required=True, description="When it starts to be valid.")
    valid_to = graphene.DateTime(
        required=True, description="When it stops (the campaign's dates limit it too)."
    )
    minimum_subtotal = graphene.Field(
        sc.Money, description="The least eligible subtotal it needs, when any."
    )
    use_limit = graphene.Int(description="Uses in all, when limited.")
    per_email_limit = graphene.Int(description="Uses per shopper e-mail, when limited.")
    uses = graphene.Int(required=True, description="Uses taken and not given back.")

    @staticmethod
    def resolve_amount(root: pm.PromoCode, info: Any) -> Any:
        if root.amount_minor is None or root.currency is None:
            return None
        return sc.money(root.amount_minor, root.currency)

    @staticmethod
    def resolve_minimum_subtotal(root: pm.PromoCode, info: Any) -> Any:
        if not root.min_subtotal_minor or root.currency is None:
            return None
        return sc.money(root.min_subtotal_minor, root.currency)


class Campaign(NodeObject):
    """Staff promote films through a channel, with promo codes and a referral link."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="The campaign's name.")
    channel = graphene.Field(graphene.NonNull(CampaignChannelEnum), description="Its channel.")
    starts_at = graphene.DateTime(required=True, description="When it starts.")
    ends_at = graphene.DateTime(required=True, description="When it ends.")
    referral_code = graphene.String(description="The code of its referral link, when any.")
    referral_path = graphene.String(description="Its referral link, e.g. `/r/SUMMER`.")
    films = graphene.List(
        graphene.NonNull(_lazy("Film")), required=True, description="The films it promotes."
    )
    promo_codes = graphene.List(
        graphene.NonNull(PromoCode), required=True, description="Its promo codes, oldest first."
    )

    @staticmethod
    def resolve_referral_path(root: pm.Campaign, info: Any) -> str | None:
        return None if root.referral_code is None else f"/r/{root.referral_code}"

    @staticmethod
    def resolve_films(root: pm.Campaign, info: Any) -> Any:
        return info.context.loaders.list("campaign.films").load(root.id)

    @staticmethod
    def resolve_promo_codes(root: pm.Campaign, info: Any) -> Any:
        return info.context.loaders.list("campaign.promo_codes").load(root.id)


CampaignConnection = connection(Campaign, "campaigns")
register(pm.Campaign, Campaign)
