"""The attribution report of one campaign (SPEC §9, staff): what its referral link and its
codes brought in a period.

An order counts for the campaign it is attributed to (`Order.campaign_id`: its promo code's
campaign, else the last referral visit within 30 days) when it was paid within the period.

- referral_visits: visits of `/r/<code>` counted on the period's days
- orders: those orders; tickets, bundles: their ticket and bundle units, refunded ones
  excluded (a bundle's ticket counts as a ticket too, as in the film-to-commerce report)
- merch_units, royalty: from the ledger entries of those orders (their product lines and
  bundle parts, reversals of refunds netted), wherever they were posted
- attach_rate: the share of orders with a ticket or bundle that also bought merch
- per order currency: gross (line totals at list price), discounts, net (gross - discounts,
  what was charged) and refunded

Five statements whatever the number of orders: the campaign, its visits and the three of
reports/campaign_measures.py, which also gives the film-to-commerce report its by-campaign
rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds
from orders.promotion_models import Campaign, ReferralVisit
from orders.promotions import PromoError
from reports.campaign_measures import CampaignMoney, CampaignRoyalty, Measures, measures

__all__ = ["CampaignMoney", "CampaignReport", "CampaignRoyalty", "campaign_report"]


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: int
    campaign_name: str
    period: str
    referral_visits: int
    orders: int
    tickets: int
    bundles: int
    merch_units: int
    ticket_orders: int
    ticket_orders_with_merch: int
    attach_rate: Decimal
    money: tuple[CampaignMoney, ...]
    royalty: tuple[CampaignRoyalty, ...]


async def campaign_report(session: AsyncSession, campaign_id: int, period: str) -> CampaignReport:
    """The campaign's attribution report of `period` (e.g. 2026-Q3); UNKNOWN_CAMPAIGN if
    there is no such campaign."""
    period = check_period(period)
    starts_at, ends_at = period_bounds(period)
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise DomainError(PromoError.UNKNOWN_CAMPAIGN, "No such campaign.", "campaignId")
    visits = await session.scalar(
        select(func.coalesce(func.sum(ReferralVisit.visits), 0)).where(
            ReferralVisit.campaign_id == campaign_id,
            ReferralVisit.day >= starts_at.date(),
            ReferralVisit.day < ends_at.date(),
        )
    )
    found = await measures(session, starts_at, ends_at, campaign_id=campaign_id)
    m = found.get((campaign_id, None), Measures())
    return CampaignReport(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        period=period,
        referral_visits=int(visits or 0),
        orders=m.orders,
        tickets=m.tickets,
        bundles=m.bundles,
        merch_units=m.merch_units,
        ticket_orders=m.ticket_orders,
        ticket_orders_with_merch=m.ticket_orders_with_merch,
        attach_rate=m.attach_rate,
        money=m.money,
        royalty=m.royalty,
    )
