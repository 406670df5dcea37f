"""Per-request DataLoaders: the number of SQL statements of a query does not depend on how
many objects it returns.

Concurrency rule (DESIGN.md §3): graphene resolves sibling fields concurrently, so resolvers
never share one AsyncSession. **Every batch opens its own short read session**
(`Database.read_session()`), runs one statement per distinct page shape, and closes it.
Root fields open their own read sessions the same way; mutations run serially, each in its
own write session. Tests: tests/graphql/test_loaders.py.

Every loader applies the visibility helper of its type, so a nested field can never reach an
object its viewer may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from inspect import isawaitable
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import aliased

from catalog.models import BundleComponent, BundleOffer, Cinema, Film, Product, Showtime
from graphql_schema import visibility as vis
from kernel.db import Database
from licensing.accounts import Viewer
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementTerritory,
    AgreementTier,
    ApiToken,
    Merchant,
    ProductReview,
    RoyaltyStatement,
    SalesReport,
    SalesReportLine,
)
from licensing.webhooks import WebhookDelivery, WebhookSubscription
from orders.availability import Availability, bundle_availability
from orders.models import Order, OrderLine

SHOWTIME_NOT_OF_FILM = "SHOWTIME_NOT_OF_FILM"
OTHER_FILM = "This showtime is of another film."

Visible = Callable[[Viewer, datetime], Select[Any]]

VISIBLE: dict[type, Visible] = {
    Film: vis.visible_films,
    Cinema: vis.visible_cinemas,
    Showtime: vis.visible_showtimes,
    BundleOffer: vis.visible_bundle_offers,
    Product: vis.visible_products,
    Merchant: vis.visible_merchants,
    Agreement: vis.visible_agreements,
    RoyaltyStatement: vis.visible_statements,
    SalesReport: vis.visible_sales_reports,
    Order: vis.visible_orders,
    OrderLine: vis.visible_order_lines,
    ApiToken: vis.visible_api_tokens,
    ProductReview: vis.visible_product_reviews,
    WebhookSubscription: vis.visible_webhook_subscriptions,
    WebhookDelivery: vis.visible_webhook_deliveries,
}


def visible(model: type, viewer: Viewer, now: datetime) -> Select[Any]:
    """The visibility helper of `model` applied to `viewer`."""
    return VISIBLE[model](viewer, now)


@dataclass(frozen=True)
class Relation:
    """A one-to-many relation paged per parent: children of `model` whose `parent` is the key."""

    model: type
    parent: Any
    order_by: tuple[Any, ...]


RELATIONS: dict[str, Relation] = {
    "film.products": Relation(Product, Product.film_id, (Product.id,)),
    "film.showtimes": Relation(Showtime, Showtime.film_id, (Showtime.starts_at, Showtime.id)),
    "film.bundle_offers": Relation(
        BundleOffer, BundleOffer.film_id, (BundleOffer.valid_from, BundleOffer.id)
    ),
    "cinema.showtimes": Relation(Showtime, Showtime.cinema_id, (Showtime.starts_at, Showtime.id)),
    "merchant.products": Relation(Product, Product.merchant_id, (Product.id,)),
    "merchant.agreements": Relation(Agreement, Agreement.merchant_id, (Agreement.id,)),
    "agreement.products": Relation(Product, Product.agreement_id, (Product.id,)),
    "agreement.sales_reports": Relation(
        SalesReport,
        SalesReport.agreement_id,
        (SalesReport.period.desc(), SalesReport.version.desc(), SalesReport.id),
    ),
}


class _NotLoaded:
    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()

# model -> {field name on its GraphQL type: (model pointed to, foreign key attribute)}
PREFETCH: dict[type, dict[str, tuple[type, str]]] = {
    Product: {
        "merchant": (Merchant, "merchant_id"),
        "agreement": (Agreement, "agreement_id"),
        "film": (Film, "film_id"),
    },
    Showtime: {"film": (Film, "film_id"), "cinema": (Cinema, "cinema_id")},
    BundleOffer: {"film": (Film, "film_id")},
    Agreement: {"merchant": (Merchant, "merchant_id")},
    SalesReport: {"agreement": (Agreement, "agreement_id")},
    ApiToken: {"merchant": (Merchant, "merchant_id")},
}


@dataclass(frozen=True)
class PageRows:
    rows: list[Any]
    has_next: bool


def _list_queries(viewer: Viewer, now: datetime) -> dict[str, Callable[[list[Any]], Select[Any]]]:
    """Small bounded lists below an object: each query yields (parent key, value) rows."""
    upcoming = select(Showtime.film_id, literal(True)).where(Showtime.starts_at >= now).distinct()
    return {
        "agreement.territories": lambda keys: (
            select(AgreementTerritory.agreement_id, AgreementTerritory.country)
            .where(AgreementTerritory.agreement_id.in_(keys))
            .order_by(AgreementTerritory.country)
        ),
        "agreement.channels": lambda keys: (
            select(AgreementChannel.agreement_id, AgreementChannel.channel)
            .where(AgreementChannel.agreement_id.in_(keys))
            .order_by(AgreementChannel.channel)
        ),
        "agreement.categories": lambda keys: (
            select(AgreementCategory.agreement_id, AgreementCategory.category)
            .where(AgreementCategory.agreement_id.in_(keys))
            .order_by(AgreementCategory.category)
        ),
        "agreement.tiers": lambda keys: (
            select(AgreementTier.agreement_id, AgreementTier)
            .where(AgreementTier.agreement_id.in_(keys))
            .order_by(AgreementTier.threshold_minor)
        ),
        "agreement.films": lambda keys: (
            select(AgreementFilm.agreement_id, Film)
            .join(Film, Film.id == AgreementFilm.film_id)
            .where(AgreementFilm.agreement_id.in_(keys))
            .order_by(Film.release_date, Film.id)
        ),
        "bundle.components": lambda keys: (
            select(BundleComponent.offer_id, BundleComponent)
            .where(BundleComponent.offer_id.in_(keys))
            .order_by(BundleComponent.position)
        ),
        "order.lines": lambda keys: (
            vis.visible_order_lines(viewer, now)
            .with_only_columns(OrderLine.order_id, OrderLine)
            .where(OrderLine.order_id.in_(keys))
            .order_by(OrderLine.id)
        ),
        "report.lines": lambda keys: (
            select(SalesReportLine.report_id, SalesReportLine)
            .where(SalesReportLine.report_id.in_(keys))
            .order_by(SalesReportLine.line_no)
        ),
        "product.history": lambda keys: (
            vis.visible_product_reviews(viewer, now)
            .with_only_columns(ProductReview.product_id, ProductReview)
            .where(ProductReview.product_id.in_(keys))
            .order_by(ProductReview.created_at, ProductReview.id)
        ),
        "film.upcoming": lambda keys: upcoming.where(Showtime.film_id.in_(keys)),
    }


class Loaders:
    """The DataLoaders of one request, created on first use."""

    def __init__(self, db: Database, viewer: Viewer, now: datetime) -> None:
        self.db = db
        self.viewer = viewer
        self.now = now
        self._loaders: dict[Hashable, DataLoader] = {}
        # (model, id) -> object (or None: not visible) of everything loaded through the
        # visibility helpers in this request; fields read it synchronously (see `known`).
        self._known: dict[tuple[type, int], Any] = {}
        self._lists = _list_queries(viewer, now)

    def close(self) -> None:
        """Forget everything, once the request is answered. The loaders' batch functions
        refer back to this object, so without this a request's objects would wait for the
        cyclic garbage collector (its full, slow collections) instead of being freed."""
        self._loaders.clear()
        self._known.clear()

    def _loader(self, key: Hashable, batch: Callable[[list[Any]], Any]) -> DataLoader:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(batch_load_fn=batch)
        return loader

    def node(self, model: type) -> DataLoader:
        """id → the object, or None when it does not exist or the viewer may not see it."""

        async def batch(ids: list[int]) -> list[Any]:
            stmt = visible(model, self.viewer, self.now).where(model.id.in_(ids))
            async with self.db.read_session() as session:
                found = {obj.id: obj for obj in (await session.scalars(stmt)).all()}
            for i in ids:
                self._known[(model, i)] = found.get(i)
            return [found.get(i) for i in ids]

        return self._loader(("node", model), batch)

    def remember(self, rows: Sequence[Any]) -> None:
        """Objects a visibility-checked query returned, so that later fields find them."""
        for row in rows:
            self._known[(type(row), row.id)] = row

    def known(self, model: type, pk: int) -> Any:
        """The object if this request has loaded it already (None if not visible), else
        NOT_LOADED. Resolving from memory keeps graphql-core on its fast synchronous path."""
        return self._known.get((model, pk), NOT_LOADED)

    def load(self, model: type, pk: int | None) -> Any:
        """The object `pk` of `model`: at once when known, else an awaitable from the loader."""
        if pk is None:
            return None
        found = self._known.get((model, pk), NOT_LOADED)
        if found is not NOT_LOADED:
            return found
        return self.node(model).load(pk)

    async def get(self, model: type, pk: int | None) -> Any:
        """`load`, awaited."""
        found = self.load(model, pk)
        return await found if isawaitable(found) else found

    async def prefetch(self, rows: Sequence[Any], wanted: set[str]) -> None:
        """Load, in one batch per model, the objects `rows` point to through the fields in
        `wanted` (e.g. product.merchant), so that those fields resolve synchronously."""
        if not rows:
            return
        waits = []
        for field, (model, attr) in PREFETCH.get(type(rows[0]), {}).items():
            if field not in wanted:
                continue
            ids = {getattr(r, attr) for r in rows} - {None}
            missing = [i for i in ids if (model, i) not in self._known]
            if missing:
                waits.append(self.node(model).load_many(missing))
        for wait in waits:
            await wait

    def page(self, relation: str) -> DataLoader:
        """(parent id, offset, limit, wanted fields) → PageRows: one windowed statement per
        page shape; the related objects the wanted fields need are prefetched for every
        parent at once, so the fields below stay in step (and batched) across parents."""
        rel = RELATIONS[relation]

        async def batch(keys: list[tuple[int, int, int, frozenset[str]]]) -> list[PageRows]:
            shapes: dict[tuple[int, int], list[int]] = defaultdict(list)
            for parent_id, offset, limit, _ in keys:
                shapes[(offset, limit)].append(parent_id)
            found: dict[tuple[int, int], list[Any]] = defaultdict(list)
            async with self.db.read_session() as session:
                for (offset, limit), parent_ids in shapes.items():
                    number = (
                        func.row_number()
                        .over(partition_by=rel.parent, order_by=rel.order_by)
                        .label("row_number")
                    )
                    inner = (
                        visible(rel.model, self.viewer, self.now)
                        .add_columns(number)
                        .where(rel.parent.in_(parent_ids))
                        .subquery()
                    )
                    child = aliased(rel.model, inner)
                    stmt = (
                        select(child)
                        .where(inner.c.row_number > offset)
                        .where(inner.c.row_number <= offset + limit + 1)
                        .order_by(inner.c.row_number)
                    )
                    for obj in (await session.scalars(stmt)).all():
                        parent = getattr(obj, rel.parent.key)
                        found[(parent, offset, limit)].append(obj)
            out = []
            for parent_id, offset, limit, _ in keys:
                rows = found.get((parent_id, offset, limit), [])
                out.append(PageRows(rows[:limit], len(rows) > limit))
            shown = [row for page in out for row in page.rows]
            self.remember(shown)
            await self.prefetch(shown, set().union(*(key[3] for key in keys)))
            return out

        return self._loader(("page", relation), batch)

    def count(self, relation: str) -> DataLoader:
        """parent id → how many children the viewer may see (for `totalCount`)."""
        rel = RELATIONS[relation]

        async def batch(parent_ids: list[int]) -> list[int]:
            inner = (
                visible(rel.model, self.viewer, self.now).where(rel.parent.in_(parent_ids))
            ).subquery()
            stmt = select(inner.c[rel.parent.key], func.count()).group_by(inner.c[rel.parent.key])
            async with self.db.read_session() as session:
                counts = {p: int(n) for p, n in (await session.execute(stmt)).all()}
            return [counts.get(p, 0) for p in parent_ids]

        return self._loader(("count", relation), batch)

    def availability(self) -> DataLoader:
        """(offer id, showtime id) → Availability, or None when the showtime does not exist;
        one call of orders.availability.bundle_availability for every pair asked."""

        async def batch(keys: list[tuple[int, int]]) -> list[Any]:
            offer_ids = sorted({k[0] for k in keys})
            showtime_ids = sorted({k[1] for k in keys})
            async with self.db.read_session() as session:
                offers = (
                    await session.scalars(
                        visible(BundleOffer, self.viewer, self.now).where(
                            BundleOffer.id.in_(offer_ids)
                        )
                    )
                ).all()
                showtimes = (
                    await session.scalars(
                        visible(Showtime, self.viewer, self.now).where(
                            Showtime.id.in_(showtime_ids)
                        )
                    )
                ).all()
                found = await bundle_availability(session, offers, showtimes, now=self.now)
            exists = {s.id for s in showtimes}
            return [
                (
                    found.get(key, Availability(0, SHOWTIME_NOT_OF_FILM, OTHER_FILM))
                    if key[1] in exists
                    else None
                )
                for key in keys
            ]

        return self._loader(("availability",), batch)

    def list(self, name: str) -> DataLoader:
        """parent key → the list of values of a small bounded list (terms, lines, history)."""
        query = self._lists[name]

        async def batch(keys: list[Any]) -> list[list[Any]]:
            found: dict[Any, list[Any]] = defaultdict(list)
            async with self.db.read_session() as session:
                for parent, value in (await session.execute(query(list(keys)))).all():
                    found[parent].append(value)
            return [found.get(k, []) for k in keys]

        return self._loader(("list", name), batch)

    def load_many_nodes(self, model: type, ids: Sequence[int]) -> Any:
        return self.node(model).load_many(list(ids))
