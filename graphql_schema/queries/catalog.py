"""Catalog reads, open to everyone: films, cinemas, products, showtimes, bundle offers."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy import select, true

from catalog import models as cm
from catalog.film_status import film_status_clause
from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, film_by_slug, filtered, is_id, where
from graphql_schema.relay import Page, connection_field, paginate


def _film_status(status: Any, ctx: Any) -> Any:
    """Films in a cinema status as of now (the one rule, `catalog.film_status`)."""
    return film_status_clause(getattr(status, "value", status), ctx.now)


class FilmFilter(Filter):
    """Narrows `films`."""

    status = where(sc.FilmStatus, "Only films in this cinema status.", _film_status)


class ProductFilter(Filter):
    """Narrows `products`; every given condition must hold."""

    film_slug = where(
        graphene.String,
        "Only products of this film.",
        lambda slug, ctx: cm.Product.film_id.in_(film_by_slug(slug)),
    )
    category = where(
        sc.Category, "Only this category.", lambda category, ctx: cm.Product.category == category
    )
    approval_stage = where(
        sc.ApprovalStage,
        "Only this approval stage.",
        lambda stage, ctx: cm.Product.approval_stage == stage,
    )
    merchant_id = where(
        graphene.ID,
        "Only this merchant's products (a Merchant ID).",
        lambda gid, ctx: is_id(cm.Product.merchant_id, gid, "Merchant"),
    )


class ShowtimeFilter(Filter):
    """Narrows `showtimes`."""

    film_slug = where(
        graphene.String,
        "Only showtimes of this film.",
        lambda slug, ctx: cm.Showtime.film_id.in_(film_by_slug(slug)),
    )
    cinema_id = where(
        graphene.ID,
        "Only showtimes at this cinema (a Cinema ID).",
        lambda gid, ctx: is_id(cm.Showtime.cinema_id, gid, "Cinema"),
    )
    upcoming = where(
        graphene.Boolean,
        "Only showtimes that have not started yet.",
        lambda upcoming, ctx: cm.Showtime.starts_at >= ctx.now if upcoming else true(),
    )


class BundleOfferFilter(Filter):
    """Narrows `bundleOffers`."""

    film_slug = where(
        graphene.String,
        "Only offers of this film.",
        lambda slug, ctx: cm.BundleOffer.film_id.in_(film_by_slug(slug)),
    )


class CatalogQueries(graphene.ObjectType):
    """Catalog reads; the public sees what is on sale now."""

    films = filtered(t.FilmConnection, "Films, newest release first.", FilmFilter)
    film = graphene.Field(
        t.Film,
        slug=graphene.String(required=True, description="The film's slug."),
        description="A film by its slug.",
    )
    cinemas = connection_field(t.CinemaConnection, "Cinemas, by name.")
    products = filtered(
        t.ProductConnection,
        "Licensed products you may see (public: only what is sellable now).",
        ProductFilter,
    )
    product = graphene.Field(
        t.Product,
        sku=graphene.String(required=True, description="The product's SKU."),
        description="A product by its SKU, or by the SKU of one of its variants; null when it "
        "does not exist or you may not see it.",
    )
    showtimes = filtered(t.ShowtimeConnection, "Showtimes, soonest first.", ShowtimeFilter)
    bundle_offers = filtered(
        t.BundleOfferConnection, "Ticket-plus-merch bundle offers.", BundleOfferFilter
    )

    @staticmethod
    async def resolve_films(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = FilmFilter.apply(visible(cm.Film, ctx.viewer, ctx.now), filter, ctx)
        order = (cm.Film.release_date.desc(), cm.Film.id.desc())
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    async def resolve_film(root: Any, info: Any, slug: str) -> Any:
        ctx = info.context
        stmt = visible(cm.Film, ctx.viewer, ctx.now).where(cm.Film.slug == slug.strip().lower())
        async with ctx.read_session() as session:
            return await session.scalar(stmt)

    @staticmethod
    async def resolve_cinemas(root: Any, info: Any, first: int, after: str | None = None) -> Page:
        ctx = info.context
        stmt = visible(cm.Cinema, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (cm.Cinema.name, cm.Cinema.id), first, after)

    @staticmethod
    async def resolve_products(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = ProductFilter.apply(visible(cm.Product, ctx.viewer, ctx.now), filter, ctx)
        return await paginate(info, stmt, (cm.Product.id,), first, after)

    @staticmethod
    async def resolve_product(root: Any, info: Any, sku: str) -> Any:
        ctx = info.context
        sku = sku.strip()
        stmt = visible(cm.Product, ctx.viewer, ctx.now)
        async with ctx.read_session() as session:
            found = await session.scalar(stmt.where(cm.Product.sku == sku))
            if found is None:  # a variant's SKU names its product
                of_variant = select(cm.Variant.product_id).where(cm.Variant.sku == sku)
                found = await session.scalar(stmt.where(cm.Product.id.in_(of_variant)))
            return found

    @staticmethod
    async def resolve_showtimes(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = ShowtimeFilter.apply(visible(cm.Showtime, ctx.viewer, ctx.now), filter, ctx)
        order = (cm.Showtime.starts_at, cm.Showtime.id)
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    async def resolve_bundle_offers(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = BundleOfferFilter.apply(visible(cm.BundleOffer, ctx.viewer, ctx.now), filter, ctx)
        order = (cm.BundleOffer.valid_from, cm.BundleOffer.id)
        return await paginate(info, stmt, order, first, after)
