"""Campaign reads (staff, SPEC §9): campaigns with their films and codes, and the
attribution report of one campaign."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema.auth import STAFF, requires
from graphql_schema.loaders import visible
from graphql_schema.relay import Page, connection_field, paginate
from graphql_schema.types import promotions as t
from orders.promotion_models import Campaign


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
