"""Receivables reads (SPEC §10), behind a token: what each agreement owes, has paid and how
late it is (a merchant: its own agreements; staff: all). Drafts owe nothing and are left out.

A page costs a constant number of statements: the page of agreements, then three for the
receivables of those agreements (`load_receivables`), three for their missing reports, and
one more only if `totalCount` is asked for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import graphene
from sqlalchemy import func, select

from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.loaders import visible
from graphql_schema.relay import Page, connection_field, page_window
from graphql_schema.types import receivables as t
from kernel.periods import utc
from licensing import models as lm
from licensing.remittances import load_receivables
from licensing.report_reminders import missing_reports


class ReceivableQueries(graphene.ObjectType):
    """Money owed and collected, per agreement."""

    receivables = connection_field(
        t.AgreementReceivablesConnection,
        "Each agreement's receivables as of today (UTC), by agreement (a merchant: its own; "
        "drafts are left out): the advance, each closed statement's payable, the MG "
        "shortfall; paid, balance, days overdue, aging, and missing sales reports.",
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_receivables(
        root: Any, info: Any, first: int, after: str | None = None
    ) -> Page:
        ctx = info.context
        offset, limit = page_window(first, after)
        stmt = visible(lm.Agreement, ctx.viewer, ctx.now).where(
            lm.Agreement.status != lm.AgreementStatus.DRAFT
        )
        today = utc(ctx.now).date()
        async with ctx.read_session() as session:
            agreements = list(
                (
                    await session.scalars(
                        stmt.order_by(lm.Agreement.id).offset(offset).limit(limit + 1)
                    )
                ).all()
            )
            shown = agreements[:limit]
            ids = [a.id for a in shown]
            values = await load_receivables(session, today=today, agreement_ids=ids)
            missing: defaultdict[int, list[str]] = defaultdict(list)
            for m in await missing_reports(session, now=ctx.now, agreement_ids=ids):
                missing[m.agreement_id].append(m.period)
        ctx.loaders.remember(shown)
        nodes = [t.receivables_node(v, missing[v.agreement_id]) for v in values]

        async def count() -> int:
            async with ctx.read_session() as session:
                total = await session.scalar(
                    select(func.count()).select_from(stmt.order_by(None).subquery())
                )
            return int(total or 0)

        return Page(nodes, offset, len(agreements) > limit, count)
