"""Co-purchase counts for recommendations ("shoppers who came for this film also bought…"),
precomputed by a periodic job (tiein/jobs.py) into `co_purchases` so that a page reads them
in one statement.

For every paid order, its *sources* are the films it holds (by tickets, bundles or merch)
and the products it holds (product lines and bundle components); for each source and each
other product of the order, `orders` counts the paid orders that held both. Only the
`TOP_PER_SOURCE` products most bought with each source are kept. The table is replaced whole
in one transaction (one counting statement, one delete, one multi-row insert)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, insert, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import Subquery

from catalog.models import Product, Showtime
from orders.models import BundleAllocation, Order, OrderLine
from reports.recommendation_models import FILM, PRODUCT, CoPurchase

TOP_PER_SOURCE = 12


def _order_items() -> Subquery:
    """(order id, kind, id) of every film and product of every paid order."""
    paid = Order.paid_at.is_not(None)
    films_by_ticket = (
        select(OrderLine.order_id, literal(FILM).label("kind"), Showtime.film_id.label("ref"))
        .join(Showtime, Showtime.id == OrderLine.showtime_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(paid)
    )
    films_by_merch = (
        select(OrderLine.order_id, literal(FILM).label("kind"), Product.film_id.label("ref"))
        .join(Product, Product.id == OrderLine.product_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(paid)
    )
    products = (
        select(
            OrderLine.order_id, literal(PRODUCT).label("kind"), OrderLine.product_id.label("ref")
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(paid, OrderLine.product_id.is_not(None))
    )
    components = (
        select(
            OrderLine.order_id,
            literal(PRODUCT).label("kind"),
            BundleAllocation.product_id.label("ref"),
        )
        .join(OrderLine, OrderLine.id == BundleAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(paid, BundleAllocation.product_id.is_not(None))
    )
    return union(films_by_ticket, films_by_merch, products, components).subquery("items")


async def refresh_recommendations(session: AsyncSession, *, now: datetime) -> int:
    """Recount the co-purchases of every paid order and replace the table; returns the
    number of rows kept."""
    items = _order_items()
    source, bought = items.alias("source"), items.alias("bought")
    counts = await session.execute(
        select(source.c.kind, source.c.ref, bought.c.ref, func.count(source.c.order_id))
        .join(
            bought,
            and_(
                bought.c.order_id == source.c.order_id,
                bought.c.kind == PRODUCT,
                ~and_(source.c.kind == PRODUCT, source.c.ref == bought.c.ref),
            ),
        )
        .group_by(source.c.kind, source.c.ref, bought.c.ref)
    )
    best: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for kind, ref, product_id, n in counts.all():
        best.setdefault((kind, ref), []).append((-n, product_id))
    rows = [
        {"source_kind": kind, "source_id": ref, "product_id": product_id, "orders": -n,
         "refreshed_at": now}
        for (kind, ref), pairs in best.items()
        for n, product_id in sorted(pairs)[:TOP_PER_SOURCE]
    ]  # fmt: skip
    await session.execute(delete(CoPurchase))
    if rows:
        await session.execute(insert(CoPurchase), rows)
    return len(rows)
