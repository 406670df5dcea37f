"""Licensing mutations: agreements, reviews, periods and sales reports."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_WRITE, STAFF
from graphql_schema.mutations.base import (
    MutationBase,
    actor_name,
    errors_field,
    find,
    not_found,
    optional_amount,
    run,
    unless_refused,
)
from graphql_schema.relay import decode_pk
from graphql_schema.types import StatementView
from kernel.errors import Checks, DomainError, ErrorCode
from kernel.money import check_currency, parse_amount
from licensing import models as lm
from licensing.agreements import create_agreement, set_agreement_status
from licensing.approvals import review_product
from licensing.closing import close_period
from licensing.sales_reports import (
    ReportLineInput,
    ReportRejected,
    report_rejected,
    submit_sales_report,
)
from licensing.statements import statements_for_period


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
    "perUnitMinMinor": "perUnitMinimum",
    "advanceMinor": "advance",
    "minimumGuaranteeMinor": "minimumGuarantee",
}
AMOUNTS = (
    ("per_unit_minimum", "perUnitMinimum"),
    ("advance", "advance"),
    ("minimum_guarantee", "minimumGuarantee"),
)


class CreateAgreement(MutationBase):
    """Record a signed license agreement (staff)."""

    permissions = (STAFF,)
    input_type = CreateAgreementInput
    input_description = "The agreement."
    fields = AGREEMENT_FIELDS
    agreement = graphene.Field(t.Agreement, description="The new agreement.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()  # every bad field at once; a refused value is given a stand-in
        merchant = None
        with checks:
            merchant = await find(
                session, info, lm.Merchant, input.merchant_id,
                type_name="Merchant", field="merchantId",
            )  # fmt: skip
        film_ids = []
        for n, value in enumerate(input.film_ids, start=1):
            with checks:
                pk = decode_pk(value, "Film")
                if pk is None or await session.get(cm.Film, pk) is None:
                    raise not_found("film", f"filmIds.{n}")
                film_ids.append(pk)
        currency = None
        with checks:
            currency = check_currency(input.currency)
        tiers, amounts = [], {}
        if currency is not None:  # amounts can only be read in a known currency
            for n, tier in enumerate(input.get("tiers") or [], start=1):
                with checks:
                    threshold = parse_amount(tier.threshold, currency, field=f"tiers.{n}.threshold")
                    tiers.append((threshold, tier.rate_bps))
            for key, field in AMOUNTS:
                with checks:
                    amounts[key] = optional_amount(input.get(key), currency, field)
        extra = {"status": input.status} if input.get("status") is not None else {}
        with unless_refused(checks, AGREEMENT_FIELDS):
            agreement = await create_agreement(
                session,
                code=input.code,
                merchant_id=merchant.id if merchant else 0,
                film_ids=film_ids,
                categories=[c.value for c in input.categories],
                territories=input.territories,
                channels=[c.value for c in input.channels],
                start_date=input.start_date,
                end_date=input.end_date,
                sell_off_days=input.get("sell_off_days") or 0,
                currency=currency or "USD",
                rate_bps=input.rate_bps,
                bundle_rate_bps=input.get("bundle_rate_bps"),
                per_unit_min_minor=amounts.get("per_unit_minimum"),
                tiers=tiers,
                advance_minor=amounts.get("advance") or 0,
                minimum_guarantee_minor=amounts.get("minimum_guarantee") or 0,
                **extra,
            )
        checks.done()
        return agreement


class UpdateAgreementStatusInput(graphene.InputObjectType):
    """A status change: DRAFT → ACTIVE or TERMINATED, ACTIVE → TERMINATED or EXPIRED."""

    id = graphene.ID(required=True, description="The agreement.")
    status = graphene.Field(graphene.NonNull(sc.AgreementStatus), description="The new status.")


class UpdateAgreementStatus(MutationBase):
    """Activate, terminate or expire an agreement (staff)."""

    permissions = (STAFF,)
    input_type = UpdateAgreementStatusInput
    input_description = "The change."
    fields = AGREEMENT_FIELDS
    agreement = graphene.Field(t.Agreement, description="The agreement in its new status.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        agreement = await find(
            session, info, lm.Agreement, input.id, type_name="Agreement", field="id"
        )
        return await set_agreement_status(session, agreement.id, input.status, now=info.context.now)


class ReviewProductInput(graphene.InputObjectType):
    """A reviewer's answer to a submitted concept or sample."""

    id = graphene.ID(required=True, description="The product.")
    decision = graphene.Field(
        graphene.NonNull(sc.ReviewDecision), description="APPROVE, REQUEST_CHANGES or REJECT."
    )
    comment = graphene.String(description="A note for the merchant.")


