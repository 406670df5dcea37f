"""The root Query: catalog reads for everyone, partner and staff reads behind a token.

Root fields run concurrently, so each opens its own read session (see loaders.py)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy import false, select

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import signed_in, staff_only
from graphql_schema.errors import from_domain
from graphql_schema.loaders import visible
from graphql_schema.relay import (
    MODEL_FOR_TYPE,
    Node,
    Page,
    connection_field,
    decode_id,
    decode_pk,
    page_window,
    paginate,
    split_id,
)
from graphql_schema.types import StatementView
from kernel.errors import DomainError
from kernel.parsing import InvalidInput, parse_id
from kernel.periods import check_period
from licensing import models as lm
from licensing.statements import compute_statement, statements_for_period
from orders import models as om
from reports.film_commerce import film_commerce_report
from reports.royalty import royalty_report


class ViewerInfo(graphene.ObjectType):
    """Who is asking, as the API sees the request's token."""

    class Meta:
        name = "Viewer"

    kind = graphene.Field(graphene.NonNull(sc.ViewerKind), description="Public, merchant or staff.")
    name = graphene.String(required=True, description="The token's label, or `public`.")
    merchant = graphene.Field(t.Merchant, description="The merchant a merchant token acts for.")

    @staticmethod
    def resolve_kind(root: Any, info: Any) -> str:
        if root.is_staff:
            return sc.ViewerKind.STAFF.value
        return sc.ViewerKind.MERCHANT.value if root.is_merchant else sc.ViewerKind.PUBLIC.value

    @staticmethod
    def resolve_merchant(root: Any, info: Any) -> Any:
        if root.merchant_id is None:
            return None
        return info.context.loaders.load(lm.Merchant, root.merchant_id)


class FilmFilter(graphene.InputObjectType):
    """Narrows `films`."""

    status = graphene.Field(sc.FilmStatus, description="Only films in this cinema status.")


class ProductFilter(graphene.InputObjectType):
    """Narrows `products`; every given condition must hold."""

    film_slug = graphene.String(description="Only products of this film.")
    category = graphene.Field(sc.Category, description="Only this category.")
    approval_stage = graphene.Field(sc.ApprovalStage, description="Only this approval stage.")
    merchant_id = graphene.ID(description="Only this merchant's products (a Merchant ID).")


class ShowtimeFilter(graphene.InputObjectType):
    """Narrows `showtimes`."""

    film_slug = graphene.String(description="Only showtimes of this film.")
    cinema_id = graphene.ID(description="Only showtimes at this cinema (a Cinema ID).")
    upcoming = graphene.Boolean(description="Only showtimes that have not started yet.")


class BundleOfferFilter(graphene.InputObjectType):
    """Narrows `bundleOffers`."""

    film_slug = graphene.String(description="Only offers of this film.")


class AgreementFilter(graphene.InputObjectType):
    """Narrows `agreements`."""

    merchant_id = graphene.ID(description="Only this merchant's agreements (a Merchant ID).")
    status = graphene.Field(sc.AgreementStatus, description="Only agreements in this status.")


class SalesReportFilter(graphene.InputObjectType):
    """Narrows `salesReports`."""

    agreement_id = graphene.ID(description="Only reports of this agreement (an Agreement ID).")
    period = graphene.String(description="Only reports of this period, e.g. 2026-Q3.")


class OrderFilter(graphene.InputObjectType):
    """Narrows `orders`."""

    status = graphene.Field(sc.OrderStatus, description="Only orders in this status.")


def _ctx(info: Any) -> Any:
    return info.context


def _is(column: Any, global_id: str, type_name: str) -> Any:
    """`column` equals the object a global ID names; an ID of another type or a malformed one
    matches nothing (a filter never errors on an ID the caller may not know)."""
    pk = decode_pk(global_id, type_name)
    return column == pk if pk is not None else false()


