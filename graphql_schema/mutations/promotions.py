"""Promotion mutations (staff, SPEC §9): campaigns and their promo codes. The rules are in
orders.promotions; here the API's inputs (global IDs, MoneyInput) become the service's."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import (
    MoneyInput,
    MutationBase,
    amount,
    aware,
    errors_field,
    find,
    unless_refused,
)
from graphql_schema.relay import decode_pk
from graphql_schema.types import promotions as t
from kernel.errors import Checks, DomainError
from orders import promotion_models as pm
from orders.promotions import PromoError, create_campaign, create_promo_code

CODE_FIELDS = {
    "amountMinor": "amount",
    "minSubtotalMinor": "minimumSubtotal",
    "currency": "amount.currency",
}


class CreateCampaignInput(graphene.InputObjectType):
    """A new campaign."""

    name = graphene.String(required=True, description="Its name (1 to 200 characters).")
    channel = graphene.Field(
        graphene.NonNull(t.CampaignChannelEnum), description="How it reaches its audience."
    )
    film_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="The films it promotes (1 to 50 Film IDs).",
    )
    starts_at = graphene.DateTime(required=True, description="When it starts (with an offset).")
    ends_at = graphene.DateTime(required=True, description="When it ends; after the start.")
    referral_code = graphene.String(
        description="The code of its referral link `/r/<code>`: 3 to 40 of A-Z, 0-9, '-', "
        "'_', unique whatever the case."
    )


class CreateCampaign(MutationBase):
    """Create a campaign promoting films through a channel (staff). Its dates limit its
    promo codes and its referral link: outside them both are refused or ignored."""

    permissions = (STAFF,)
    input_type = CreateCampaignInput
    input_description = "The campaign."
    campaign = graphene.Field(t.Campaign, description="The new campaign.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()
        starts_at = ends_at = None
        with checks:
            starts_at = aware(input.starts_at, "startsAt")
        with checks:
            ends_at = aware(input.ends_at, "endsAt")
        film_ids = [decode_pk(gid, "Film") for gid in input.film_ids]
        if any(pk is None for pk in film_ids):
            checks.add(
                DomainError(PromoError.UNKNOWN_FILM, "A film chosen does not exist.", "filmIds")
            )
        checks.done()
        return await create_campaign(
            session,
            name=input.name,
            channel=getattr(input.channel, "value", input.channel),
            film_ids=[pk for pk in film_ids if pk is not None],
            starts_at=starts_at,
            ends_at=ends_at,
            referral_code=input.referral_code,
        )


class CreatePromoCodeInput(graphene.InputObjectType):
    """A new promo code of a campaign: give `percentBps` or `amount`, not both."""

    campaign_id = graphene.ID(required=True, description="The campaign.")
    code = graphene.String(
        required=True,
        description="The code shoppers type: 3 to 40 of A-Z, 0-9, '-', '_', unique whatever "
        "the case.",
    )
    percent_bps = graphene.Int(description="A percentage off in bps: 1 (0.01%) to 10000 (100%).")
    amount = graphene.Field(MoneyInput, description="A fixed amount off, in one currency.")
    scope = graphene.Field(
        t.PromoScopeEnum, description="The lines it takes off (default ANY).", default_value="any"
    )
    campaign_films_only = graphene.Boolean(
        description="Only lines of the campaign's films (default false).", default_value=False
    )
    valid_from = graphene.DateTime(required=True, description="When it starts to be valid.")
    valid_to = graphene.DateTime(required=True, description="When it stops; after the start.")
    minimum_subtotal = graphene.Field(
        MoneyInput,
        description="The least eligible subtotal; in the amount's currency for a fixed code.",
    )
    use_limit = graphene.Int(description="Uses in all (1 or more); unlimited when left out.")
    per_email_limit = graphene.Int(
        description="Uses per shopper e-mail (1 or more); `Fan+x@…` and `fan@…` count as one."
    )


class CreatePromoCode(MutationBase):
    """Create a promo code of a campaign (staff): a percentage or a fixed amount, a scope,
    a validity window (and the campaign's dates), a minimum and use limits."""

    permissions = (STAFF,)
    input_type = CreatePromoCodeInput
    input_description = "The code."
    fields = CODE_FIELDS
    promo_code = graphene.Field(t.PromoCode, description="The new code.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()
        campaign = valid_from = valid_to = None
        amount_minor = currency = None
        minimum, min_currency = 0, None
        with checks:
            campaign = await find(
                session, info, pm.Campaign, input.campaign_id, type_name="Campaign",
                field="campaignId",
            )  # fmt: skip
        with checks:
            valid_from = aware(input.valid_from, "validFrom")
        with checks:
            valid_to = aware(input.valid_to, "validTo")
        has_percent, has_amount = input.percent_bps is not None, input.amount is not None
        if has_percent == has_amount:
            checks.add(
                DomainError(
                    PromoError.INVALID, "Give a percentage or an amount, one of them.", "percentBps"
                )
            )
        if has_amount:
            with checks:
                amount_minor, currency = amount(input.amount, "amount")
        if input.minimum_subtotal is not None:
            with checks:
                minimum, min_currency = amount(input.minimum_subtotal, "minimumSubtotal")
            if currency and min_currency and min_currency != currency:
                checks.add(
                    DomainError(
                        PromoError.PROMO_CURRENCY_MISMATCH,
                        f"Give the minimum in {currency}, the amount's currency.",
                        "minimumSubtotal.currency",
                    )
                )
        checks.done()
        with unless_refused(checks, CODE_FIELDS):
            promo = await create_promo_code(
                session,
                campaign_id=campaign.id,
                code=input.code,
                kind=pm.PromoKind.FIXED if has_amount else pm.PromoKind.PERCENT,
                valid_from=valid_from,
                valid_to=valid_to,
                percent_bps=input.percent_bps,
                amount_minor=amount_minor,
                currency=currency or min_currency,
                scope=getattr(input.scope, "value", input.scope) or pm.PromoScope.ANY,
                campaign_films_only=bool(input.campaign_films_only),
                min_subtotal_minor=minimum,
                use_limit=input.use_limit,
                per_email_limit=input.per_email_limit,
            )
        checks.done()
        return promo


class PromotionMutations(graphene.ObjectType):
    create_campaign = CreateCampaign.field()
    create_promo_code = CreatePromoCode.field()