class ReviewProduct(MutationBase):
    """Approve, send back or reject a submitted product stage (staff)."""

    permissions = (STAFF,)
    input_type = ReviewProductInput
    input_description = "The review."
    fields = {"product": "id", "product_id": "id"}
    product = graphene.Field(t.Product, description="The product in its new stage.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        product = await find(session, info, cm.Product, input.id, type_name="Product", field="id")
        return await review_product(
            session,
            product.id,
            decision=getattr(input.decision, "value", input.decision),
            reviewer=await actor_name(session, info),
            comment=input.get("comment") or "",
            now=info.context.now,
            viewer=info.context.viewer,
        )


class ClosePeriodInput(graphene.InputObjectType):
    """The period to close."""

    period = graphene.String(required=True, description="An ended period, e.g. 2026-Q3.")


class ClosePeriod(MutationBase):
    """Close a period and freeze its royalty statements (staff)."""

    permissions = (STAFF,)
    input_type = ClosePeriodInput
    input_description = "The period."
    statements = graphene.List(
        graphene.NonNull(t.RoyaltyStatement), description="The statements frozen at close."
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        await close_period(
            session, input.period, now=info.context.now, closed_by=await actor_name(session, info)
        )
        figures = await statements_for_period(session, input.period)
        return [StatementView(f) for f in figures]


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


class SubmitSalesReport(MutationBase):
    """Report off-platform sales; a report with any bad line is rejected whole, every bad
    line named (`lines.<n>.<field>`, n from 1)."""

    permissions = (MERCHANT_WRITE,)
    input_type = SubmitSalesReportInput
    input_description = "The report."
    fields = {"agreement": "agreementId"}
    sales_report = graphene.Field(t.SalesReport, description="The accepted report.")
    errors = errors_field()

    @classmethod
    async def execute(cls, info: Any, input: Any) -> Any:
        """As every mutation; a rejected report also tells the merchant's webhooks, in a
        transaction of its own (the refused one rolled back)."""
        rejected: list[ReportRejected] = []

        async def work(session: AsyncSession) -> Any:
            try:
                return await cls.perform(session, info, input)
            except ReportRejected as exc:
                rejected.append(exc)
                raise

        result, errors = await run(info, work, cls.fields)
        if rejected:
            async with info.context.db.session() as session:
                await report_rejected(session, rejected[0], now=info.context.now)
        return cls.payload(result, errors)

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        agreement = await find(
            session, info, lm.Agreement, input.agreement_id,
            type_name="Agreement", field="agreementId",
        )  # fmt: skip
        if not input.lines:
            raise DomainError(ErrorCode.INVALID, "A report needs at least one line.", "lines")
        lines, malformed = [], []
        for n, line in enumerate(input.lines, start=1):
            figures = {}
            for field in ("gross", "net"):
                try:
                    figures[field] = parse_amount(line[field], agreement.currency, field=field)
                except DomainError as exc:  # reported with the other bad lines
                    figures[field] = None
                    malformed.append((n, field, exc.code, f"Line {n}: {exc.message}"))
            lines.append(
                ReportLineInput(
                    sku=line.sku,
                    territory=line.territory,
                    units=line.units,
                    gross_minor=figures["gross"],
                    net_minor=figures["net"],
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
            rejected=malformed,
        )


class LicensingMutations(graphene.ObjectType):
    create_agreement = CreateAgreement.field()
    update_agreement_status = UpdateAgreementStatus.field()
    review_product = ReviewProduct.field()
    close_period = ClosePeriod.field()
    submit_sales_report = SubmitSalesReport.field()
