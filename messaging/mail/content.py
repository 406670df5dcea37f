"""What the e-mails say, read from the database in a few statements per message.

Loaders only read: an order with its lines (bundle contents named), its tickets with their
showtimes, one refund with its lines, and the orders an address paid for recently. The
shipment notice reads nothing of the shipment itself: its payload is the snapshot taken when
it was queued (SPEC §8).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import segno
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.film_titles import DEFAULT_LANGUAGE, film_title
from catalog.models import BundleOffer, FilmTitle, Product, Showtime, Ticket, Variant
from kernel import i18n
from licensing.models import Merchant
from licensing.webhooks import WebhookSubscription
from messaging.mail.compose import gettext
from orders.models import Order, OrderLine, Refund
from orders.settlement import order_lines

ORDERS_LOOKBACK = timedelta(days=730)  # "e-mail me my orders": the last 2 years
ORDERS_LIST_MAX = 50
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class LineView:
    description: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    refunded_quantity: int = 0
    contents: tuple[str, ...] = ()  # a bundle's parts, in words


@dataclass(frozen=True)
class TicketView:
    code: str
    film: str
    cinema: str
    city: str
    starts_at: datetime
    timezone: str
    cid: str  # Content-ID of its QR image
    qr_png: bytes = field(repr=False)


@dataclass(frozen=True)
class OrderView:
    order: Order
    lines: list[LineView]
    tickets: list[TicketView]


def ticket_qr_png(code: str, *, scale: int = 5) -> bytes:
    """The ticket code as a QR code PNG (the order page shows the same code as SVG)."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


async def order_of(session: AsyncSession, order_id: object) -> Order | None:
    """The order a payload names (None when the id is not an int or no such order)."""
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        return None
    return await session.scalar(
        select(Order).where(Order.id == order_id).options(selectinload(Order.shipping))
    )


