"""Staff reports of a period: royalties grouped, and commerce per film."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import STAFF, requires
from graphql_schema.errors import from_domain
from kernel.errors import DomainError
from reports.film_commerce import film_commerce_report
from reports.royalty import royalty_report


class ReportQueries(graphene.ObjectType):
    """Staff reports."""

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

    @staticmethod
    @requires(STAFF)
    async def resolve_royalty_report(root: Any, info: Any, period: str, group_by: list) -> Any:
        groups = [getattr(g, "value", g) for g in group_by]
        try:
            async with info.context.read_session() as session:
                return await royalty_report(session, period, groups)
        except DomainError as exc:
            raise from_domain(exc) from None

    @staticmethod
    @requires(STAFF)
    async def resolve_film_commerce_report(root: Any, info: Any, period: str) -> Any:
        try:
            async with info.context.read_session() as session:
                return await film_commerce_report(session, period)
        except DomainError as exc:
            raise from_domain(exc) from None
