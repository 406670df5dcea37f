"""Per-request DataLoaders: the number of SQL statements of a query does not depend on how
many objects it returns.

Concurrency rule (DESIGN.md §3): graphene resolves sibling fields concurrently, so resolvers
never use one AsyncSession at the same time. Every batch reads through the request's one read
session (`Context.read_session()`), which is lent to one batch at a time: one statement per
distinct page shape, run while holding it, and nothing else awaited meanwhile (related objects
are prefetched after the session is handed back). Mutations run serially, each in its own
write session. Tests: tests/graphql/test_loaders.py.

Every loader applies the visibility helper of its type, so a nested field can never reach an
object its viewer may not see. An object loaded once in a request is kept (`known`), so the
fields that point to it resolve at once, without awaiting.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from inspect import isawaitable
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import BundleOffer, Showtime
from graphql_schema.load_queries import (
    LIST_OF,
    PREFETCH,
    RELATIONS,
    Relation,
    list_queries,
    visible,
)
from graphql_schema.records import columns, model_of, records
from graphql_schema.selection import PagePlan
from licensing.accounts import Viewer
from orders.availability import Availability, bundle_availability

SHOWTIME_NOT_OF_FILM = "SHOWTIME_NOT_OF_FILM"
OTHER_FILM = "This showtime is of another film."


@dataclass(frozen=True)
class PageRows:
    rows: list[Any]
    has_next: bool


class _NotLoaded:
    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()


Reader = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _window(
    rel: Relation, viewer: Viewer, now: datetime, parent_ids: list[int], offset: int, limit: int
) -> Select[Any]:
    """Rows offset+1 … offset+limit+1 of every parent's visible children, in one statement
    (one more than the page, to tell whether a next page exists)."""
    number = func.row_number().over(partition_by=rel.parent, order_by=rel.order_by)
    inner = (
        visible(rel.model, viewer, now)
        .with_only_columns(*columns(rel.model), number.label("row_number"))
        .where(rel.parent.in_(parent_ids))
        .subquery()
    )
    return (
        select(*(inner.c[c.key] for c in columns(rel.model)))
        .where(inner.c.row_number > offset)
        .where(inner.c.row_number <= offset + limit + 1)
        .order_by(inner.c.row_number)
    )


class Loaders:
    """The DataLoaders of one request, created on first use."""

    def __init__(self, read: Reader, viewer: Viewer, now: datetime) -> None:
        self.read = read  # the request's read session, one batch at a time
        self.viewer = viewer
        self.now = now
        self._loaders: dict[Hashable, DataLoader] = {}
        # (model, id) -> object (or None: not visible) of everything loaded through the
        # visibility helpers in this request; fields read it synchronously (see `known`).
        self._known: dict[tuple[type, int], Any] = {}
        # pages and counts of nested connections loaded so far, by (relation, parent id, …)
        self._pages: dict[tuple[str, int, int, int], PageRows] = {}
        self._counts: dict[tuple[str, int], int] = {}
        self._lists = list_queries(viewer, now)

    def close(self) -> None:
        """Forget everything, once the request is answered. The loaders' batch functions
        refer back to this object, so without this a request's objects would wait for the
        cyclic garbage collector (its full, slow collections) instead of being freed."""
        self._loaders.clear()
        self._known.clear()
        self._pages.clear()
        self._counts.clear()

    def _loader(self, key: Hashable, batch: Callable[[list[Any]], Any]) -> DataLoader:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(batch_load_fn=batch)
        return loader

    def node(self, model: type) -> DataLoader:
        """id → the object, or None when it does not exist or the viewer may not see it."""

        async def batch(ids: list[int]) -> list[Any]:
            stmt = (
                visible(model, self.viewer, self.now)
                .with_only_columns(*columns(model))
                .where(model.id.in_(ids))
            )
            async with self.read() as session:
                rows = (await session.execute(stmt)).all()
            found = {obj.id: obj for obj in records(model, rows)}
            for i in ids:
                self._known[(model, i)] = found.get(i)
            return [found.get(i) for i in ids]

        return self._loader(("node", model), batch)

    def remember(self, rows: Sequence[Any]) -> None:
        """Objects a visibility-checked query returned, so that later fields find them."""
        for row in rows:
            self._known[(model_of(row), row.id)] = row

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
        for field, (model, attr) in PREFETCH.get(model_of(rows[0]), {}).items():
            if field not in wanted:
                continue
            ids = {getattr(r, attr) for r in rows} - {None}
            missing = [i for i in ids if (model, i) not in self._known]
            if missing:
                waits.append(self.node(model).load_many(missing))
        for wait in waits:
            await wait

    async def prefetch_below(
        self, rows: Sequence[Any], wanted: set[str] | frozenset[str], plans: Sequence[PagePlan]
    ) -> None:
        """Everything the fields below `rows` will read, loaded before they resolve: the
        objects they point to (`prefetch`) and their nested pages (`prefetch_pages`)."""
        await asyncio.gather(self.prefetch(rows, wanted), self.prefetch_pages(rows, plans))

    async def prefetch_pages(self, rows: Sequence[Any], plans: Sequence[PagePlan]) -> None:
        """Load the pages of `plans` for every row at once (and, through the page loader,
        what is selected below them), so that their fields resolve at once (`ready_page`)."""
        if not rows or not plans:
            return
        ids = [row.id for row in rows]
        waits = [self.page(plan.relation).load_many([(i, plan) for i in ids]) for plan in plans]
        waits += [self.count(plan.relation).load_many(ids) for plan in plans if plan.count]
        await asyncio.gather(*waits)

    def ready_page(self, relation: str, parent_id: int, offset: int, limit: int) -> Any:
        """The page if this request has loaded it already, else None."""
        return self._pages.get((relation, parent_id, offset, limit))

    def count_of(self, relation: str, parent_id: int) -> Any:
        """How many children the viewer may see: at once when counted already, else an
        awaitable from the loader."""
        found = self._counts.get((relation, parent_id))
        return found if found is not None else self.count(relation).load(parent_id)

    def page(self, relation: str) -> DataLoader:
        """(parent id, plan) → PageRows: one windowed statement per page shape; then, for
        every parent at once, the related objects the fields below need and the nested
        pages of the plan, so the fields below stay in step (and batched) across parents."""
        rel = RELATIONS[relation]

        async def batch(keys: list[tuple[int, PagePlan]]) -> list[PageRows]:
            shapes: dict[tuple[int, int], list[int]] = defaultdict(list)
            for parent_id, plan in keys:
                shapes[(plan.offset, plan.limit)].append(parent_id)
            found: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
            async with self.read() as session:
                for (offset, limit), parent_ids in shapes.items():
                    rows = (
                        await session.execute(
                            _window(rel, self.viewer, self.now, parent_ids, offset, limit)
                        )
                    ).all()
                    for obj in records(rel.model, rows):
                        found[(getattr(obj, rel.parent.key), offset, limit)].append(obj)
            out = []
            below: dict[PagePlan, list[Any]] = defaultdict(list)
            for parent_id, plan in keys:
                rows = found.get((parent_id, plan.offset, plan.limit), [])
                page = PageRows(rows[: plan.limit], len(rows) > plan.limit)
                self._pages[(relation, parent_id, plan.offset, plan.limit)] = page
                below[plan] += page.rows
                out.append(page)
            shown = [row for page in out for row in page.rows]
            self.remember(shown)
            wanted = set().union(*(plan.wanted for _, plan in keys))
            await asyncio.gather(
                self.prefetch(shown, wanted),
                *(self.prefetch_pages(rows, plan.below) for plan, rows in below.items()),
            )
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
            async with self.read() as session:
                counts = {p: int(n) for p, n in (await session.execute(stmt)).all()}
            for p in parent_ids:
                self._counts[(relation, p)] = counts.get(p, 0)
            return [counts.get(p, 0) for p in parent_ids]

        return self._loader(("count", relation), batch)

    def availability(self) -> DataLoader:
        """(offer id, showtime id) → Availability, or None when the showtime does not exist;
        one call of orders.availability.bundle_availability for every pair asked."""

        async def batch(keys: list[tuple[int, int]]) -> list[Any]:
            offer_ids = sorted({k[0] for k in keys})
            showtime_ids = sorted({k[1] for k in keys})
            async with self.read() as session:
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

        model = LIST_OF.get(name)

        async def batch(keys: list[Any]) -> list[list[Any]]:
            found: dict[Any, list[Any]] = defaultdict(list)
            async with self.read() as session:
                rows = (await session.execute(query(list(keys)))).all()
            if model is None:
                for parent, value in rows:
                    found[parent].append(value)
            else:
                values = records(model, (row[1:] for row in rows))
                for row, value in zip(rows, values, strict=True):
                    found[row[0]].append(value)
            return [found.get(k, []) for k in keys]

        return self._loader(("list", name), batch)

    def load_many_nodes(self, model: type, ids: Sequence[int]) -> Any:
        return self.node(model).load_many(list(ids))
