"""Reads what the demand forecast (reports/forecast.py) needs, in a constant number of
statements whatever the number of films, products or sales: the film and its showtimes in
the window, its licensed products with stock and live reservations, tickets by day and
showtime day, and merch units by product and day from the royalty ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Film, Product, Showtime, Ticket
from licensing.models import Channel, EntrySource, RoyaltyEntry
from orders.models import Reservation, ReservationStatus
from reports.forecast import (
    HISTORY_DAYS,
    WINDOW_DAYS,
    ProductForecast,
    SalesHistory,
    forecast_film,
)


@dataclass(frozen=True)
class ForecastRow:
    product_id: int
    merchant_id: int
    sku: str
    name: str
    stock: int  # available: on hand minus live reservations
    reserved: int  # held by live reservations (already out of `stock`)
    forecast: ProductForecast


@dataclass(frozen=True)
class FilmForecast:
    film_id: int
    title: str
    origin: date
    showtimes: int  # in the window
    rows: list[ForecastRow]


def _day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, on SQLite ('YYYY-MM-DD') and PostgreSQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def load_history(session: AsyncSession, since: datetime, until: datetime) -> SalesHistory:
    """Tickets and merch units of every film bought in [since, until), by day (2 statements;
    tickets are counted with the showtime days they were bought for up to 14 days later)."""
    dialect = session.bind.dialect.name
    bought, shown = _day(Ticket.issued_at, dialect), _day(Showtime.starts_at, dialect)
    tickets = await session.execute(
        select(Showtime.film_id, bought, shown, func.count(Ticket.id))
        .join(Showtime, Showtime.id == Ticket.showtime_id)
        .where(Ticket.issued_at >= since, Ticket.issued_at < until, Ticket.voided_at.is_(None))
        .group_by(Showtime.film_id, bought, shown)
    )
    history = SalesHistory()
    for film_id, day, show_day, n in tickets.all():
        day, show_day = _as_date(day), _as_date(show_day)
        history.tickets[(film_id, day)] = history.tickets.get((film_id, day), 0) + n
        history.bookings[(film_id, day, show_day)] = n
    sold = _day(RoyaltyEntry.occurred_at, dialect)
    units = await session.execute(
        select(RoyaltyEntry.product_id, RoyaltyEntry.film_id, sold, func.sum(RoyaltyEntry.units))
        .where(
            RoyaltyEntry.source == EntrySource.SALE,
            RoyaltyEntry.channel.in_((Channel.STOREFRONT, Channel.BUNDLE)),
            RoyaltyEntry.occurred_at >= since,
            RoyaltyEntry.occurred_at < until,
        )
        .group_by(RoyaltyEntry.product_id, RoyaltyEntry.film_id, sold)
    )
    for product_id, film_id, day, n in units.all():
        history.units[(product_id, _as_date(day))] = int(n)
        history.film_of[product_id] = film_id
    return history


async def load_forecast(
    session: AsyncSession, film_id: int, *, now: datetime, merchant_ids: Sequence[int] | None = None
) -> FilmForecast | None:
    """The forecast of a film's licensed (approved) products from `now` (5 statements); None
    when there is no such film. `merchant_ids` keeps only those merchants' rows (a
    merchant sees its own; shares are still over all of the film's products). A film with
    no showtime in the next 14 days has no rows."""
    found = await load_forecasts(session, now=now, film_id=film_id, merchant_ids=merchant_ids)
    return found[0] if found else None


async def load_forecasts(
    session: AsyncSession,
    *,
    now: datetime,
    film_id: int | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> list[FilmForecast]:
    """The forecasts of every film with showtimes in the next 14 days (or of `film_id`,
    showing or not), in 5 statements whatever the number of films."""
    end = now + timedelta(days=WINDOW_DAYS)
    query = (
        select(Film.id, Film.title, func.count(Showtime.id))
        .outerjoin(
            Showtime,
            and_(Showtime.film_id == Film.id, Showtime.starts_at >= now, Showtime.starts_at < end),
        )
        .group_by(Film.id, Film.title)
        .order_by(Film.id)
    )
    if film_id is not None:
        query = query.where(Film.id == film_id)
    else:
        query = query.having(func.count(Showtime.id) > 0)
    films = (await session.execute(query)).all()
    origin = now.date()
    showing = [f for f in films if f[2]]
    if not showing:
        return [FilmForecast(f[0], f[1], origin, 0, []) for f in films]
    products = list(
        (
            await session.scalars(
                select(Product)
                .where(
                    Product.film_id.in_([f[0] for f in showing]),
                    Product.approval_stage == ApprovalStage.APPROVED,
                )
                .order_by(Product.id)
            )
        ).all()
    )
    held = dict(
        (
            await session.execute(
                select(Reservation.product_id, func.sum(Reservation.quantity))
                .where(
                    Reservation.product_id.in_([p.id for p in products]),
                    Reservation.status == ReservationStatus.ACTIVE,
                    Reservation.expires_at > now,
                )
                .group_by(Reservation.product_id)
            )
        ).all()
    )
    start = datetime.combine(origin, datetime.min.time(), tzinfo=now.tzinfo)
    history = await load_history(session, start - timedelta(days=HISTORY_DAYS), start)
    result = []
    for film in films:
        mine = [p for p in products if p.film_id == film[0]] if film[2] else []
        stock = {p.id: p.stock for p in mine}
        forecasts = {f.product_id: f for f in forecast_film(history, film[0], stock, origin)}
        rows = [
            ForecastRow(p.id, p.merchant_id, p.sku, p.name, p.stock, int(held.get(p.id, 0)),
                        forecasts[p.id])
            for p in mine
            if merchant_ids is None or p.merchant_id in merchant_ids
        ]  # fmt: skip
        result.append(FilmForecast(film[0], film[1], origin, film[2], rows))
    return result