async def disabled_subscription(
    session: AsyncSession, subscription_id: object
) -> tuple[WebhookSubscription, Merchant] | None:
    """The disabled webhook subscription a payload names, with its merchant."""
    if not isinstance(subscription_id, int) or isinstance(subscription_id, bool):
        return None
    row = (
        await session.execute(
            select(WebhookSubscription, Merchant)
            .join(Merchant, Merchant.id == WebhookSubscription.merchant_id)
            .where(
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.disabled_at.is_not(None),
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


def addressee(order: Order) -> str:
    """The name to greet the shopper by: the shipping name, when the order ships anything
    (`order.shipping` loaded by `order_of`)."""
    return order.shipping.name if order.shipping is not None else ""


@dataclass(frozen=True)
class LineThings:
    """What order lines name, loaded once for an e-mail: products, variants, showtimes (film
    and cinema), bundle offers, and the films' titles in the order's language."""

    products: Mapping[int, Product]
    variants: Mapping[int, Variant]
    showtimes: Mapping[int, Showtime]
    offers: Mapping[int, BundleOffer]
    titles: Mapping[int, str]

    def film(self, showtime: Showtime) -> str:
        return self.titles.get(showtime.film_id) or showtime.film.title

    def describe(self, line: OrderLine) -> str:
        """The line in the current language from its fields (never its stored English
        `description`, except for a line whose objects are gone)."""
        product = self.products.get(line.product_id or 0)
        if line.kind.value == "product" and product is not None:
            variant = self.variants.get(line.variant_id or 0)
            return f"{product.name} ({variant.label})" if variant else product.name
        showtime = self.showtimes.get(line.showtime_id or 0)
        if showtime is None:
            return line.description
        where = (
            f"{self.film(showtime)} · {showtime.cinema.name}, {showtime.cinema.city} · "
            f"{i18n.format_moment(showtime.starts_at, showtime.cinema.timezone)}"
        )
        offer = self.offers.get(line.bundle_offer_id or 0)
        name = offer.name if offer is not None else gettext("Ticket")
        return f"{name}: {where}"


async def line_things(session: AsyncSession, lines: list[OrderLine]) -> LineThings:
    """LineThings of `lines`, in a fixed number of statements."""
    product_ids = {line.product_id for line in lines if line.product_id} | {
        a.product_id for line in lines for a in line.allocations if a.product_id
    }
    variant_ids = {line.variant_id for line in lines if line.variant_id} | {
        a.variant_id for line in lines for a in line.allocations if a.variant_id
    }
    showtime_ids = {line.showtime_id for line in lines if line.showtime_id}
    offer_ids = {line.bundle_offer_id for line in lines if line.bundle_offer_id}

    async def by_id(model: Any, ids: set[int], *options: Any) -> dict[int, Any]:
        if not ids:
            return {}
        rows = await session.scalars(select(model).where(model.id.in_(ids)).options(*options))
        return {row.id: row for row in rows}

    showtimes = await by_id(
        Showtime, showtime_ids, selectinload(Showtime.film), selectinload(Showtime.cinema)
    )
    language = i18n.current()
    titles: dict[int, str] = {}
    if showtimes and language != DEFAULT_LANGUAGE:
        films = {s.film.id: s.film for s in showtimes.values()}
        rows = list(
            await session.scalars(
                select(FilmTitle).where(
                    FilmTitle.film_id.in_(films), FilmTitle.language == language
                )
            )
        )
        titles = {i: film_title(film, language, rows) for i, film in films.items()}
    return LineThings(
        await by_id(Product, product_ids),
        await by_id(Variant, variant_ids),
        showtimes,
        await by_id(BundleOffer, offer_ids),
        titles,
    )


def _line_views(lines: list[OrderLine], things: LineThings) -> list[LineView]:
    products, variants = things.products, things.variants
    ticket = gettext("ticket")
    views = []
    for line in lines:
        contents = tuple(
            f"{part.qty} {TIMES} {products[part.product_id].name}"
            + (f" ({variants[part.variant_id].label})" if part.variant_id in variants else "")
            if part.product_id in products
            else f"1 {TIMES} {ticket}"
            for part in line.allocations
        )
        views.append(
            LineView(
                description=things.describe(line),
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                total_minor=line.total_minor,
                refunded_quantity=line.refunded_quantity,
                contents=contents,
            )
        )
    return views


async def order_view(session: AsyncSession, order: Order) -> OrderView:
    """The order's lines (named in the current language, bundle contents too) and its
    valid tickets with QR images."""
    lines = await order_lines(session, order.id)
    things = await line_things(session, lines)
    tickets: list[TicketView] = []
    if lines:
        rows = await session.execute(
            select(Ticket, Showtime)
            .join(Showtime, Showtime.id == Ticket.showtime_id)
            .where(
                Ticket.order_line_id.in_([line.id for line in lines]),
                Ticket.voided_at.is_(None),
            )
            .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
            .order_by(Ticket.id)
        )
        for n, (ticket, showtime) in enumerate(rows, start=1):
            tickets.append(
                TicketView(
                    code=ticket.code,
                    film=things.film(showtime),
                    cinema=showtime.cinema.name,
                    city=showtime.cinema.city,
                    starts_at=showtime.starts_at,
                    timezone=showtime.cinema.timezone,
                    cid=f"ticket-{n}.{order.number}@tiein",
                    qr_png=ticket_qr_png(ticket.code),
                )
            )
    return OrderView(order, _line_views(lines, things), tickets)


async def refund_lines(session: AsyncSession, order: Order, refund_id: object) -> Any:
    """The refund (with its lines as LineViews of the refunded quantities), or None when
    the payload names no refund of this order."""
    if not isinstance(refund_id, int) or isinstance(refund_id, bool):
        return None
    refund = await session.scalar(
        select(Refund)
        .where(Refund.id == refund_id, Refund.order_id == order.id)
        .options(selectinload(Refund.lines))
    )
    if refund is None:
        return None
    lines = {line.id: line for line in await order_lines(session, order.id)}
    things = await line_things(session, list(lines.values()))
    views = [
        LineView(
            description=things.describe(lines[row.order_line_id]),
            quantity=row.quantity,
            unit_price_minor=lines[row.order_line_id].unit_price_minor,
            total_minor=row.amount_minor,
        )
        for row in sorted(refund.lines, key=lambda row: row.order_line_id)
        if row.order_line_id in lines
    ]
    return refund, views


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    shipped_at: datetime | None
    lines: list[tuple[str, int]]


def shipment_view(payload: Mapping[str, Any]) -> ShipmentView | None:
    """The shipment snapshot of an `email.shipment` payload; None when it is malformed."""
    shipment = payload.get("shipment")
    if not isinstance(shipment, Mapping):
        return None
    carrier, tracking = shipment.get("carrier"), shipment.get("tracking_number")
    if not isinstance(carrier, str) or not isinstance(tracking, str):
        return None
    shipped_at = None
    if isinstance(shipment.get("shipped_at"), str):
        try:
            shipped_at = datetime.fromisoformat(shipment["shipped_at"])
        except ValueError:
            shipped_at = None
    lines = []
    for line in shipment.get("lines") or []:
        if not isinstance(line, Mapping):
            return None
        description, quantity = line.get("description"), line.get("quantity")
        if not isinstance(description, str) or not isinstance(quantity, int):
            return None
        lines.append((description, quantity))
    return ShipmentView(carrier, tracking, shipped_at, lines)


async def paid_orders_of(session: AsyncSession, email: str, *, now: datetime) -> list[Order]:
    """The orders `email` (any case) paid for in the last two years, newest first."""
    rows = await session.scalars(
        select(Order)
        .where(
            func.lower(Order.email) == email.strip().lower(),
            Order.paid_at.is_not(None),
            Order.paid_at >= now - ORDERS_LOOKBACK,
        )
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(ORDERS_LIST_MAX)
    )
    return list(rows)
