"""The measures of attributed orders (SPEC §9), in one place: what the orders paid in a period
brought, grouped by the campaign they are attributed to (`Order.campaign_id`, None: none) and,
for the film-to-commerce report, by film too. The campaign report (reports/campaigns.py) and
the film-to-commerce report's by-campaign rows (reports/film_commerce.py) both read them.

Orders count when paid (or refunded since) and paid within the period. Per group:

- orders: the orders with a line in the group (with a line of the film, by film)
- tickets, bundles: their ticket and bundle units, refunded ones excluded (a bundle's ticket
  counts as a ticket too)
- ticket_orders: orders with a ticket or bundle not wholly refunded; ticket_orders_with_merch:
  those that also bought merch (a product line or bundle not wholly refunded, of any film);
  attach_rate: their share, 4 places half up
- money, per order currency: gross (line totals at list price), discounts (the lines' shares
  of the order's discount), net (gross - discounts, what was charged), refunded (paid back)
- merch_units, royalty: from the ledger entries of those orders (their product lines and
  bundle parts, reversals of refunds netted) wherever they were posted; by film, the entries of
  the film's merch

A line's film is its showtime's (tickets, bundles) or its product's. Three statements whatever
the number of orders, campaigns or films."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from catalog.models import Product, Showtime
from licensing.models import Agreement, EntrySource, RoyaltyEntry
from licensing.royalty import micros_to_minor
from orders.models import BundleAllocation, LineKind, Order, OrderLine, OrderStatus, RefundLine

COUNTED = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)

# (campaign id, film id); the film is None when not grouped by film
Key = tuple[int | None, int | None]


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
class Measures:
    orders: int = 0
    tickets: int = 0
    bundles: int = 0
    merch_units: int = 0
    ticket_orders: int = 0
    ticket_orders_with_merch: int = 0
    money: tuple[CampaignMoney, ...] = ()
    royalty: tuple[CampaignRoyalty, ...] = ()

    @property
    def attach_rate(self) -> Decimal:
        return attach_rate(self.ticket_orders_with_merch, self.ticket_orders)


def attach_rate(with_merch: int, orders: int) -> Decimal:
    """with_merch / orders to 4 places, half up; 0 without orders."""
    if not orders:
        return Decimal(0)
    return (Decimal(with_merch) / Decimal(orders)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


async def measures(
    session: AsyncSession,
    starts_at: datetime,
    ends_at: datetime,
    *,
    campaign_id: int | None = None,
    by_film: bool = False,
) -> dict[Key, Measures]:
    """The measures of the orders paid in [starts_at, ends_at), by campaign (only
    `campaign_id`'s orders when given) and, with `by_film`, by film; groups without orders
    are absent."""
    scope = [Order.status.in_(COUNTED), Order.paid_at >= starts_at, Order.paid_at < ends_at]
    if campaign_id is not None:
        scope.append(Order.campaign_id == campaign_id)
    line_film = func.coalesce(Showtime.film_id, Product.film_id)

    def lines(*columns: Any) -> Any:
        query = select(*columns).select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        if by_film:
            query = query.outerjoin(Showtime, Showtime.id == OrderLine.showtime_id).outerjoin(
                Product, Product.id == OrderLine.product_id
            )
        return query.where(*scope)

    film_keys = [line_film.label("film_id")] if by_film else []

    refunded = (
        select(RefundLine.order_line_id, func.sum(RefundLine.amount_minor).label("amount"))
        .group_by(RefundLine.order_line_id)
        .subquery()
    )
    money_rows = (
        await session.execute(
            lines(
                Order.campaign_id,
                *film_keys,
                Order.currency,
                func.count(func.distinct(Order.id)),
                func.sum(OrderLine.total_minor),
                func.sum(OrderLine.discount_minor),
                func.sum(func.coalesce(refunded.c.amount, 0)),
            )
            .outerjoin(refunded, refunded.c.order_line_id == OrderLine.id)
            .group_by(Order.campaign_id, *film_keys, Order.currency)
            .order_by(Order.currency)
        )
    ).all()

    kept = OrderLine.quantity - OrderLine.refunded_quantity
    live = OrderLine.quantity > OrderLine.refunded_quantity  # not wholly refunded
    is_ticket = OrderLine.kind.in_((LineKind.TICKET, LineKind.BUNDLE))
    merch_orders = select(OrderLine.order_id).where(
        live, OrderLine.kind.in_((LineKind.PRODUCT, LineKind.BUNDLE))
    )
    per_order = (
        lines(
            Order.campaign_id,
            *film_keys,
            func.sum(case((is_ticket, kept), else_=0)).label("tickets"),
            func.sum(case((OrderLine.kind == LineKind.BUNDLE, kept), else_=0)).label("bundles"),
            func.max(case((and_(live, is_ticket), 1), else_=0)).label("has_ticket"),
            func.max(case((OrderLine.order_id.in_(merch_orders), 1), else_=0)).label("has_merch"),
        )
        .group_by(OrderLine.order_id, Order.campaign_id, *film_keys)
        .subquery()
    )
    per_order_keys = [per_order.c.campaign_id] + ([per_order.c.film_id] if by_film else [])
    unit_rows = (
        await session.execute(
            select(
                *per_order_keys,
                func.sum(per_order.c.tickets),
                func.sum(per_order.c.bundles),
                func.sum(per_order.c.has_ticket),
                func.sum(case((per_order.c.has_ticket == 1, per_order.c.has_merch), else_=0)),
            ).group_by(*per_order_keys)
        )
    ).all()

    # the ledger entries of the orders' product lines and bundle parts, and their reversals
    refs = union_all(
        select(
            (literal("order_line:") + cast(OrderLine.id, String)).label("ref"),
            Order.campaign_id.label("campaign_id"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(*scope),
        select(
            (literal("bundle_part:") + cast(BundleAllocation.id, String)).label("ref"),
            Order.campaign_id.label("campaign_id"),
        )
        .join(OrderLine, OrderLine.id == BundleAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*scope),
    ).subquery()
    sale = aliased(RoyaltyEntry)
    ledger_keys = [refs.c.campaign_id] + ([RoyaltyEntry.film_id] if by_film else [])
    ledger_rows = (
        await session.execute(
            select(
                *ledger_keys,
                Agreement.currency,
                func.sum(RoyaltyEntry.units),
                func.sum(RoyaltyEntry.royalty_micros),
            )
            .select_from(RoyaltyEntry)
            .join(sale, sale.id == func.coalesce(RoyaltyEntry.reverses_id, RoyaltyEntry.id))
            .join(refs, refs.c.ref == sale.source_ref)
            .join(Agreement, Agreement.id == RoyaltyEntry.agreement_id)
            .where(sale.source == EntrySource.SALE)
            .group_by(*ledger_keys, Agreement.currency)
            .order_by(Agreement.currency)
        )
    ).all()

    def key(row: Any) -> Key:
        return (row[0], row[1]) if by_film else (row[0], None)

    skip = 2 if by_film else 1
    money: defaultdict[Key, list[CampaignMoney]] = defaultdict(list)
    orders: defaultdict[Key, int] = defaultdict(int)
    for row in money_rows:
        currency, count, gross, discounts, paid_back = row[skip:]
        orders[key(row)] += int(count)
        money[key(row)].append(
            CampaignMoney(currency, int(gross or 0), int(discounts or 0), int(paid_back or 0))
        )
    units = {key(row): [int(v or 0) for v in row[skip:]] for row in unit_rows}
    royalty: defaultdict[Key, list[CampaignRoyalty]] = defaultdict(list)
    merch_units: defaultdict[Key, int] = defaultdict(int)
    for row in ledger_rows:
        currency, entry_units, micros = row[skip:]
        merch_units[key(row)] += int(entry_units or 0)
        royalty[key(row)].append(CampaignRoyalty(currency, int(micros or 0)))
    out = {}
    for k in set(orders) | set(royalty):
        tickets, bundles, ticket_orders, with_merch = units.get(k, [0, 0, 0, 0])
        out[k] = Measures(
            orders=orders.get(k, 0),
            tickets=tickets,
            bundles=bundles,
            merch_units=merch_units.get(k, 0),
            ticket_orders=ticket_orders,
            ticket_orders_with_merch=with_merch,
            money=tuple(money.get(k, ())),
            royalty=tuple(royalty.get(k, ())),
        )
    return out
