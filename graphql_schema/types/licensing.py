"""Licensing types: merchants, agreements, statements, sales reports, tokens, reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import graphene

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema.documents import DOCUMENT_URL, resolve_document_url
from graphql_schema.relay import Node
from graphql_schema.types.base import NodeObject, _lazy, _load, _page
from graphql_schema.types.catalog import Film, Product
from graphql_schema.types.merchants import contacts_field, resolve_contacts
from graphql_schema.visibility import sees_merchant_private
from licensing import models as lm
from licensing.accounts import ALL_SCOPES, scopes_of
from licensing.statements import StatementFigures


class Merchant(NodeObject):
    """A licensee partner that makes and sells licensed products."""

    class Meta:
        interfaces = (Node,)

    slug = graphene.String(required=True, description="The merchant's unique short name.")
    name = graphene.String(required=True, description="The merchant's name.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    contact_email = graphene.String(
        description="The contact email; null unless you are staff or this merchant."
    )
    created_at = graphene.DateTime(required=True, description="When the partner was added.")
    contacts, resolve_contacts = contacts_field(), staticmethod(resolve_contacts)
    products = _page("merchant.products", "merchant's products", _lazy("ProductConnection"))
    agreements = _page("merchant.agreements", "merchant's agreements", _lazy("AgreementConnection"))

    @staticmethod
    def resolve_contact_email(root: lm.Merchant, info: Any) -> str | None:
        return root.contact_email if sees_merchant_private(info.context.viewer, root.id) else None


class RoyaltyTier(graphene.ObjectType):
    """A rate that applies once the contract year's cumulative net reaches a threshold."""

    threshold = graphene.Field(graphene.NonNull(sc.Money), description="Cumulative net sales.")
    rate_bps = graphene.Int(required=True, description="The rate in basis points.")


class Agreement(NodeObject):
    """A license agreement between the studio and one merchant."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The agreement code, e.g. LA-2026-0042.")
    merchant = graphene.Field(graphene.NonNull(Merchant), description="The licensee.")
    status = graphene.Field(graphene.NonNull(sc.AgreementStatus), description="The status.")
    start_date = graphene.Date(required=True, description="First day of the term.")
    end_date = graphene.Date(required=True, description="Last day of the term.")
    sell_off_days = graphene.Int(required=True, description="Days of sell-off after the end.")
    currency = graphene.String(required=True, description="The currency of all its amounts.")
    rate_bps = graphene.Int(required=True, description="The royalty rate in basis points.")
    bundle_rate_bps = graphene.Int(
        description="The rate for the bundle channel, when it differs (basis points)."
    )
    per_unit_minimum = graphene.Field(
        sc.Money, description="The minimum royalty per unit, when set."
    )
    advance = graphene.Field(graphene.NonNull(sc.Money), description="The advance paid.")
    minimum_guarantee = graphene.Field(
        graphene.NonNull(sc.Money), description="The minimum guarantee for the whole term."
    )
    films = graphene.List(
        graphene.NonNull(Film), required=True, description="The films the agreement covers."
    )
    territories = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="The licensed territories (ISO 3166-1 alpha-2).",
    )
    channels = graphene.List(
        graphene.NonNull(sc.Channel), required=True, description="The granted channels."
    )
    categories = graphene.List(
        graphene.NonNull(sc.Category), required=True, description="The allowed categories."
    )
    tiers = graphene.List(
        graphene.NonNull(RoyaltyTier), required=True, description="Rate tiers, ascending."
    )
    created_at = graphene.DateTime(required=True, description="When it was recorded.")
    products = _page("agreement.products", "products under it", _lazy("ProductConnection"))
    sales_reports = _page(
        "agreement.sales_reports", "sales reports, newest first", _lazy("SalesReportConnection")
    )

    @staticmethod
    def resolve_merchant(root: lm.Agreement, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)

    @staticmethod
    def resolve_per_unit_minimum(root: lm.Agreement, info: Any) -> Any:
        return sc.money(root.per_unit_min_minor, root.currency)

    @staticmethod
    def resolve_advance(root: lm.Agreement, info: Any) -> Any:
        return sc.money(root.advance_minor, root.currency)

    @staticmethod
    def resolve_minimum_guarantee(root: lm.Agreement, info: Any) -> Any:
        return sc.money(root.minimum_guarantee_minor, root.currency)

    @staticmethod
    def resolve_films(root: lm.Agreement, info: Any) -> Any:
        return info.context.loaders.list("agreement.films").load(root.id)

    @staticmethod
    def resolve_territories(root: lm.Agreement, info: Any) -> Any:
        return info.context.loaders.list("agreement.territories").load(root.id)

    @staticmethod
    def resolve_channels(root: lm.Agreement, info: Any) -> Any:
        return info.context.loaders.list("agreement.channels").load(root.id)

    @staticmethod
    def resolve_categories(root: lm.Agreement, info: Any) -> Any:
        return info.context.loaders.list("agreement.categories").load(root.id)

    @staticmethod
    async def resolve_tiers(root: lm.Agreement, info: Any) -> Any:
        tiers = await info.context.loaders.list("agreement.tiers").load(root.id)
        return [
            {"threshold": sc.money(t.threshold_minor, root.currency), "rate_bps": t.rate_bps}
            for t in tiers
        ]


@dataclass(frozen=True)
class StatementView:
    """A statement's figures with the composite id `<agreement id>.<period>`."""

    figures: StatementFigures

    @property
    def id(self) -> str:
        return statement_key(self.figures.agreement_id, self.figures.period)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.figures, name)


