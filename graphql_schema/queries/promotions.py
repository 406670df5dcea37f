"""Campaign reads (staff, SPEC §9): campaigns with their films and codes, and the
attribution report of one campaign."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.auth import STAFF, requires
from graphql_schema.errors import from_domain
from graphql_schema.loaders import visible
from graphql_schema.relay import Page, connection_field, decode_pk, paginate
from graphql_schema.types import promotions as t
from kernel.errors import DomainError
from orders.promotion_models import Campaign
from orders.promotions import PromoError
from reports.campaigns import campaign_report


class PromotionQueries(graphene.ObjectType):
    """Campaigns and their reports (staff)."""

    campaigns = connection_field(
        t.CampaignConnection, "Campaigns, newest first, with their films and codes (staff)."
    )

    @staticmethod
    @requires(STAFF)
    async def resolve_campaigns(root: Any, info: Any, first: int, after: str | None = None) -> Page:
        ctx = info.context
        stmt = visible(Campaign, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (Campaign.id.desc(),), first, after)

    campaign_report = graphene.Field(
        graphene.NonNull(t.CampaignReport),
        campaign_id=graphene.ID(required=True, description="The campaign."),
        period=graphene.String(required=True, description="The period, e.g. 2026-Q3."),
        description="A campaign's attribution report of a period (staff): referral visits, "
        "orders, tickets, bundles, merch units, attach rate, gross, discounts, net, royalty.",
    )

    @staticmethod
    @requires(STAFF)
    async def resolve_campaign_report(root: Any, info: Any, campaign_id: str, period: str) -> Any:
        pk = decode_pk(campaign_id, "Campaign")
        try:
            if pk is None:
                raise DomainError(PromoError.UNKNOWN_CAMPAIGN, "No such campaign.", "campaignId")
            async with info.context.read_session() as session:
                return await campaign_report(session, pk, period)
        except DomainError as exc:
            raise from_domain(exc) from None
