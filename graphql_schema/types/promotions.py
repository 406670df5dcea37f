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


class CampaignMoney(graphene.ObjectType):
    """A campaign's orders in one currency."""

    currency = graphene.String(required=True, description="The orders' currency.")
    gross = sc.money_field("Line totals at list price, before discounts.", "gross_minor")
    discounts = sc.money_field("Discounts given.", "discounts_minor")
    net = sc.money_field("Gross minus discounts: what was charged.", "net_minor")
    refunded = sc.money_field("Refunded since.", "refunded_minor")


class CampaignReport(graphene.ObjectType):
    """What a campaign brought in a period (SPEC §9): orders attributed to it and paid in
    the period, their units, money and the royalty their merch generated."""

    campaign = graphene.Field(graphene.NonNull(Campaign), description="The campaign.")
    period = graphene.String(required=True, description="The period, e.g. 2026-Q3.")
    referral_visits = graphene.Int(
        required=True, description="Visits of its referral link on the period's days."
    )
    orders = graphene.Int(required=True, description="Orders attributed to it, paid.")
    tickets = graphene.Int(
        required=True, description="Tickets of those orders, bundles' included, kept."
    )
    bundles = graphene.Int(required=True, description="Bundles of those orders, kept.")
    merch_units = graphene.Int(
        required=True, description="Merch units of their ledger entries (refunds netted)."
    )
    attach_rate = graphene.String(
        required=True,
        description="The share of their ticket orders that also bought merch (4 places).",
    )
    money = graphene.List(
        graphene.NonNull(CampaignMoney), required=True, description="Amounts by currency."
    )
    royalty = graphene.List(
        graphene.NonNull(sc.Money),
        required=True,
        description="Royalty generated by their ledger entries, by agreement currency.",
    )

    @staticmethod
    def resolve_campaign(root: Any, info: Any) -> Any:
        return info.context.loaders.load(pm.Campaign, root.campaign_id)

    @staticmethod
    def resolve_attach_rate(root: Any, info: Any) -> str:
        return str(root.attach_rate)

    @staticmethod
    def resolve_royalty(root: Any, info: Any) -> list[Any]:
        return [sc.money(r.royalty_minor, r.currency) for r in root.royalty]


class FilmCampaignRow(graphene.ObjectType):
    """A film's orders of a period from one campaign (or none), with the campaign report's
    measures restricted to the film."""

    campaign = graphene.Field(Campaign, description="The campaign; null: no campaign.")
    orders = graphene.Int(
        required=True, description="Orders attributed to it, paid, with a line of the film."
    )
    tickets_sold = graphene.Int(required=True, description="Tickets, bundles' included, kept.")
    bundles_sold = graphene.Int(required=True, description="Bundles, kept.")
    merch_units = graphene.Int(
        required=True,
        description="Units of the film's merch in those orders' ledger entries (refunds netted).",
    )
    ticket_orders = graphene.Int(
        required=True,
        description="Orders with a ticket or bundle of the film not wholly refunded.",
    )
    ticket_orders_with_merch = graphene.Int(
        required=True, description="Of those, orders that also bought merch (of any film)."
    )
    merch_attach_rate = graphene.String(
        required=True, description="The share of ticket orders with merch (4 places)."
    )
    money = graphene.List(
        graphene.NonNull(CampaignMoney),
        required=True,
        description="The film's lines of those orders by currency: gross, discounts, net, "
        "refunded.",
    )
    royalty = graphene.List(
        graphene.NonNull(sc.Money),
        required=True,
        description="Royalty generated by the film's merch in those orders, by agreement currency.",
    )

    @staticmethod
    def resolve_campaign(root: Any, info: Any) -> Any:
        return info.context.loaders.load(pm.Campaign, root.campaign_id)

    @staticmethod
    def resolve_merch_attach_rate(root: Any, info: Any) -> str:
        return str(root.merch_attach_rate)

    @staticmethod
    def resolve_royalty(root: Any, info: Any) -> list[Any]:
        return [sc.money(r.royalty_minor, r.currency) for r in root.royalty]
