"""Account mutations: licensee partners (staff) and API tokens (staff for any merchant; a
merchant token with the `tokens` scope for its own merchant, see licensing.tokens)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import MANAGE_TOKENS, STAFF
from graphql_schema.mutations.base import MutationBase, errors_field, not_found
from graphql_schema.relay import decode_pk
from licensing.merchants import (
    MAX_CONTACTS,
    ROLES,
    ContactInput,
    create_merchant,
    update_merchant,
)
from licensing.models import TokenScope
from licensing.tokens import issue_api_token, revoke_api_token_as


class MerchantContactInput(graphene.InputObjectType):
    """A person at a merchant, reached by e-mail for one role."""

    name = graphene.String(required=True, description="The contact's name.")
    email = graphene.String(required=True, description="The contact's e-mail address.")
    role = graphene.String(
        required=True,
        description=f"What the contact is reached for: one of {', '.join(ROLES)} (statements "
        "and payment reminders go to the finance contact).",
    )


def _contacts(given: Any) -> list[ContactInput] | None:
    if given is None:
        return None
    return [ContactInput(c.name, c.email, c.role) for c in given]


class CreateMerchantInput(graphene.InputObjectType):
    """A new licensee partner: its contacts, or (as before contacts) one contact e-mail."""

    slug = graphene.String(required=True, description="A unique short name (a-z, 0-9, -).")
    name = graphene.String(required=True, description="The partner's name, unique.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    contact_email = graphene.String(
        description="The e-mail of its one licensing contact, when `contacts` is left out."
    )
    contacts = graphene.List(
        graphene.NonNull(MerchantContactInput),
        description=f"Its contacts, 1 to {MAX_CONTACTS}; give these or `contactEmail`.",
    )


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
            contact_email=input.get("contact_email"),
            contacts=_contacts(input.get("contacts")),
        )


class UpdateMerchantInput(graphene.InputObjectType):
    """What changes about a merchant; a field left out stays as it is."""

    id = graphene.ID(required=True, description="The merchant's ID.")
    name = graphene.String(description="The partner's new name, unique.")
    country = graphene.String(description="ISO 3166-1 alpha-2 country code.")
    contacts = graphene.List(
        graphene.NonNull(MerchantContactInput),
        description=f"Its contacts, 1 to {MAX_CONTACTS}: they replace all of its contacts.",
    )


class UpdateMerchant(MutationBase):
    """Change a licensee partner's name, country or contacts (staff). The slug never changes."""

    permissions = (STAFF,)
    input_type = UpdateMerchantInput
    input_description = "The merchant and its changes."
    merchant = graphene.Field(t.Merchant, description="The merchant.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        pk = decode_pk(input.id, "Merchant")
        if pk is None:
            raise not_found("merchant", "id")
        return await update_merchant(
            session,
            pk,
            name=input.get("name"),
            country=input.get("country"),
            contacts=_contacts(input.get("contacts")),
        )


class IssueApiTokenInput(graphene.InputObjectType):
    """A new API token: for a merchant, or for yourself (staff) when no merchant is given."""

    merchant_id = graphene.ID(
        description="The merchant the token acts for. A merchant token may name only its own "
        "merchant, and issues for it when this is left out."
    )
    name = graphene.String(description="A label for the token.")
    scopes = graphene.List(
        graphene.NonNull(sc.TokenScope),
        description="What the token may do; READ and WRITE when left out. A merchant token "
        "grants only scopes it holds; a staff token holds every scope.",
    )


class IssueApiToken(MutationBase):
    """Issue an API token: staff for any merchant or themselves; a merchant token with the
    `tokens` scope for its own merchant, with scopes it holds itself. The secret is in this
    answer only: tiein keeps its hash."""

    permissions = (MANAGE_TOKENS,)
    input_type = IssueApiTokenInput
    input_description = "The token's owner, label and scopes."
    token = graphene.Field(t.ApiToken, description="The new token.")
    secret = graphene.String(
        description="The token itself, for `Authorization: Bearer`; shown only once."
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        merchant_id = None
        if input.get("merchant_id") is not None:
            merchant_id = decode_pk(input.merchant_id, "Merchant")
            if merchant_id is None:
                raise not_found("merchant", "merchantId")
        given = input.get("scopes")
        token, secret = await issue_api_token(
            session,
            info.context.caller,
            merchant_id=merchant_id,
            scopes=None if given is None else frozenset(TokenScope(s) for s in given),
            name=input.get("name") or "",
        )
        return {"token": token, "secret": secret}


class RevokeApiTokenInput(graphene.InputObjectType):
    """The token to revoke."""

    id = graphene.ID(required=True, description="The token's ID.")


class RevokeApiToken(MutationBase):
    """Revoke an API token (staff: any; a merchant token with the `tokens` scope: its own
    merchant's); it stops working on the next request."""

    permissions = (MANAGE_TOKENS,)
    input_type = RevokeApiTokenInput
    input_description = "The token."
    token = graphene.Field(t.ApiToken, description="The revoked token.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        pk = decode_pk(input.id, "ApiToken")
        if pk is None:
            raise not_found("token", "id")
        ctx = info.context
        return await revoke_api_token_as(session, ctx.caller, pk, now=ctx.now)


class AccountMutations(graphene.ObjectType):
    create_merchant = CreateMerchant.field()
    update_merchant = UpdateMerchant.field()
    issue_api_token = IssueApiToken.field()
    revoke_api_token = RevokeApiToken.field()