def statement_key(agreement_id: int, period: str) -> str:
    return f"{agreement_id}.{period}"


def _statement_money(attr: str) -> Any:
    def resolve(root: StatementView, info: Any) -> Any:
        return sc.money(getattr(root.figures, attr), root.figures.currency)

    return resolve


def _statement_field(attr: str, description: str) -> graphene.Field:
    return graphene.Field(
        graphene.NonNull(sc.Money), description=description, resolver=_statement_money(attr)
    )


class RoyaltyStatement(NodeObject):
    """The royalty statement of one agreement for one period (SPEC §4), in the agreement's
    currency. Frozen once the period is closed; live figures until then."""

    class Meta:
        interfaces = (Node,)

    agreement = graphene.Field(graphene.NonNull(Agreement), description="The agreement.")
    period = graphene.String(required=True, description="The period, e.g. 2026-Q3.")
    currency = graphene.String(required=True, description="The currency of every amount.")
    frozen = graphene.Boolean(
        required=True, description="Whether the period is closed and these figures final."
    )
    frozen_at = graphene.DateTime(description="When the period was closed.")
    units = graphene.Int(required=True, description="Units sold in the period, net of refunds.")
    net_sales = graphene.Field(graphene.NonNull(sc.Money), description="Net sales.")
    royalty_exact = graphene.String(
        required=True,
        description="The exact (unrounded) royalty in minor units, as a decimal string.",
    )
    royalty_earned = _statement_field(
        "royalty_earned_minor", "Royalty earned in the period (exact sum rounded half-up)."
    )
    cumulative_earned = _statement_field(
        "cumulative_earned_minor", "Royalty earned in every period of the agreement up to this one."
    )
    advance = _statement_field("advance_minor", "The agreement's advance.")
    advance_recouped = _statement_field(
        "advance_recouped_minor", "The part of the advance recouped in this period."
    )
    royalty_payable = _statement_field(
        "royalty_payable_minor", "Payable for the period; negative is a credit after net refunds."
    )
    minimum_guarantee = _statement_field(
        "minimum_guarantee_minor", "The agreement's minimum guarantee for the whole term."
    )
    mg_shortfall = _statement_field(
        "mg_shortfall_minor", "Minimum-guarantee shortfall, on the period that holds the end date."
    )
    has_adjustments = graphene.Boolean(
        required=True, description="Whether it holds prior-period adjustments."
    )
    document_url = graphene.String(
        required=True, description=DOCUMENT_URL, resolver=resolve_document_url
    )

    @staticmethod
    def resolve_agreement(root: StatementView, info: Any) -> Any:
        return _load(info, lm.Agreement, root.figures.agreement_id)

    @staticmethod
    def resolve_net_sales(root: StatementView, info: Any) -> Any:
        return sc.money(root.figures.net_sales_minor, root.figures.currency)

    @staticmethod
    def resolve_royalty_exact(root: StatementView, info: Any) -> str:
        return str(root.figures.royalty_exact)


class SalesReportLine(graphene.ObjectType):
    """One line of a licensee sales report."""

    line_no = graphene.Int(required=True, description="The line number, from 1.")
    sku = graphene.String(required=True, description="The SKU reported.")
    product = graphene.Field(Product, description="The product of that SKU.")
    territory = graphene.String(required=True, description="Where the units were sold.")
    units = graphene.Int(required=True, description="Units sold.")
    gross = graphene.Field(graphene.NonNull(sc.Money), description="Gross sales.")
    net = graphene.Field(graphene.NonNull(sc.Money), description="Net sales.")

    @staticmethod
    def resolve_product(root: lm.SalesReportLine, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)

    @staticmethod
    async def resolve_gross(root: lm.SalesReportLine, info: Any) -> Any:
        return sc.money(root.gross_minor, await _report_currency(info, root))

    @staticmethod
    async def resolve_net(root: lm.SalesReportLine, info: Any) -> Any:
        return sc.money(root.net_minor, await _report_currency(info, root))


