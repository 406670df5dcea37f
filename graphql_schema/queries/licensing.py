"""Licensing reads, behind a token: merchants, agreements, royalty statements, sales reports
(a merchant sees its own)."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.errors import from_domain
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, is_id, where
from graphql_schema.relay import Page, connection_field, page_window, paginate
from graphql_schema.types import StatementView
from kernel.errors import DomainError
from kernel.periods import check_period
from licensing import models as lm
from licensing.statements import statements_for_period


class AgreementFilter(Filter):
    """Narrows `agreements`."""

    merchant_id = where(
        graphene.ID,
        "Only this merchant's agreements (a Merchant ID).",
        lambda gid, ctx: is_id(lm.Agreement.merchant_id, gid, "Merchant"),
    )
    status = where(
        sc.AgreementStatus,
        "Only agreements in this status.",
        lambda status, ctx: lm.Agreement.status == status,
    )


class SalesReportFilter(Filter):
    """Narrows `salesReports`."""

    agreement_id = where(
        graphene.ID,
        "Only reports of this agreement (an Agreement ID).",
        lambda gid, ctx: is_id(lm.SalesReport.agreement_id, gid, "Agreement"),
    )
    period = where(
        graphene.String,
        "Only reports of this period, e.g. 2026-Q3.",
        lambda period, ctx: lm.SalesReport.period == check_period(period),
    )


class LicensingQueries(graphene.ObjectType):
    """Partner and staff reads of the licensing side."""

    merchants = connection_field(t.MerchantConnection, "Merchants you may see.")
    agreements = filtered(
        t.AgreementConnection,
        "License agreements you may see (a merchant: its own).",
        AgreementFilter,
    )
    royalty_statements = connection_field(
        t.RoyaltyStatementConnection,
        "Royalty statements of a period, by agreement (a merchant: its own).",
        period=graphene.String(required=True, description="The period, e.g. 2026-Q3."),
        agreement_id=graphene.ID(description="Only this agreement's statement."),
    )
    sales_reports = filtered(
        t.SalesReportConnection,
        "Licensee sales reports, newest first (a merchant: its own).",
        SalesReportFilter,
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_merchants(root: Any, info: Any, first: int, after: str | None = None) -> Page:
        ctx = info.context
        stmt = visible(lm.Merchant, ctx.viewer, ctx.now)
        return await paginate(info, stmt, (lm.Merchant.name, lm.Merchant.id), first, after)

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_agreements(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = AgreementFilter.apply(visible(lm.Agreement, ctx.viewer, ctx.now), filter, ctx)
        return await paginate(info, stmt, (lm.Agreement.id,), first, after)

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_royalty_statements(
        root: Any,
        info: Any,
        period: str,
        first: int,
        after: str | None = None,
        agreement_id: str | None = None,
    ) -> Page:
        ctx = info.context
        offset, limit = page_window(first, after)
        try:
            period = check_period(period)
        except DomainError as exc:
            raise from_domain(exc) from None
        ids_stmt = visible(lm.Agreement, ctx.viewer, ctx.now).with_only_columns(lm.Agreement.id)
        if agreement_id is not None:
            ids_stmt = ids_stmt.where(is_id(lm.Agreement.id, agreement_id, "Agreement"))
        async with ctx.read_session() as session:
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
    @requires(MERCHANT_READ)
    async def resolve_sales_reports(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        stmt = SalesReportFilter.apply(visible(lm.SalesReport, ctx.viewer, ctx.now), filter, ctx)
        order = (lm.SalesReport.period.desc(), lm.SalesReport.version.desc(), lm.SalesReport.id)
        return await paginate(info, stmt, order, first, after)
