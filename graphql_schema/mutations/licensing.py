"""Licensing mutations: partners, tokens, agreements, reviews, periods and sales reports."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import signed_in, staff_only
from graphql_schema.mutations.base import (
    actor_name,
    errors_field,
    find,
    not_found,
    optional_amount,
    run,
)
from graphql_schema.relay import decode_pk
from graphql_schema.types import StatementView
from kernel.errors import DomainError, ErrorCode
from kernel.money import check_currency, parse_amount
from licensing import models as lm
from licensing.accounts import create_api_token, create_merchant, revoke_api_token
from licensing.agreements import create_agreement, set_agreement_status
from licensing.approvals import review_product
from licensing.closing import close_period
from licensing.sales_reports import ReportLineInput, submit_sales_report
from licensing.statements import statements_for_period


class CreateMerchantInput(graphene.InputObjectType):
    """A new licensee partner."""

    slug = graphene.String(required=True, description="A unique short name (a-z, 0-9, -).")
    name = graphene.String(required=True, description="The partner's name.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    contact_email = graphene.String(required=True, description="The contact email.")


class CreateMerchant(graphene.Mutation):
    """Add a licensee partner (staff)."""

    class Meta:
        name = "CreateMerchantPayload"

    class Arguments:
        input = CreateMerchantInput(required=True, description="The partner.")

    merchant = graphene.Field(t.Merchant, description="The new merchant.")
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> CreateMerchant:
        async def work(session: Any) -> Any:
            return await create_merchant(
                session,
                slug=input.slug,
                name=input.name,
                country=input.country,
                contact_email=input.contact_email,
            )

        merchant, errors = await run(info, work)
        return CreateMerchant(merchant=merchant, errors=errors)


class IssueApiTokenInput(graphene.InputObjectType):
    """A new API token for one merchant, or for yourself (staff) when no merchant is given."""

    merchant_id = graphene.ID(description="The merchant the token acts for.")
    name = graphene.String(description="A label for the token.")


class IssueApiToken(graphene.Mutation):
    """Issue an API token (staff). The secret is in this answer only: tiein keeps its hash."""

    class Meta:
        name = "IssueApiTokenPayload"

    class Arguments:
        input = IssueApiTokenInput(required=True, description="The token's owner and label.")

    token = graphene.Field(t.ApiToken, description="The new token.")
    secret = graphene.String(
        description="The token itself, for `Authorization: Bearer`; shown only once."
    )
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> IssueApiToken:
        async def work(session: Any) -> Any:
            name = input.get("name") or ""
            if input.get("merchant_id") is not None:
                merchant = await find(
                    session, info, lm.Merchant, input.merchant_id,
                    type_name="Merchant", field="merchantId",
                )  # fmt: skip
                return await create_api_token(session, merchant=merchant, name=name)
            staff = await session.get(lm.StaffUser, info.context.viewer.staff_user_id)
            return await create_api_token(session, staff_user=staff, name=name)

        issued, errors = await run(info, work)
        token, secret = issued if issued else (None, None)
        return IssueApiToken(token=token, secret=secret, errors=errors)


class RevokeApiTokenInput(graphene.InputObjectType):
    """The token to revoke."""

    id = graphene.ID(required=True, description="The token's ID.")


class RevokeApiToken(graphene.Mutation):
    """Revoke an API token (staff); it stops working on the next request."""

    class Meta:
        name = "RevokeApiTokenPayload"

    class Arguments:
        input = RevokeApiTokenInput(required=True, description="The token.")

    token = graphene.Field(t.ApiToken, description="The revoked token.")
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> RevokeApiToken:
        async def work(session: Any) -> Any:
            token = await find(
                session, info, lm.ApiToken, input.id, type_name="ApiToken", field="id"
            )
            return await revoke_api_token(session, token.id, now=info.context.now)

        token, errors = await run(info, work, {"id": "id"})
        return RevokeApiToken(token=token, errors=errors)


class RoyaltyTierInput(graphene.InputObjectType):
    """A rate tier."""

    threshold = graphene.String(
        required=True, description='Cumulative net sales from which it applies (e.g. "0").'
    )
    rate_bps = graphene.Int(required=True, description="The rate in basis points.")


class CreateAgreementInput(graphene.InputObjectType):
    """A new license agreement. Amounts are decimal strings in the agreement's currency."""

    code = graphene.String(required=True, description="A unique code, e.g. LA-2026-0042.")
    merchant_id = graphene.ID(required=True, description="The licensee.")
    film_ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="The films covered."
    )
    categories = graphene.List(
        graphene.NonNull(sc.Category), required=True, description="The allowed categories."
    )
    territories = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="The licensed territories (ISO 3166-1 alpha-2).",
    )
    channels = graphene.List(
        graphene.NonNull(sc.Channel), required=True, description="The granted channels."
    )
    start_date = graphene.Date(required=True, description="First day of the term.")
    end_date = graphene.Date(required=True, description="Last day of the term.")
    sell_off_days = graphene.Int(description="Days of sell-off after the end (default 0).")
    currency = graphene.String(required=True, description="The ISO 4217 currency.")
    rate_bps = graphene.Int(required=True, description="The royalty rate in basis points.")
    bundle_rate_bps = graphene.Int(description="A different rate for the bundle channel.")
    per_unit_minimum = graphene.String(description="A minimum royalty per unit.")
    tiers = graphene.List(
        graphene.NonNull(RoyaltyTierInput), description="Rate tiers, ascending from 0."
    )
    advance = graphene.String(description="The advance paid (default 0).")
    minimum_guarantee = graphene.String(description="The minimum guarantee (default 0).")
    status = graphene.Field(sc.AgreementStatus, description="The status (default DRAFT).")


