"""Read-only page data for the shopper's pages. Rules stay in their packages: these loaders
only fetch rows and ask `licensing.sellable` what may be shown for sale."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.film_status import FilmStatus, film_not_archived, film_status_column
from catalog.models import (
    ApprovalStage,
    BundleOffer,
    Cinema,
    Film,
    Product,
    Showtime,
    Ticket,
    Variant,
)
from catalog.variants import variants_of
from kernel.i18n import N_
from licensing.models import Agreement, Channel, Merchant
from licensing.sellable import (
    load_terms,
    refusal_message,
    sellable,
    sellable_anywhere,
    sellable_clause,
)
from orders.models import Refund
from orders.settlement import order_lines


async def featured_bundles(session: AsyncSession, *, now: datetime, limit: int = 6) -> list:
    """Bundle offers on sale now (window open), soonest-ending first, their film loaded."""
    rows = await session.scalars(
        select(BundleOffer)
        .join(Film, Film.id == BundleOffer.film_id)
        .where(BundleOffer.valid_from <= now, BundleOffer.valid_to > now, film_not_archived())
        .options(selectinload(BundleOffer.film))
        .order_by(BundleOffer.valid_to, BundleOffer.id)
        .limit(limit)
    )
    return list(rows)


async def films_by_status(session: AsyncSession, *, now: datetime) -> dict[FilmStatus, list[Film]]:
    """Every film the public may see (not archived) under its status as of `now` (the one
    rule, `catalog.film_status`), newest release first, in one statement."""
    groups: dict[FilmStatus, list[Film]] = {status: [] for status in FilmStatus}
    rows = await session.execute(
        select(Film, film_status_column(now))
        .where(film_not_archived())
        .order_by(Film.release_date.desc(), Film.id)
    )
    for film, status in rows:
        groups[FilmStatus(status)].append(film)
    return groups


async def sellable_merch_for_film(
    session: AsyncSession, film_id: int, *, country: str, now: datetime
) -> list[Product]:
    """The film's products that the sellable rule lets the storefront sell in `country`
    today (out-of-stock ones included: the page says so)."""
    rows = await session.scalars(
        select(Product)
        .where(
            Product.film_id == film_id,
            sellable_clause(now.date(), channels=[Channel.STOREFRONT], country=country),
        )
        .order_by(Product.name, Product.id)
    )
    return list(rows)


@dataclass(frozen=True)
class ProductPage:
    product: Product
    merchant: Merchant
    agreement: Agreement
    refusal: str | None  # why it cannot be bought here today, in words; None when it can
    refusal_code: str | None = None  # its code (licensing.sellable.Refusal)
    variants: list[Variant] = field(default_factory=list)  # the choices, when it has any


async def product_page(
    session: AsyncSession, sku: str, *, country: str, now: datetime
) -> ProductPage | None:
    """A product with its film, licensee and agreement; None for an unknown SKU, for a
    product that was never approved (a draft is not public) and for one of an archived film."""
    row = (
        await session.execute(
            select(Product, Merchant, Agreement)
            .join(Merchant, Merchant.id == Product.merchant_id)
            .join(Agreement, Agreement.id == Product.agreement_id)
            .join(Film, Film.id == Product.film_id)
            .where(
                Product.sku == sku,
                Product.approval_stage == ApprovalStage.APPROVED,
                film_not_archived(),
            )
            .options(selectinload(Product.film))
        )
    ).first()
    if row is None:
        return None
    product, merchant, agreement = row
    terms = (await load_terms(session, [agreement.id]))[agreement.id]
    today = now.date()
    refusal = sellable(product, terms, country, today, Channel.STOREFRONT)
    words = None
    if refusal is not None:
        reason = refusal_message(
            refusal, country=country, channel=Channel.STOREFRONT, on_date=today
        )
        words = f"This product is {reason}."
    variants = (await variants_of(session, [product.id]))[product.id] if product.options else []
    return ProductPage(
        product, merchant, agreement, words, refusal.value if refusal else None, variants
    )


@dataclass(frozen=True)
class ProductVerdict:
    product: Product
    merchant_name: str
    agreement_code: str
    agreement_status: str
    genuine: bool
    note: str
    licensed_now: bool = False  # the sellable rule allows its sale somewhere today
    kind: str = "product"


@dataclass(frozen=True)
class TicketVerdict:
    film_title: str
    cinema_name: str
    cinema_city: str
    starts_at: datetime
    cinema_timezone: str
    state: str
    valid: bool
    kind: str = "ticket"


async def verify_code(
    session: AsyncSession, code: str, *, now: datetime
) -> ProductVerdict | TicketVerdict | None:
    """What a product SKU (or one of its variants' SKUs: a size tag) or a ticket code is, for
    anyone who asks: the public facts only (never who bought it, nor the order)."""
    sized = select(Variant.product_id).where(Variant.sku == code).scalar_subquery()
    row = (
        await session.execute(
            select(Product, Merchant.name, Agreement.code, Agreement.status)
            .join(Merchant, Merchant.id == Product.merchant_id)
            .join(Agreement, Agreement.id == Product.agreement_id)
            .where(or_(Product.sku == code, Product.id == sized))
            .options(selectinload(Product.film))
        )
    ).first()
    if row is not None:
        product, merchant_name, agreement_code, status = row
        approved = product.approval_stage == ApprovalStage.APPROVED
        terms = (await load_terms(session, [product.agreement_id]))[product.agreement_id]
        licensed = sellable_anywhere(product, terms, now.date(), channels=tuple(Channel))
        note = "" if approved else N_("Its design has not been approved by the studio.")
        if product.film.archived_at is not None:
            note = N_("Its film has been withdrawn by the studio: it is not licensed for sale now.")
        return ProductVerdict(
            product=product,
            merchant_name=merchant_name,
            agreement_code=agreement_code,
            agreement_status=str(status.value if hasattr(status, "value") else status),
            genuine=approved,
            note=note,
            licensed_now=licensed,
        )
    ticket_row = (
        await session.execute(
            select(
                Ticket, Showtime.starts_at, Film.title, Cinema.name, Cinema.city, Cinema.timezone
            )
            .join(Showtime, Showtime.id == Ticket.showtime_id)
            .join(Film, Film.id == Showtime.film_id)
            .join(Cinema, Cinema.id == Showtime.cinema_id)
            .where(Ticket.code == code)
        )
    ).first()
    if ticket_row is None:
        return None
    ticket, starts_at, title, cinema_name, city, zone = ticket_row
    if ticket.voided_at is not None:
        state, valid = N_("void (refunded)"), False
    elif ticket.checked_in_at is not None:
        state, valid = N_("already used"), False
    elif starts_at < now:
        state, valid = N_("for a past showtime"), False
    else:
        state, valid = N_("valid"), True
    return TicketVerdict(title, cinema_name, city, starts_at, zone, state, valid)


@dataclass
class OrderPage:
    lines: list  # OrderLine, allocations loaded
    products: dict[int, Product]  # products named by lines and bundle allocations
    showtimes: dict[int, Showtime]  # film and cinema loaded
    tickets: dict[int, list[Ticket]]  # by order line id
    refunds: list  # Refund, lines loaded
    variants: dict[int, Variant] = field(default_factory=dict)  # the sizes bought, if any


async def order_page(session: AsyncSession, order_id: int) -> OrderPage:
    """Everything the order page shows, in a fixed number of statements."""

    lines = await order_lines(session, order_id)
    product_ids = {line.product_id for line in lines if line.product_id} | {
        a.product_id for line in lines for a in line.allocations if a.product_id
    }
    showtime_ids = {line.showtime_id for line in lines if line.showtime_id}
    products: dict[int, Product] = {}
    if product_ids:
        rows = await session.scalars(select(Product).where(Product.id.in_(product_ids)))
        products = {p.id: p for p in rows}
    showtimes: dict[int, Showtime] = {}
    if showtime_ids:
        rows = await session.scalars(
            select(Showtime)
            .where(Showtime.id.in_(showtime_ids))
            .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
        )
        showtimes = {s.id: s for s in rows}
    tickets: dict[int, list[Ticket]] = {}
    if lines:
        rows = await session.scalars(
            select(Ticket)
            .where(Ticket.order_line_id.in_([line.id for line in lines]))
            .order_by(Ticket.id)
        )
        for ticket in rows:
            tickets.setdefault(ticket.order_line_id, []).append(ticket)
    refunds = list(
        await session.scalars(
            select(Refund)
            .where(Refund.order_id == order_id)
            .options(selectinload(Refund.lines))
            .order_by(Refund.created_at, Refund.id)
        )
    )
    variant_ids = {line.variant_id for line in lines if line.variant_id} | {
        a.variant_id for line in lines for a in line.allocations if a.variant_id
    }
    variants: dict[int, Variant] = {}
    if variant_ids:
        rows = await session.scalars(select(Variant).where(Variant.id.in_(variant_ids)))
        variants = {v.id: v for v in rows}
    return OrderPage(lines, products, showtimes, tickets, refunds, variants)
