"""Referral visits (SPEC §9): a visit to `/r/<code>` while its campaign runs is counted per
campaign and UTC day; outside the campaign's dates the link records nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orders.promotion_models import Campaign, ReferralVisit


def campaign_runs(campaign: Campaign, at: datetime) -> bool:
    """Whether `at` is within the campaign's dates [starts_at, ends_at)."""
    return campaign.starts_at <= at < campaign.ends_at


async def record_visit(
    session: AsyncSession, campaign: Campaign, *, now: datetime, count: bool = True
) -> bool:
    """Count one referral visit of `campaign` on `now`'s UTC day; False (nothing counted)
    outside the campaign's dates. An UPDATE of the day's row, or its INSERT; two first
    visits of a day racing meet the unique constraint and the loser updates. Without
    `count` (a repeat visit, or a client over its throttle: storefront.shop.referrals)
    nothing is counted, but True still says the campaign runs."""
    if not campaign_runs(campaign, now):
        return False
    if not count:
        return True
    day = now.date()
    bump = (
        update(ReferralVisit)
        .where(ReferralVisit.campaign_id == campaign.id, ReferralVisit.day == day)
        .values(visits=ReferralVisit.visits + 1)
    )
    if (await session.execute(bump)).rowcount:
        return True
    try:
        async with session.begin_nested():
            session.add(ReferralVisit(campaign_id=campaign.id, day=day, visits=1))
    except IntegrityError:
        await session.execute(bump)
    return True
