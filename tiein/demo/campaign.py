"""The demo's campaign (SPEC §9), so that `/staff/campaigns` has real figures after
`tiein demo load`:

- **The campaign**: "Midnight Ferry: opening weeks", channel referral, for the film whose
  launch the history holds most recently (`midnight-ferry`, released 20 days before
  today). It runs from 14 days before the release to 30 days after today, with the
  referral link `/r/FERRY-FANS` and the promo code `FERRY10`: 10% off the film's tickets,
  bundles and merch (campaign films only), valid while the campaign runs. Both are made
  through the services staff use (`create_campaign`, `create_promo_code`).
- **Attribution** (seeded, with its own generator, so the rest of the history does not
  move): of the history's paid orders holding the film and paid while the campaign ran,
  the first and then `ATTRIBUTED` (40%) of the others are the campaign's. Of those, the
  ones not planned for a refund used the code with probability `CODE_SHARE` (60%), the
  first of them always (so a small demo load has one too): their discount is split over
  the lines by the code's own arithmetic (`orders.promotions_math`, as checkout splits
  it) and each use is recorded; the others came by the referral link alone and paid list
  price.
- **Referral visits**: every day of the campaign up to today counts 2 to 6 visits that
  bought nothing (uniform), plus `VISITS_PER_ORDER` (8) for each order attributed to the
  campaign that day, so about one visit in ten converts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.money import minimum_charge
from orders.promotion_models import PromoCode, PromoCodeUse, PromoKind, PromoScope, ReferralVisit
from orders.promotions import create_campaign, create_promo_code
from orders.promotions_math import (
    LineFacts,
    discount_of,
    eligible_lines,
    split_discount,
    total_refused_by_minimum,
)
from tiein.demo.catalog import World, local_time
from tiein.demo.data import SEED
from tiein.demo.demand import PlannedLine, PlannedOrder

FILM = "midnight-ferry"
NAME = "Midnight Ferry: opening weeks"
REFERRAL_CODE = "FERRY-FANS"
PROMO_CODE = "FERRY10"
PERCENT_BPS = 1000
DAYS_BEFORE_RELEASE = 14
DAYS_AFTER_TODAY = 30
ATTRIBUTED = 0.4
CODE_SHARE = 0.6
VISITS_PER_ORDER = 8
IDLE_VISITS = (2, 6)


@dataclass(frozen=True)
class DemoCampaign:
    campaign_id: int
    promo_code_id: int
    film_ids: frozenset[int]
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Attribution:
    """An order of the history that the campaign brought: with the code, its lines'
    shares of the discount; by the referral link alone, no code and no shares."""

    campaign_id: int
    promo_code_id: int | None
    shares: list[int]

    @property
    def discount_minor(self) -> int:
        return sum(self.shares)


async def open_campaign(session: AsyncSession, world: World, today: date) -> DemoCampaign:
    """The demo campaign and its promo code, made as staff make them."""
    film = world.films[FILM]
    starts = local_time(film.release_date - timedelta(days=DAYS_BEFORE_RELEASE), 0)
    ends = local_time(today + timedelta(days=DAYS_AFTER_TODAY), 0)
    campaign = await create_campaign(
        session, name=NAME, channel="referral", film_ids=[film.id], starts_at=starts,
        ends_at=ends, referral_code=REFERRAL_CODE,
    )  # fmt: skip
    promo = await create_promo_code(
        session, campaign_id=campaign.id, code=PROMO_CODE, kind=PromoKind.PERCENT,
        percent_bps=PERCENT_BPS, scope=PromoScope.ANY, campaign_films_only=True,
        valid_from=starts, valid_to=ends,
    )  # fmt: skip
    return DemoCampaign(campaign.id, promo.id, frozenset({film.id}), starts, ends)


def _film_of(line: PlannedLine) -> int:
    if line.slot is not None:
        return line.slot.film_id
    return line.product.film_id if line.product is not None else 0


def attribute(
    plan: Sequence[PlannedOrder],
    campaign: DemoCampaign,
    unit_price: Callable[[PlannedLine], int],
) -> dict[int, Attribution]:
    """The orders of `plan` (by index) the campaign brought, as the module describes."""
    rng = random.Random(f"{SEED}-campaign")
    marks: dict[int, Attribution] = {}
    for index, order in enumerate(plan):
        facts = [LineFacts(x.kind, _film_of(x), unit_price(x) * x.qty) for x in order.lines]
        if not campaign.starts_at <= order.paid_at < campaign.ends_at or not any(
            f.film_id in campaign.film_ids for f in facts
        ):
            continue
        if rng.random() >= ATTRIBUTED and marks:
            continue
        shares = [0] * len(facts)
        code = None
        first = not any(a.promo_code_id for a in marks.values())
        if order.refund_at is None and (rng.random() < CODE_SHARE or first):
            eligible = eligible_lines(facts, PromoScope.ANY, campaign.film_ids)
            subtotal = sum(f.total_minor for f, ok in zip(facts, eligible, strict=True) if ok)
            discount = discount_of(PromoKind.PERCENT, subtotal, bps=PERCENT_BPS)
            total = sum(f.total_minor for f in facts) - discount
            if discount and not total_refused_by_minimum(total, minimum_charge("USD")):
                shares = split_discount(discount, [f.total_minor for f in facts], eligible)
                code = campaign.promo_code_id
        marks[index] = Attribution(campaign.campaign_id, code, shares)
    return marks


async def record_uses(
    session: AsyncSession, uses: Sequence[tuple[int, PlannedOrder, Attribution]]
) -> None:
    """A use of the code for each (order id, order, attribution) that used it."""
    rows = [
        {"promo_code_id": a.promo_code_id, "order_id": oid, "email": o.email,
         "taken_at": o.paid_at - timedelta(minutes=3)}
        for oid, o, a in uses
        if a.promo_code_id is not None
    ]  # fmt: skip
    if rows:
        await session.execute(insert(PromoCodeUse), rows)


async def record_visits(
    session: AsyncSession,
    campaign: DemoCampaign,
    plan: Sequence[PlannedOrder],
    marks: dict[int, Attribution],
    today: date,
) -> int:
    """The referral visits of every campaign day up to today, and the code's use count;
    returns the visits counted."""
    rng = random.Random(f"{SEED}-visits")
    brought = Counter(plan[index].paid_at.date() for index in marks)
    rows = []
    day = campaign.starts_at.date()
    while day <= today:
        visits = rng.randint(*IDLE_VISITS) + VISITS_PER_ORDER * brought[day]
        rows.append({"campaign_id": campaign.campaign_id, "day": day, "visits": visits})
        day += timedelta(days=1)
    await session.execute(insert(ReferralVisit), rows)
    used = sum(1 for a in marks.values() if a.promo_code_id is not None)
    await session.execute(
        update(PromoCode).where(PromoCode.id == campaign.promo_code_id).values(uses=used)
    )
    return sum(row["visits"] for row in rows)
