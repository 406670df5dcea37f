"""Account mutations (staff): licensee partners and their API tokens."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema import types as t
from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import MutationBase, errors_field, find
from licensing import models as lm
from licensing.accounts import create_api_token, create_merchant, revoke_api_token


class CreateMerchantInput(graphene.InputObjectType):
    """A new licensee partner."""

    slug = graphene.String(required=True, description="A unique short name (a-z, 0-9, -).")
    name = graphene.String(required=True, description="The partner's name.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    contact_email = graphene.String(required=True, description="The contact email.")


class CreateMerchant(MutationBase):
    """Add a licensee partner (staff)."""

    permissions = (STAFF,)
    input_type = CreateMerchantInput
    input_description = "The partner."
    merchant = graphene.Field(t.Merchant, description="The new merchant.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        return await create_merchant(
            session,
            slug=input.slug,
            name=input.name,
            country=input.country,
            contact_email=input.contact_email,
        )


class IssueApiTokenInput(graphene.InputObjectType):
    """A new API token for one merchant, or for yourself (staff) when no merchant is given."""

    merchant_id = graphene.ID(description="The merchant the token acts for.")
    name = graphene.String(description="A label for the token.")


class IssueApiToken(MutationBase):
    """Issue an API token (staff). The secret is in this answer only: tiein keeps its hash."""

    permissions = (STAFF,)
    input_type = IssueApiTokenInput
    input_description = "The token's owner and label."
    token = graphene.Field(t.ApiToken, description="The new token.")
    secret = graphene.String(
        description="The token itself, for `Authorization: Bearer`; shown only once."
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        name = input.get("name") or ""
        if input.get("merchant_id") is not None:
            merchant = await find(
                session, info, lm.Merchant, input.merchant_id,
                type_name="Merchant", field="merchantId",
            )  # fmt: skip
            token, secret = await create_api_token(session, merchant=merchant, name=name)
        else:
            staff = await session.get(lm.StaffUser, info.context.viewer.staff_user_id)
            token, secret = await create_api_token(session, staff_user=staff, name=name)
        return {"token": token, "secret": secret}


class RevokeApiTokenInput(graphene.InputObjectType):
    """The token to revoke."""

    id = graphene.ID(required=True, description="The token's ID.")


class RevokeApiToken(MutationBase):
    """Revoke an API token (staff); it stops working on the next request."""

    permissions = (STAFF,)
    input_type = RevokeApiTokenInput
    input_description = "The token."
    token = graphene.Field(t.ApiToken, description="The revoked token.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        token = await find(session, info, lm.ApiToken, input.id, type_name="ApiToken", field="id")
        return await revoke_api_token(session, token.id, now=info.context.now)


class AccountMutations(graphene.ObjectType):
    create_merchant = CreateMerchant.field()
    issue_api_token = IssueApiToken.field()
    revoke_api_token = RevokeApiToken.field()
