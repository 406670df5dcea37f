"""The film-to-commerce report (SPEC §1, staff): what each film sold in a period on tiein's
own channels (tickets, bundles, merch) and the royalty its merch earned.

It reads across orders and licensing, which is why it lives here above both."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film
from kernel.periods import check_period, period_bounds
from licensing.models import Agreement, Channel, RoyaltyEntry
from licensing.royalty import micros_to_minor
from reports.campaign_measures import (
    CampaignMoney,
    CampaignRoyalty,
    attach_rate,
    measures,
)


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
    """A film's orders of the period from one campaign (None: no campaign), with the
    measures of the campaign report (reports/campaign_measures.py) restricted to the film:
    orders with a line of the film, its tickets and bundles, ticket orders and those with
    merch, the money of its lines by order currency and its merch's ledger entries."""

    campaign_id: int | None
    orders: int
    tickets_sold: int
    bundles_sold: int
    ticket_orders: int
    ticket_orders_with_merch: int
    merch_attach_rate: Decimal
    merch_units: int
    money: tuple[CampaignMoney, ...]
    royalty: tuple[CampaignRoyalty, ...]


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
    - by_campaign: the film's orders paid in the period split by the campaign each is
      attributed to (SPEC §9), campaigns by id, orders of no campaign last; their ticket
      figures add up to the film's. Their merch units, money and royalty are those of the
      orders (the campaign report's measures, wherever the entries were posted), so they do
      not add up to the film's merch, which is the ledger's of the period on every channel
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

    Orders count when paid within the period. Five statements whatever the number of films
    and campaigns (the ledger's, three of reports/campaign_measures.py, the films')."""
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

    found = await measures(session, starts_at, ends_at, by_film=True)
    film_ids = {row[0] for row in merch} | {film_id for _, film_id in found}
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
    for (campaign_id, film_id), m in found.items():
        assert film_id is not None
        by_campaign[film_id].append(
            FilmCampaignRow(
                campaign_id=campaign_id,
                orders=m.orders,
                tickets_sold=m.tickets,
                bundles_sold=m.bundles,
                ticket_orders=m.ticket_orders,
                ticket_orders_with_merch=m.ticket_orders_with_merch,
                merch_attach_rate=m.attach_rate,
                merch_units=m.merch_units,
                money=m.money,
                royalty=m.royalty,
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
        rate = attach_rate(attached, orders)
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