def _film_by_slug(slug: str | None) -> Any:
    return select(cm.Film.id).where(cm.Film.slug == (slug or "").strip().lower())


async def resolve_node(info: Any, value: str) -> Any:
    """The object of a global ID, or None when it is malformed, missing or not visible."""
    decoded = decode_id(value)
    if decoded is None:
        return await _statement_node(info, value)
    kind, pk = decoded
    model = MODEL_FOR_TYPE.get(kind)
    if model is None or model is StatementView:
        return None
    return await info.context.loaders.get(model, pk)


async def _statement_node(info: Any, value: str) -> Any:
    """A RoyaltyStatement's id is `<agreement id>.<period>`: live figures until the period
    closes, frozen ones after; visible when its agreement is."""
    found = split_id(value)
    if found is None or found[0] != "RoyaltyStatement":
        return None
    agreement_text, _, period = found[1].partition(".")
    try:
        agreement_id = parse_id(agreement_text, field="id")
    except InvalidInput:
        return None
    agreement = await info.context.loaders.get(lm.Agreement, agreement_id)
    if agreement is None:
        return None
    try:
        async with info.context.db.read_session() as session:
            figures = await compute_statement(session, agreement.id, check_period(period))
    except DomainError:
        return None
    return StatementView(figures)


class Query(graphene.ObjectType):
    """Everything tiein lets its partners and staff read."""

    node = graphene.Field(
        Node,
        id=graphene.ID(required=True, description="A global ID."),
        description="Any object by its global ID; null when it does not exist or you may "
        "not see it.",
    )
    viewer = graphene.Field(graphene.NonNull(ViewerInfo), description="Who you are.")
    films = connection_field(
        t.FilmConnection,
        "Films, newest release first.",
        filter=FilmFilter(description="Conditions on the films."),
    )
    film = graphene.Field(
        t.Film,
        slug=graphene.String(required=True, description="The film's slug."),
        description="A film by its slug.",
    )
    cinemas = connection_field(t.CinemaConnection, "Cinemas, by name.")
    products = connection_field(
        t.ProductConnection,
        "Licensed products you may see (public: only what is sellable now).",
        filter=ProductFilter(description="Conditions on the products."),
    )
    product = graphene.Field(
        t.Product,
        sku=graphene.String(required=True, description="The product's SKU."),
        description="A product by its SKU; null when it does not exist or you may not see it.",
    )
    showtimes = connection_field(
        t.ShowtimeConnection,
        "Showtimes, soonest first.",
        filter=ShowtimeFilter(description="Conditions on the showtimes."),
    )
    bundle_offers = connection_field(
        t.BundleOfferConnection,
        "Ticket-plus-merch bundle offers.",
        filter=BundleOfferFilter(description="Conditions on the offers."),
    )
    merchants = connection_field(t.MerchantConnection, "Merchants you may see.")
    agreements = connection_field(
        t.AgreementConnection,
        "License agreements you may see (a merchant: its own).",
        filter=AgreementFilter(description="Conditions on the agreements."),
    )
    royalty_statements = connection_field(
        t.RoyaltyStatementConnection,
        "Royalty statements of a period, by agreement (a merchant: its own).",
        period=graphene.String(required=True, description="The period, e.g. 2026-Q3."),
        agreement_id=graphene.ID(description="Only this agreement's statement."),
    )
    sales_reports = connection_field(
        t.SalesReportConnection,
        "Licensee sales reports, newest first (a merchant: its own).",
        filter=SalesReportFilter(description="Conditions on the reports."),
    )
    royalty_report = graphene.List(
        graphene.NonNull(t.RoyaltyReportRow),
        required=True,
        period=graphene.String(required=True, description="The period, e.g. 2026-Q3."),
        group_by=graphene.List(
            graphene.NonNull(sc.ReportGroupBy),
            required=True,
            description="The dimensions to group by (always also by currency).",
        ),
        description="Royalties of the ledger entries posted to a period, grouped (staff).",
    )
    film_commerce_report = graphene.List(
        graphene.NonNull(t.FilmCommerceRow),
        required=True,
        period=graphene.String(required=True, description="The period, e.g. 2026-Q3."),
        description="Per film: tickets, bundles, merch and royalties of a period (staff).",
    )
    orders = connection_field(
        t.OrderConnection,
        "Orders, newest first (a merchant: those holding its lines).",
        filter=OrderFilter(description="Conditions on the orders."),
    )

    @staticmethod
    async def resolve_node(root: Any, info: Any, id: str) -> Any:
        return await resolve_node(info, id)

    @staticmethod
    def resolve_viewer(root: Any, info: Any) -> Any:
        return info.context.viewer

    @staticmethod
    async def resolve_films(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(cm.Film, ctx.viewer, ctx.now)
        status = filter.get("status") if filter else None
        status = getattr(status, "value", status)
        if status is not None:
            today = ctx.now.date()
            upcoming = select(cm.Showtime.film_id).where(cm.Showtime.starts_at >= ctx.now)
            if status == sc.FilmStatus.COMING_SOON.value:
                stmt = stmt.where(cm.Film.release_date > today)
            elif status == sc.FilmStatus.NOW_SHOWING.value:
                stmt = stmt.where(cm.Film.release_date <= today, cm.Film.id.in_(upcoming))
            else:
                stmt = stmt.where(cm.Film.release_date <= today, cm.Film.id.not_in(upcoming))
        order = (cm.Film.release_date.desc(), cm.Film.id.desc())
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    async def resolve_film(root: Any, info: Any, slug: str) -> Any:
        ctx = _ctx(info)
        stmt = visible(cm.Film, ctx.viewer, ctx.now).where(cm.Film.slug == slug.strip().lower())
        async with ctx.db.read_session() as session:
            return await session.scalar(stmt)

    @staticmethod
    async def resolve_cinemas(root: Any, info: Any, first: int, after: str | None = None) -> Page:
        ctx = _ctx(info)
        stmt = visible(cm.Cinema, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (cm.Cinema.name, cm.Cinema.id), first, after)

    @staticmethod
    async def resolve_products(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(cm.Product, ctx.viewer, ctx.now)
        if filter:
            if filter.get("film_slug") is not None:
                stmt = stmt.where(cm.Product.film_id.in_(_film_by_slug(filter["film_slug"])))
            if filter.get("category") is not None:
                stmt = stmt.where(cm.Product.category == filter["category"])
            if filter.get("approval_stage") is not None:
                stmt = stmt.where(cm.Product.approval_stage == filter["approval_stage"])
            if filter.get("merchant_id") is not None:
                stmt = stmt.where(_is(cm.Product.merchant_id, filter["merchant_id"], "Merchant"))
        return await paginate(info, stmt, (cm.Product.id,), first, after)

    @staticmethod
    async def resolve_product(root: Any, info: Any, sku: str) -> Any:
        ctx = _ctx(info)
        stmt = visible(cm.Product, ctx.viewer, ctx.now).where(cm.Product.sku == sku.strip())
        async with ctx.db.read_session() as session:
            return await session.scalar(stmt)

    @staticmethod
    async def resolve_showtimes(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(cm.Showtime, ctx.viewer, ctx.now)
        if filter:
            if filter.get("film_slug") is not None:
                stmt = stmt.where(cm.Showtime.film_id.in_(_film_by_slug(filter["film_slug"])))
            if filter.get("cinema_id") is not None:
                stmt = stmt.where(_is(cm.Showtime.cinema_id, filter["cinema_id"], "Cinema"))
            if filter.get("upcoming"):
                stmt = stmt.where(cm.Showtime.starts_at >= ctx.now)
        order = (cm.Showtime.starts_at, cm.Showtime.id)
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    async def resolve_bundle_offers(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(cm.BundleOffer, ctx.viewer, ctx.now)
        if filter and filter.get("film_slug") is not None:
            stmt = stmt.where(cm.BundleOffer.film_id.in_(_film_by_slug(filter["film_slug"])))
        order = (cm.BundleOffer.valid_from, cm.BundleOffer.id)
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    @signed_in
    async def resolve_merchants(root: Any, info: Any, first: int, after: str | None = None) -> Page:
        ctx = _ctx(info)
        stmt = visible(lm.Merchant, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (lm.Merchant.name, lm.Merchant.id), first, after)

    @staticmethod
    @signed_in
    async def resolve_agreements(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(lm.Agreement, ctx.viewer, ctx.now)
        if filter:
            if filter.get("merchant_id") is not None:
                stmt = stmt.where(_is(lm.Agreement.merchant_id, filter["merchant_id"], "Merchant"))
            if filter.get("status") is not None:
                stmt = stmt.where(lm.Agreement.status == filter["status"])
        return await paginate(info, stmt, (lm.Agreement.id,), first, after)

    @staticmethod
    @signed_in
    async def resolve_royalty_statements(
        root: Any,
        info: Any,
        period: str,
        first: int,
        after: str | None = None,
        agreement_id: str | None = None,
    ) -> Page:
        ctx = _ctx(info)
        offset, limit = page_window(first, after)
        try:
            period = check_period(period)
        except DomainError as exc:
            raise from_domain(exc) from None
        ids_stmt = visible(lm.Agreement, ctx.viewer, ctx.now).with_only_columns(lm.Agreement.id)
        if agreement_id is not None:
            ids_stmt = ids_stmt.where(_is(lm.Agreement.id, agreement_id, "Agreement"))
        async with ctx.db.read_session() as session:
            if ctx.viewer.is_staff and agreement_id is None:
                figures = await statements_for_period(session, period)
            else:
                ids = list((await session.scalars(ids_stmt)).all())
                figures = await statements_for_period(session, period, ids) if ids else []
        views = [StatementView(f) for f in sorted(figures, key=lambda f: f.agreement_id)]

        async def count() -> int:
            return len(views)

        page = views[offset : offset + limit]
        return Page(page, offset, len(views) > offset + limit, count)

    @staticmethod
    @signed_in
    async def resolve_sales_reports(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(lm.SalesReport, ctx.viewer, ctx.now)
        if filter:
            if filter.get("agreement_id") is not None:
                stmt = stmt.where(
                    _is(lm.SalesReport.agreement_id, filter["agreement_id"], "Agreement")
                )
            if filter.get("period") is not None:
                try:
                    stmt = stmt.where(lm.SalesReport.period == check_period(filter["period"]))
                except DomainError as exc:
                    raise from_domain(exc) from None
        order = (lm.SalesReport.period.desc(), lm.SalesReport.version.desc(), lm.SalesReport.id)
        return await paginate(info, stmt, order, first, after)

    @staticmethod
    @staff_only
    async def resolve_royalty_report(root: Any, info: Any, period: str, group_by: list) -> Any:
        groups = [getattr(g, "value", g) for g in group_by]
        try:
            async with info.context.db.read_session() as session:
                return await royalty_report(session, period, groups)
        except DomainError as exc:
            raise from_domain(exc) from None

    @staticmethod
    @staff_only
    async def resolve_film_commerce_report(root: Any, info: Any, period: str) -> Any:
        try:
            async with info.context.db.read_session() as session:
                return await film_commerce_report(session, period)
        except DomainError as exc:
            raise from_domain(exc) from None

    @staticmethod
    @signed_in
    async def resolve_orders(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = _ctx(info)
        stmt = visible(om.Order, ctx.viewer, ctx.now)
        if filter and filter.get("status") is not None:
            stmt = stmt.where(om.Order.status == filter["status"])
        order = (om.Order.created_at.desc(), om.Order.id.desc())
        return await paginate(info, stmt, order, first, after)