AGREEMENT_FIELDS = {
    "merchant": "merchantId",
    "merchant_id": "merchantId",
    "films": "filmIds",
    "film_ids": "filmIds",
    "per_unit_min_minor": "perUnitMinimum",
    "advance_minor": "advance",
    "minimum_guarantee_minor": "minimumGuarantee",
    "agreement": "id",
}


class CreateAgreement(graphene.Mutation):
    """Record a signed license agreement (staff)."""

    class Meta:
        name = "CreateAgreementPayload"

    class Arguments:
        input = CreateAgreementInput(required=True, description="The agreement.")

    agreement = graphene.Field(t.Agreement, description="The new agreement.")
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> CreateAgreement:
        async def work(session: Any) -> Any:
            merchant = await find(
                session, info, lm.Merchant, input.merchant_id,
                type_name="Merchant", field="merchantId",
            )  # fmt: skip
            film_ids = []
            for i, value in enumerate(input.film_ids):
                pk = decode_pk(value, "Film")
                if pk is None or await session.get(cm.Film, pk) is None:
                    raise not_found("film", f"filmIds.{i}")
                film_ids.append(pk)
            currency = check_currency(input.currency)
            tiers = [
                (parse_amount(tier.threshold, currency, field=f"tiers.{i}.threshold"),
                 tier.rate_bps)
                for i, tier in enumerate(input.get("tiers") or [])
            ]  # fmt: skip
            extra = {}
            if input.get("status") is not None:
                extra["status"] = input.status
            return await create_agreement(
                session,
                code=input.code,
                merchant_id=merchant.id,
                film_ids=film_ids,
                categories=[c.value for c in input.categories],
                territories=input.territories,
                channels=[c.value for c in input.channels],
                start_date=input.start_date,
                end_date=input.end_date,
                sell_off_days=input.get("sell_off_days") or 0,
                currency=currency,
                rate_bps=input.rate_bps,
                bundle_rate_bps=input.get("bundle_rate_bps"),
                per_unit_min_minor=optional_amount(
                    input.get("per_unit_minimum"), currency, "perUnitMinimum"
                ),
                tiers=tiers,
                advance_minor=optional_amount(input.get("advance"), currency, "advance") or 0,
                minimum_guarantee_minor=optional_amount(
                    input.get("minimum_guarantee"), currency, "minimumGuarantee"
                )
                or 0,
                **extra,
            )

        agreement, errors = await run(info, work, AGREEMENT_FIELDS)
        return CreateAgreement(agreement=agreement, errors=errors)


class UpdateAgreementStatusInput(graphene.InputObjectType):
    """A status change: DRAFT → ACTIVE or TERMINATED, ACTIVE → TERMINATED or EXPIRED."""

    id = graphene.ID(required=True, description="The agreement.")
    status = graphene.Field(graphene.NonNull(sc.AgreementStatus), description="The new status.")


class UpdateAgreementStatus(graphene.Mutation):
    """Activate, terminate or expire an agreement (staff)."""

    class Meta:
        name = "UpdateAgreementStatusPayload"

    class Arguments:
        input = UpdateAgreementStatusInput(required=True, description="The change.")

    agreement = graphene.Field(t.Agreement, description="The agreement in its new status.")
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(
        root: Any,
        info: Any,
        input: Any,
    ) -> UpdateAgreementStatus:
        async def work(session: Any) -> Any:
            agreement = await find(
                session, info, lm.Agreement, input.id, type_name="Agreement", field="id"
            )
            return await set_agreement_status(
                session, agreement.id, input.status, now=info.context.now
            )

        agreement, errors = await run(info, work, AGREEMENT_FIELDS)
        return UpdateAgreementStatus(agreement=agreement, errors=errors)


class ReviewProductInput(graphene.InputObjectType):
    """A reviewer's answer to a submitted concept or sample."""

    id = graphene.ID(required=True, description="The product.")
    decision = graphene.Field(
        graphene.NonNull(sc.ReviewDecision), description="APPROVE, REQUEST_CHANGES or REJECT."
    )
    comment = graphene.String(description="A note for the merchant.")


