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

Five statements whatever the number of orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds
from licensing.models import Agreement, EntrySource, RoyaltyEntry
from licensing.royalty import micros_to_minor
from orders.models import BundleAllocation, LineKind, Order, OrderLine, OrderStatus
from orders.promotion_models import Campaign, ReferralVisit
from orders.promotions import PromoError

COUNTED = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class CampaignMoney:
    currency: str
    gross_minor: int
    discounts_minor: int
    refunded_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.discounts_minor


@dataclass(frozen=True)
class CampaignRoyalty:
    currency: str
    royalty_micros: int

    @property
    def royalty_minor(self) -> int:
        return micros_to_minor(self.royalty_micros)


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


def attach_rate(with_merch: int, orders: int) -> Decimal:
    """with_merch / orders to 4 places, half up; 0 without orders."""
    if not orders:
        return Decimal(0)
    return (Decimal(with_merch) / Decimal(orders)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


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
    orders = select(Order.id).where(
        Order.campaign_id == campaign_id,
        Order.status.in_(COUNTED),
        Order.paid_at >= starts_at,
        Order.paid_at < ends_at,
    )
    money_rows = (
        await session.execute(
            select(
                Order.currency,
                func.count(Order.id),
                func.sum(Order.total_minor + Order.discount_minor),
                func.sum(Order.discount_minor),
                func.sum(Order.refunded_minor),
            )
            .where(Order.id.in_(orders))
            .group_by(Order.currency)
            .order_by(Order.currency)
        )
    ).all()

    kept = OrderLine.quantity - OrderLine.refunded_quantity
    live = OrderLine.quantity > OrderLine.refunded_quantity
    is_ticket = OrderLine.kind.in_((LineKind.TICKET, LineKind.BUNDLE))
    is_merch = OrderLine.kind.in_((LineKind.PRODUCT, LineKind.BUNDLE))
    per_order = (
        select(
            OrderLine.order_id,
            func.sum(case((is_ticket, kept), else_=0)).label("tickets"),
            func.sum(case((OrderLine.kind == LineKind.BUNDLE, kept), else_=0)).label("bundles"),
            func.max(case((and_(live, is_ticket), 1), else_=0)).label("has_ticket"),
            func.max(case((and_(live, is_merch), 1), else_=0)).label("has_merch"),
        )
        .where(OrderLine.order_id.in_(orders))
        .group_by(OrderLine.order_id)
        .subquery()
    )
    tickets, bundles, ticket_orders, with_merch = (
        await session.execute(
            select(
                func.coalesce(func.sum(per_order.c.tickets), 0),
                func.coalesce(func.sum(per_order.c.bundles), 0),
                func.coalesce(func.sum(per_order.c.has_ticket), 0),
                func.coalesce(
                    func.sum(case((per_order.c.has_ticket == 1, per_order.c.has_merch), else_=0)),
                    0,
                ),
            )
        )
    ).one()

    line_refs = select(literal("order_line:") + cast(OrderLine.id, String)).where(
        OrderLine.order_id.in_(orders)
    )
    part_refs = (
        select(literal("bundle_part:") + cast(BundleAllocation.id, String))
        .join(OrderLine, OrderLine.id == BundleAllocation.order_line_id)
        .where(OrderLine.order_id.in_(orders))
    )
    sales = select(RoyaltyEntry.id).where(
        RoyaltyEntry.source == EntrySource.SALE,
        or_(RoyaltyEntry.source_ref.in_(line_refs), RoyaltyEntry.source_ref.in_(part_refs)),
    )
    ledger = (
        await session.execute(
            select(
                Agreement.currency,
                func.sum(RoyaltyEntry.units),
                func.sum(RoyaltyEntry.royalty_micros),
            )
            .join(Agreement, Agreement.id == RoyaltyEntry.agreement_id)
            .where(or_(RoyaltyEntry.id.in_(sales), RoyaltyEntry.reverses_id.in_(sales)))
            .group_by(Agreement.currency)
            .order_by(Agreement.currency)
        )
    ).all()
    return CampaignReport(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        period=period,
        referral_visits=int(visits or 0),
        orders=sum(int(row[1]) for row in money_rows),
        tickets=int(tickets),
        bundles=int(bundles),
        merch_units=sum(int(row[1] or 0) for row in ledger),
        ticket_orders=int(ticket_orders),
        ticket_orders_with_merch=int(with_merch),
        attach_rate=attach_rate(int(with_merch), int(ticket_orders)),
        money=tuple(
            CampaignMoney(cur, int(gross or 0), int(disc or 0), int(refunded or 0))
            for cur, _, gross, disc, refunded in money_rows
        ),
        royalty=tuple(CampaignRoyalty(cur, int(micros or 0)) for cur, _, micros in ledger),
    )
