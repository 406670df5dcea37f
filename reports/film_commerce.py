"""The film-to-commerce report (SPEC §1, staff): what each film sold in a period on tiein's
own channels (tickets, bundles, merch) and the royalty its merch earned.

It reads across orders and licensing, which is why it lives here above both."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film, Showtime
from kernel.periods import check_period, period_bounds
from licensing.models import Agreement, Channel, RoyaltyEntry
from licensing.royalty import micros_to_minor
from orders.models import LineKind, Order, OrderLine, OrderStatus


@dataclass(frozen=True)
class CurrencyAmounts:
    currency: str
    net_minor: int
    royalty_micros: int

    @property
    def royalty_minor(self) -> int:
        return micros_to_minor(self.royalty_micros)


@dataclass(frozen=True)
class FilmCampaignRow:
    """A film's ticket orders of the period from one campaign (None: no campaign)."""

    campaign_id: int | None
    tickets_sold: int
    bundles_sold: int
    ticket_orders: int
    ticket_orders_with_merch: int
    merch_attach_rate: Decimal


@dataclass(frozen=True)
class FilmCommerceRow:
    """What one film sold in a period on tiein's own channels, and what it earned.

    - tickets_sold: tickets of paid orders (ticket lines and the ticket of each bundle),
      refunded ones excluded; bundles_sold: bundle lines likewise; wholly refunded lines
      count for nothing (neither as ticket orders nor as merch)
    - merch_units, money[].net_minor: licensed merch sold through the storefront and bundles
      (ledger entries posted to the period, refunds netted)
    - money[].royalty_micros: royalty earned by the film's merch on every channel, licensee
      retail included
    - merch_attach_rate: the share of the film's ticket orders (orders with a ticket or
      bundle of the film) that also bought merch (a product line or a bundle), 4 places
    - by_campaign: the ticket figures split by the campaign each order is attributed to
      (SPEC §9), campaigns by id, orders of no campaign last; they add up to the film's
    """

    film_id: int
    film_slug: str
    film_title: str
    tickets_sold: int
    bundles_sold: int
    ticket_orders: int
    ticket_orders_with_merch: int
    merch_attach_rate: Decimal
    merch_units: int
    money: tuple[CurrencyAmounts, ...]
    by_campaign: tuple[FilmCampaignRow, ...] = ()


async def film_commerce_report(session: AsyncSession, period: str) -> list[FilmCommerceRow]:
    """The film-to-commerce report of a period, one row per film with any activity, by title.

    Orders count when paid within the period. Five queries whatever the number of films."""
    period = check_period(period)
    starts_at, ends_at = period_bounds(period)
    own = RoyaltyEntry.channel.in_((Channel.STOREFRONT, Channel.BUNDLE))
    merch = (
        await session.execute(
            select(
                RoyaltyEntry.film_id,
                Agreement.currency,
                func.sum(case((own, RoyaltyEntry.units), else_=0)),
                func.sum(case((own, RoyaltyEntry.net_minor), else_=0)),
                func.sum(RoyaltyEntry.royalty_micros),
            )
            .join(Agreement, Agreement.id == RoyaltyEntry.agreement_id)
            .where(RoyaltyEntry.period == period)
            .group_by(RoyaltyEntry.film_id, Agreement.currency)
        )
    ).all()

    counted = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)
    paid_in_period = and_(
        Order.status.in_(counted), Order.paid_at >= starts_at, Order.paid_at < ends_at
    )
    kept = OrderLine.quantity - OrderLine.refunded_quantity
    live = OrderLine.quantity > OrderLine.refunded_quantity  # not wholly refunded
    ticket_kinds = (LineKind.TICKET, LineKind.BUNDLE)
    tickets = (
        await session.execute(
            select(
                Showtime.film_id,
                Order.campaign_id,
                func.sum(kept),
                func.sum(case((OrderLine.kind == LineKind.BUNDLE, kept), else_=0)),
                func.count(distinct(OrderLine.order_id)),
            )
            .join(Order, Order.id == OrderLine.order_id)
            .join(Showtime, Showtime.id == OrderLine.showtime_id)
            .where(paid_in_period, live, OrderLine.kind.in_(ticket_kinds))
            .group_by(Showtime.film_id, Order.campaign_id)
        )
    ).all()
    merch_orders = select(OrderLine.order_id).where(
        live, OrderLine.kind.in_((LineKind.PRODUCT, LineKind.BUNDLE))
    )
    with_merch = {
        (film_id, campaign_id): count
        for film_id, campaign_id, count in (
            await session.execute(
                select(
                    Showtime.film_id, Order.campaign_id, func.count(distinct(OrderLine.order_id))
                )
                .join(Order, Order.id == OrderLine.order_id)
                .join(Showtime, Showtime.id == OrderLine.showtime_id)
                .where(
                    paid_in_period,
                    live,
                    OrderLine.kind.in_(ticket_kinds),
                    OrderLine.order_id.in_(merch_orders),
                )
                .group_by(Showtime.film_id, Order.campaign_id)
            )
        ).all()
    }

    film_ids = {row[0] for row in merch} | {row[0] for row in tickets}
    if not film_ids:
        return []
    films = {
        f.id: f for f in (await session.scalars(select(Film).where(Film.id.in_(film_ids)))).all()
    }
    money: defaultdict[int, list[CurrencyAmounts]] = defaultdict(list)
    units: defaultdict[int, int] = defaultdict(int)
    for film_id, currency, merch_units, net, micros in merch:
        units[film_id] += int(merch_units or 0)
        money[film_id].append(CurrencyAmounts(currency, int(net or 0), int(micros or 0)))
    by_campaign: defaultdict[int, list[FilmCampaignRow]] = defaultdict(list)
    for film_id, campaign_id, sold, bundles, orders in tickets:
        attached = int(with_merch.get((film_id, campaign_id), 0))
        by_campaign[film_id].append(
            FilmCampaignRow(
                campaign_id=campaign_id,
                tickets_sold=int(sold or 0),
                bundles_sold=int(bundles or 0),
                ticket_orders=int(orders or 0),
                ticket_orders_with_merch=attached,
                merch_attach_rate=_rate(attached, int(orders or 0)),
            )
        )
    out = []
    for film_id in film_ids:
        parts = tuple(
            sorted(by_campaign[film_id], key=lambda r: (r.campaign_id is None, r.campaign_id or 0))
        )
        sold = sum(p.tickets_sold for p in parts)
        bundles = sum(p.bundles_sold for p in parts)
        orders = sum(p.ticket_orders for p in parts)
        attached = sum(p.ticket_orders_with_merch for p in parts)
        rate = _rate(attached, orders)
        film = films[film_id]
        out.append(
            FilmCommerceRow(
                film_id=film_id,
                film_slug=film.slug,
                film_title=film.title,
                tickets_sold=int(sold or 0),
                bundles_sold=int(bundles or 0),
                ticket_orders=int(orders or 0),
                ticket_orders_with_merch=attached,
                merch_attach_rate=rate,
                merch_units=units[film_id],
                money=tuple(sorted(money[film_id], key=lambda m: m.currency)),
                by_campaign=parts,
            )
        )
    return sorted(out, key=lambda r: (r.film_title, r.film_id))


def _rate(attached: int, orders: int) -> Decimal:
    if not orders:
        return Decimal(0)
    return (Decimal(attached) / Decimal(orders)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