class ReviewProduct(graphene.Mutation):
    """Approve, send back or reject a submitted product stage (staff)."""

    class Meta:
        name = "ReviewProductPayload"

    class Arguments:
        input = ReviewProductInput(required=True, description="The review.")

    product = graphene.Field(t.Product, description="The product in its new stage.")
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> ReviewProduct:
        async def work(session: Any) -> Any:
            product = await find(
                session, info, cm.Product, input.id, type_name="Product", field="id"
            )
            return await review_product(
                session,
                product.id,
                decision=getattr(input.decision, "value", input.decision),
                reviewer=await actor_name(session, info),
                comment=input.get("comment") or "",
                now=info.context.now,
                viewer=info.context.viewer,
            )

        product, errors = await run(info, work, {"product": "id", "product_id": "id"})
        return ReviewProduct(product=product, errors=errors)


class ClosePeriodInput(graphene.InputObjectType):
    """The period to close."""

    period = graphene.String(required=True, description="An ended period, e.g. 2026-Q3.")


class ClosePeriod(graphene.Mutation):
    """Close a period and freeze its royalty statements (staff)."""

    class Meta:
        name = "ClosePeriodPayload"

    class Arguments:
        input = ClosePeriodInput(required=True, description="The period.")

    statements = graphene.List(
        graphene.NonNull(t.RoyaltyStatement), description="The statements frozen at close."
    )
    errors = errors_field()

    @staticmethod
    @staff_only
    async def mutate(root: Any, info: Any, input: Any) -> ClosePeriod:
        async def work(session: Any) -> Any:
            await close_period(
                session,
                input.period,
                now=info.context.now,
                closed_by=await actor_name(session, info),
            )
            figures = await statements_for_period(session, input.period)
            return [StatementView(f) for f in figures]

        statements, errors = await run(info, work)
        return ClosePeriod(statements=statements, errors=errors)


class SalesReportLineInput(graphene.InputObjectType):
    """One line of a sales report."""

    sku = graphene.String(required=True, description="The SKU sold.")
    territory = graphene.String(required=True, description="Where (ISO 3166-1 alpha-2).")
    units = graphene.Int(required=True, description="Units sold, more than 0.")
    gross = graphene.String(required=True, description='Gross sales, e.g. "120.00".')
    net = graphene.String(required=True, description="Net sales, 0 to gross.")


class SubmitSalesReportInput(graphene.InputObjectType):
    """A licensee's report of its own sales for one agreement and period."""

    agreement_id = graphene.ID(required=True, description="The agreement.")
    period = graphene.String(required=True, description="The period, e.g. 2026-Q3.")
    lines = graphene.List(
        graphene.NonNull(SalesReportLineInput), required=True, description="The lines."
    )


class SubmitSalesReport(graphene.Mutation):
    """Report off-platform sales; a report with any bad line is rejected whole, every bad
    line named (`lines.<n>.<field>`, n from 1)."""

    class Meta:
        name = "SubmitSalesReportPayload"

    class Arguments:
        input = SubmitSalesReportInput(required=True, description="The report.")

    sales_report = graphene.Field(t.SalesReport, description="The accepted report.")
    errors = errors_field()

    @staticmethod
    @signed_in
    async def mutate(root: Any, info: Any, input: Any) -> SubmitSalesReport:
        async def work(session: Any) -> Any:
            agreement = await find(
                session, info, lm.Agreement, input.agreement_id,
                type_name="Agreement", field="agreementId",
            )  # fmt: skip
            if not input.lines:
                raise DomainError(ErrorCode.INVALID, "A report needs at least one line.", "lines")
            lines = []
            for n, line in enumerate(input.lines, start=1):
                lines.append(
                    ReportLineInput(
                        sku=line.sku,
                        territory=line.territory,
                        units=line.units,
                        gross_minor=parse_amount(
                            line.gross, agreement.currency, field=f"lines.{n}.gross"
                        ),
                        net_minor=parse_amount(
                            line.net, agreement.currency, field=f"lines.{n}.net"
                        ),
                    )
                )
            viewer = info.context.viewer
            return await submit_sales_report(
                session,
                agreement_id=agreement.id,
                period=input.period,
                lines=lines,
                submitted_by=await actor_name(session, info),
                merchant_id=viewer.merchant_id if viewer.is_merchant else None,
                now=info.context.now,
            )

        report, errors = await run(info, work, {"agreement": "agreementId"})
        return SubmitSalesReport(sales_report=report, errors=errors)


class LicensingMutations(graphene.ObjectType):
    create_merchant = CreateMerchant.Field(description=CreateMerchant.__doc__)
    issue_api_token = IssueApiToken.Field(description=IssueApiToken.__doc__)
    revoke_api_token = RevokeApiToken.Field(description=RevokeApiToken.__doc__)
    create_agreement = CreateAgreement.Field(description=CreateAgreement.__doc__)
    update_agreement_status = UpdateAgreementStatus.Field(description=UpdateAgreementStatus.__doc__)
    review_product = ReviewProduct.Field(description=ReviewProduct.__doc__)
    close_period = ClosePeriod.Field(description=ClosePeriod.__doc__)
    submit_sales_report = SubmitSalesReport.Field(description=SubmitSalesReport.__doc__)
