"""Account reads: API tokens (a merchant token with `tokens`: its own merchant's; staff: all).
A token is shown by its label, prefix, scopes and dates, never its secret or hash."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import types as t
from graphql_schema.auth import MANAGE_TOKENS, requires
from graphql_schema.loaders import visible
from graphql_schema.queries.filters import Filter, filtered, is_id, where
from graphql_schema.relay import Page, paginate
from licensing import models as lm


class ApiTokenFilter(Filter):
    """Narrows `apiTokens`."""

    merchant_id = where(
        graphene.ID,
        "Only this merchant's tokens (a Merchant ID).",
        lambda gid, ctx: is_id(lm.ApiToken.merchant_id, gid, "Merchant"),
    )
    revoked = where(
        graphene.Boolean,
        "Only revoked tokens (true) or only working ones (false).",
        lambda revoked, ctx: (
            lm.ApiToken.revoked_at.is_not(None) if revoked else lm.ApiToken.revoked_at.is_(None)
        ),
    )


class AccountQueries(graphene.ObjectType):
    """Who holds which API tokens."""

    api_tokens = filtered(
        t.ApiTokenConnection,
        "API tokens, newest first (a merchant token with the `tokens` scope: its own "
        "merchant's; staff: all).",
        ApiTokenFilter,
    )

    @staticmethod
    @requires(MANAGE_TOKENS)
    async def resolve_api_tokens(
        root: Any, info: Any, first: int, after: str | None = None, filter: Any = None
    ) -> Page:
        ctx = info.context
        # Listed for the caller: managing tokens is the `tokens` scope's, not `read`'s.
        stmt = ApiTokenFilter.apply(visible(lm.ApiToken, ctx.caller, ctx.now), filter, ctx)
        order = (lm.ApiToken.created_at.desc(), lm.ApiToken.id.desc())
        return await paginate(info, stmt, order, first, after)