async def _report_currency(info: Any, line: lm.SalesReportLine) -> str:
    report = await info.context.loaders.get(lm.SalesReport, line.report_id)
    agreement = await info.context.loaders.get(lm.Agreement, report.agreement_id)
    return agreement.currency


class SalesReport(NodeObject):
    """A licensee's report of its own sales for one agreement and period."""

    class Meta:
        interfaces = (Node,)

    agreement = graphene.Field(graphene.NonNull(Agreement), description="The agreement.")
    period = graphene.String(required=True, description="The period, e.g. 2026-Q3.")
    version = graphene.Int(required=True, description="1, then 2, 3… for amendments.")
    submitted_at = graphene.DateTime(required=True, description="When it was submitted.")
    submitted_by = graphene.String(required=True, description="Who submitted it.")
    lines = graphene.List(
        graphene.NonNull(SalesReportLine), required=True, description="The report's lines."
    )

    @staticmethod
    def resolve_agreement(root: lm.SalesReport, info: Any) -> Any:
        return _load(info, lm.Agreement, root.agreement_id)

    @staticmethod
    def resolve_lines(root: lm.SalesReport, info: Any) -> Any:
        return info.context.loaders.list("report.lines").load(root.id)


class ApiToken(NodeObject):
    """A GraphQL API token. Only its hash is stored; the secret is shown once, at issue."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="A label for the token.")
    prefix = graphene.String(required=True, description="The first characters of the secret.")
    merchant = graphene.Field(Merchant, description="The merchant it acts for, if any.")
    created_at = graphene.DateTime(required=True, description="When it was issued.")
    last_used_at = graphene.DateTime(description="When it was last used.")
    revoked_at = graphene.DateTime(description="When it was revoked; null while it works.")
    scopes = graphene.List(
        graphene.NonNull(sc.TokenScope),
        required=True,
        description="What it may do (a staff token: every scope).",
    )

    @staticmethod
    def resolve_merchant(root: lm.ApiToken, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)

    @staticmethod
    def resolve_scopes(root: lm.ApiToken, info: Any) -> list[lm.TokenScope]:
        held = ALL_SCOPES if root.staff_user_id is not None else scopes_of(root.scopes)
        return [scope for scope in lm.TokenScope if scope in held]


class RoyaltyReportRow(graphene.ObjectType):
    """One group of the royalty report; the fields of groups not asked for are null."""

    currency = graphene.String(required=True, description="The currency of the group.")
    entries = graphene.Int(required=True, description="Ledger entries in the group.")
    units = graphene.Int(required=True, description="Units, net of refunds.")
    net = sc.money_field("Net sales.", "net_minor")
    royalty = sc.money_field("Royalty, the exact sum rounded half-up.", "royalty_minor")
    royalty_exact = graphene.String(
        required=True, description="The exact royalty in minor units, as a decimal string."
    )
    film = graphene.Field(Film, description="The film (grouped by FILM).")
    merchant = graphene.Field(Merchant, description="The merchant (grouped by MERCHANT).")
    territory = graphene.String(description="The territory (grouped by TERRITORY).")
    channel = graphene.Field(sc.Channel, description="The channel (grouped by CHANNEL).")

    @staticmethod
    def resolve_royalty_exact(root: Any, info: Any) -> str:
        return str(Decimal(root.royalty_micros) / lm.ROYALTY_SCALE)

    @staticmethod
    def resolve_film(root: Any, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_merchant(root: Any, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)


class CommerceAmounts(graphene.ObjectType):
    """Merch money of a film in one currency."""

    currency = graphene.String(required=True, description="The currency.")
    net = sc.money_field("Net merch sales on tiein's own channels.", "net_minor")
    royalty = sc.money_field("Royalty earned on every channel (rounded).", "royalty_minor")


class FilmCommerceRow(graphene.ObjectType):
    """What one film sold in a period on tiein's own channels, and what its merch earned."""

    film = graphene.Field(graphene.NonNull(Film), description="The film.")
    tickets_sold = graphene.Int(required=True, description="Tickets of paid orders, kept.")
    bundles_sold = graphene.Int(required=True, description="Bundles of paid orders, kept.")
    ticket_orders = graphene.Int(required=True, description="Orders with a ticket of the film.")
    ticket_orders_with_merch = graphene.Int(
        required=True, description="Of those, orders that also bought merch."
    )
    merch_attach_rate = graphene.String(
        required=True, description="The share of ticket orders with merch (decimal string)."
    )
    merch_units = graphene.Int(required=True, description="Licensed merch units sold.")
    money = graphene.List(
        graphene.NonNull(CommerceAmounts), required=True, description="Amounts by currency."
    )
    by_campaign = graphene.List(
        graphene.NonNull(_lazy("FilmCampaignRow")), required=True, description="By campaign."
    )

    @staticmethod
    def resolve_film(root: Any, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_merch_attach_rate(root: Any, info: Any) -> str:
        return str(root.merch_attach_rate)
