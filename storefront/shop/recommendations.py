"""What the film, product, cart and order pages recommend: the products most often bought
in paid orders with this page's films and products (the `co_purchases` table a periodic
job fills, reports/recommendations.py), only those the storefront may sell to this shopper
now and has in stock, in ONE statement; and, on a product's page, its film's next
showtimes (one more)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Product, Showtime
from licensing.models import Channel
from licensing.sellable import sellable_clause
from orders.cart import Cart
from orders.models import LineKind
from reports.recommendation_models import FILM, PRODUCT, CoPurchase

SHOWN = 4
NEXT_SHOWTIMES = 3


@dataclass(frozen=True)
class Sources:
    """What a page is about: films, products (by id or SKU) and showtimes (their films)."""

    film_ids: Collection[int] = ()
    product_ids: Collection[int] = ()
    skus: Collection[str] = ()
    showtime_ids: Collection[int] = ()


def cart_sources(cart: Cart) -> Sources:
    """A cart's products (by SKU; a variant's SKU names no product and is left out) and
    showtimes (tickets and bundles)."""
    items = cart.items
    return Sources(
        skus=[i.sku for i in items if i.kind == LineKind.PRODUCT and i.sku],
        showtime_ids=[i.showtime_id for i in items if 0 < (i.showtime_id or 0) < 2**31],
    )


def order_sources(page: Any) -> Sources:
    """An order page's products (lines and bundle components) and showtimes."""
    return Sources(
        product_ids=list(page.products),
        showtime_ids=list(page.showtimes),
    )


@dataclass
class Recommendations:
    products: list[Product] = field(default_factory=list)
    showtimes: list[Showtime] = field(default_factory=list)  # the film's next (merch pages)
    film_slug: str = ""  # whose showtimes they are


def ranked_products(
    sources: Sources, *, country: str, now: datetime, limit: int = SHOWN
) -> Subquery:
    """(product_id, score) of the `limit` products most bought with `sources`, sellable
    here now and in stock, the sources' own products left out: a subquery, so that a page
    may read them within a statement it runs anyway (the film page's merch)."""
    by_sku = select(Product.id).where(Product.sku.in_(list(sources.skus)))
    films = union(
        select(Product.film_id).where(Product.sku.in_(list(sources.skus))),
        select(Product.film_id).where(Product.id.in_(list(sources.product_ids))),
        select(Showtime.film_id).where(Showtime.id.in_(list(sources.showtime_ids))),
    )
    film_ids = list(sources.film_ids)
    scores = (
        select(CoPurchase.product_id, func.sum(CoPurchase.orders).label("score"))
        .where(
            or_(
                and_(
                    CoPurchase.source_kind == FILM,
                    or_(CoPurchase.source_id.in_(film_ids), CoPurchase.source_id.in_(films)),
                ),
                and_(
                    CoPurchase.source_kind == PRODUCT,
                    or_(
                        CoPurchase.source_id.in_(list(sources.product_ids)),
                        CoPurchase.source_id.in_(by_sku),
                    ),
                ),
            ),
            CoPurchase.product_id.not_in(list(sources.product_ids)),
            CoPurchase.product_id.not_in(by_sku),
        )
        .group_by(CoPurchase.product_id)
        .subquery()
    )
    return (
        select(Product.id.label("product_id"), scores.c.score)
        .join(scores, scores.c.product_id == Product.id)
        .where(
            Product.stock > 0,
            sellable_clause(now.date(), channels=[Channel.STOREFRONT], country=country),
        )
        .order_by(scores.c.score.desc(), Product.id)
        .limit(limit)
        .subquery("ranked")
    )


async def also_bought(
    session: AsyncSession, sources: Sources, *, country: str, now: datetime, limit: int = SHOWN
) -> list[Product]:
    """The `limit` products most bought with `sources`, sellable here now and in stock, the
    sources' own products left out; one statement (sources resolved by subqueries)."""
    ranked = ranked_products(sources, country=country, now=now, limit=limit)
    rows = await session.scalars(
        select(Product)
        .join(ranked, ranked.c.product_id == Product.id)
        .order_by(ranked.c.score.desc(), Product.id)
    )
    return list(rows)


async def next_showtimes(
    session: AsyncSession, film_id: int, *, now: datetime, limit: int = NEXT_SHOWTIMES
) -> list[Showtime]:
    """The film's next showtimes with free seats, soonest first (cinema loaded)."""
    rows = await session.scalars(
        select(Showtime)
        .where(
            Showtime.film_id == film_id,
            Showtime.starts_at > now,
            Showtime.seats_taken < Showtime.capacity,
        )
        .options(selectinload(Showtime.cinema))
        .order_by(Showtime.starts_at, Showtime.id)
        .limit(limit)
    )
    return list(rows)
