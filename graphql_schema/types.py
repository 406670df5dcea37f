"""The object types. Resolvers only read attributes or call the request's loaders; every
object reached through a loader has passed the visibility helper of its type."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import graphene

from catalog import models as cm
from graphql_schema import scalars as sc
from graphql_schema.relay import Node, child_page, connection, decode_pk, page_args, register
from graphql_schema.visibility import sees_merchant_private
from licensing import models as lm
from licensing.statements import StatementFigures
from orders import models as om


def _load(info: Any, model: type, pk: int | None) -> Any:
    """The object `pk` of `model` (None if not visible): from memory when this request has
    loaded it already, else through the request's loader."""
    return info.context.loaders.load(model, pk)


def _page(relation: str, what: str, conn: Any) -> graphene.Field:
    """A nested connection field paged per parent by a windowed, batched statement."""

    async def resolve(root: Any, info: Any, first: int, after: str | None = None) -> Any:
        return await child_page(info, relation, root.id, first, after)

    return graphene.Field(
        graphene.NonNull(conn), description=f"The {what}.", resolver=resolve, **page_args()
    )


class Film(graphene.ObjectType):
    """A film of the studio, whose IP partners license."""

    class Meta:
        interfaces = (Node,)

    slug = graphene.String(required=True, description="The film's unique URL name.")
    title = graphene.String(required=True, description="The title.")
    original_title = graphene.String(required=True, description="The original title, if any.")
    synopsis = graphene.String(required=True, description="A short synopsis.")
    release_date = graphene.Date(required=True, description="The cinema release date.")
    runtime_minutes = graphene.Int(required=True, description="Running time in minutes.")
    rating = graphene.String(required=True, description="The age rating, e.g. PG-13.")
    poster_url = graphene.String(required=True, description="The poster image URL.")
    status = graphene.Field(
        graphene.NonNull(sc.FilmStatus), description="Where the film stands in cinemas now."
    )
    products = _page("film.products", "licensed products of the film", lambda: ProductConnection)
    showtimes = _page("film.showtimes", "showtimes of the film", lambda: ShowtimeConnection)
    bundle_offers = _page(
        "film.bundle_offers", "bundle offers of the film", lambda: BundleOfferConnection
    )

    @staticmethod
    async def resolve_status(root: cm.Film, info: Any) -> str:
        if root.release_date > info.context.now.date():
            return sc.FilmStatus.COMING_SOON.value
        upcoming = await info.context.loaders.list("film.upcoming").load(root.id)
        return sc.FilmStatus.NOW_SHOWING.value if upcoming else sc.FilmStatus.OUT_OF_CINEMAS.value


class Cinema(graphene.ObjectType):
    """A cinema that screens showtimes."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="The cinema's name.")
    city = graphene.String(required=True, description="The city.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    showtimes = _page("cinema.showtimes", "showtimes here", lambda: ShowtimeConnection)


class Showtime(graphene.ObjectType):
    """A screening of a film at a cinema."""

    class Meta:
        interfaces = (Node,)

    film = graphene.Field(graphene.NonNull(Film), description="The film screened.")
    cinema = graphene.Field(graphene.NonNull(Cinema), description="Where.")
    starts_at = graphene.DateTime(required=True, description="When it starts (UTC).")
    capacity = graphene.Int(required=True, description="Seats in total.")
    seats_left = graphene.Int(required=True, description="Seats neither sold nor held.")
    price = graphene.Field(graphene.NonNull(sc.Money), description="The ticket price.")

    @staticmethod
    def resolve_film(root: cm.Showtime, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_cinema(root: cm.Showtime, info: Any) -> Any:
        return _load(info, cm.Cinema, root.cinema_id)

    @staticmethod
    def resolve_price(root: cm.Showtime, info: Any) -> Any:
        return sc.money(root.price_minor, root.currency)


class Merchant(graphene.ObjectType):
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
    products = _page("merchant.products", "merchant's products", lambda: ProductConnection)
    agreements = _page("merchant.agreements", "merchant's agreements", lambda: AgreementConnection)

    @staticmethod
    def resolve_contact_email(root: lm.Merchant, info: Any) -> str | None:
        return root.contact_email if sees_merchant_private(info.context.viewer, root.id) else None


class ProductReview(graphene.ObjectType):
    """One step of a product's approval history: a submission or a review."""

    action = graphene.Field(graphene.NonNull(sc.ReviewAction), description="What was done.")
    from_stage = graphene.Field(graphene.NonNull(sc.ApprovalStage), description="The stage before.")
    to_stage = graphene.Field(graphene.NonNull(sc.ApprovalStage), description="The stage after.")
    actor = graphene.String(required=True, description="Who did it.")
    comment = graphene.String(required=True, description="The comment given.")
    created_at = graphene.DateTime(required=True, description="When.")


class RoyaltyTier(graphene.ObjectType):
    """A rate that applies once the contract year's cumulative net reaches a threshold."""

    threshold = graphene.Field(graphene.NonNull(sc.Money), description="Cumulative net sales.")
    rate_bps = graphene.Int(required=True, description="The rate in basis points.")


class Agreement(graphene.ObjectType):
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
    products = _page("agreement.products", "products under it", lambda: ProductConnection)
    sales_reports = _page(
        "agreement.sales_reports", "sales reports, newest first", lambda: SalesReportConnection
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


class Product(graphene.ObjectType):
    """A licensed product of one merchant, under one agreement, for one film."""

    class Meta:
        interfaces = (Node,)

    sku = graphene.String(required=True, description="The unique stock-keeping unit.")
    name = graphene.String(required=True, description="The product name.")
    description = graphene.String(required=True, description="A description for shoppers.")
    category = graphene.Field(graphene.NonNull(sc.Category), description="Its category.")
    price = graphene.Field(graphene.NonNull(sc.Money), description="The unit price.")
    stock = graphene.Int(description="Units in stock; null unless you are staff or its merchant.")
    in_stock = graphene.Boolean(required=True, description="Whether at least one unit is left.")
    approval_stage = graphene.Field(
        graphene.NonNull(sc.ApprovalStage), description="Where it stands in approval."
    )
    image_url = graphene.String(required=True, description="The product image URL.")
    film = graphene.Field(graphene.NonNull(Film), description="The film it is licensed from.")
    merchant = graphene.Field(graphene.NonNull(Merchant), description="Who makes and sells it.")
    agreement = graphene.Field(
        Agreement, description="The agreement it is sold under; null unless you may see it."
    )
    history = graphene.List(
        graphene.NonNull(ProductReview),
        required=True,
        description="Submissions and reviews, oldest first (its merchant and staff only).",
    )
    created_at = graphene.DateTime(required=True, description="When it was created.")
    updated_at = graphene.DateTime(required=True, description="When it last changed.")

    @staticmethod
    def resolve_price(root: cm.Product, info: Any) -> Any:
        return sc.money(root.price_minor, root.currency)

    @staticmethod
    def resolve_stock(root: cm.Product, info: Any) -> int | None:
        return root.stock if sees_merchant_private(info.context.viewer, root.merchant_id) else None

    @staticmethod
    def resolve_in_stock(root: cm.Product, info: Any) -> bool:
        return root.stock > 0

    @staticmethod
    def resolve_film(root: cm.Product, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_merchant(root: cm.Product, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)

    @staticmethod
    def resolve_agreement(root: cm.Product, info: Any) -> Any:
        return _load(info, lm.Agreement, root.agreement_id)

    @staticmethod
    def resolve_history(root: cm.Product, info: Any) -> Any:
        return info.context.loaders.list("product.history").load(root.id)


class BundleComponent(graphene.ObjectType):
    """A fixed merch part of a bundle offer."""

    position = graphene.Int(required=True, description="Its place in the bundle, from 1.")
    product = graphene.Field(Product, description="The product; null unless you may see it.")
    qty = graphene.Int(required=True, description="Units of the product per bundle.")

    @staticmethod
    def resolve_product(root: cm.BundleComponent, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)


class BundleAvailability(graphene.ObjectType):
    """How many bundles can be bought for one showtime, and when none, why."""

    available = graphene.Int(required=True, description="Bundles that can be bought now.")
    refusal = graphene.String(description="Why none can be bought: a stable code.")
    message = graphene.String(description="Why none can be bought, in plain words.")


class BundleOffer(graphene.ObjectType):
    """A film's ticket-plus-merch offer: one ticket of a chosen showtime plus fixed merch."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The unique offer code.")
    name = graphene.String(required=True, description="The offer's name.")
    description = graphene.String(required=True, description="A description for shoppers.")
    price = graphene.Field(graphene.NonNull(sc.Money), description="The bundle price.")
    valid_from = graphene.DateTime(required=True, description="When it can first be bought.")
    valid_to = graphene.DateTime(required=True, description="When it stops being sold.")
    per_order_limit = graphene.Int(required=True, description="Bundles per order at most.")
    film = graphene.Field(graphene.NonNull(Film), description="The film of the ticket.")
    components = graphene.List(
        graphene.NonNull(BundleComponent), required=True, description="The merch parts."
    )

    @staticmethod
    def resolve_price(root: cm.BundleOffer, info: Any) -> Any:
        return sc.money(root.price_minor, root.currency)

    @staticmethod
    def resolve_film(root: cm.BundleOffer, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    availability = graphene.Field(
        BundleAvailability,
        showtime_id=graphene.ID(required=True, description="A showtime of the offer's film."),
        description="Availability for one showtime: the fewest of its free seats and each "
        "component's stock per bundle; null when the showtime does not exist.",
    )

    @staticmethod
    def resolve_components(root: cm.BundleOffer, info: Any) -> Any:
        return info.context.loaders.list("bundle.components").load(root.id)

    @staticmethod
    def resolve_availability(root: cm.BundleOffer, info: Any, showtime_id: str) -> Any:
        showtime = decode_pk(showtime_id, "Showtime")
        if showtime is None:
            return None
        return info.context.loaders.availability().load((root.id, showtime))


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


class RoyaltyStatement(graphene.ObjectType):
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
    royalty_earned = graphene.Field(
        graphene.NonNull(sc.Money),
        description="Royalty earned in the period (exact sum rounded half-up).",
        resolver=_statement_money("royalty_earned_minor"),
    )
    cumulative_earned = graphene.Field(
        graphene.NonNull(sc.Money),
        description="Royalty earned in every period of the agreement up to this one.",
        resolver=_statement_money("cumulative_earned_minor"),
    )
    advance = graphene.Field(
        graphene.NonNull(sc.Money),
        description="The agreement's advance.",
        resolver=_statement_money("advance_minor"),
    )
    advance_recouped = graphene.Field(
        graphene.NonNull(sc.Money),
        description="The part of the advance recouped in this period.",
        resolver=_statement_money("advance_recouped_minor"),
    )
    royalty_payable = graphene.Field(
        graphene.NonNull(sc.Money),
        description="Payable for the period; negative is a credit after net refunds.",
        resolver=_statement_money("royalty_payable_minor"),
    )
    minimum_guarantee = graphene.Field(
        graphene.NonNull(sc.Money),
        description="The agreement's minimum guarantee for the whole term.",
        resolver=_statement_money("minimum_guarantee_minor"),
    )
    mg_shortfall = graphene.Field(
        graphene.NonNull(sc.Money),
        description="Minimum-guarantee shortfall, on the period that holds the end date.",
        resolver=_statement_money("mg_shortfall_minor"),
    )
    has_adjustments = graphene.Boolean(
        required=True, description="Whether it holds prior-period adjustments."
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


class SalesReport(graphene.ObjectType):
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


class OrderLine(graphene.ObjectType):
    """A product, ticket or bundle line of an order."""

    class Meta:
        interfaces = (Node,)

    kind = graphene.Field(graphene.NonNull(sc.LineKind), description="What the line sells.")
    description = graphene.String(required=True, description="What the shopper saw.")
    quantity = graphene.Int(required=True, description="Units, tickets or bundles.")
    refunded_quantity = graphene.Int(required=True, description="How many were refunded.")
    unit_price = graphene.Field(graphene.NonNull(sc.Money), description="The unit price.")
    total = graphene.Field(graphene.NonNull(sc.Money), description="The line total.")
    product = graphene.Field(Product, description="The product of a product line.")
    showtime = graphene.Field(Showtime, description="The showtime of a ticket or bundle line.")
    bundle_offer = graphene.Field(BundleOffer, description="The offer of a bundle line.")

    @staticmethod
    async def resolve_unit_price(root: om.OrderLine, info: Any) -> Any:
        return sc.money(root.unit_price_minor, await _order_currency(info, root))

    @staticmethod
    async def resolve_total(root: om.OrderLine, info: Any) -> Any:
        return sc.money(root.total_minor, await _order_currency(info, root))

    @staticmethod
    def resolve_product(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.Product, root.product_id)

    @staticmethod
    def resolve_showtime(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.Showtime, root.showtime_id)

    @staticmethod
    def resolve_bundle_offer(root: om.OrderLine, info: Any) -> Any:
        return _load(info, cm.BundleOffer, root.bundle_offer_id)


async def _order_currency(info: Any, line: om.OrderLine) -> str:
    order = await info.context.loaders.get(om.Order, line.order_id)
    return order.currency


class Order(graphene.ObjectType):
    """A shopper's order. Merchants see only their own lines and never the shopper's email."""

    class Meta:
        interfaces = (Node,)

    number = graphene.String(required=True, description="The order number.")
    email = graphene.String(description="The shopper's email; staff only.")
    country = graphene.String(required=True, description="The shipping (or cinema) country.")
    currency = graphene.String(required=True, description="The order's currency.")
    status = graphene.Field(graphene.NonNull(sc.OrderStatus), description="The status.")
    total = graphene.Field(sc.Money, description="The order total; staff only.")
    refunded = graphene.Field(sc.Money, description="How much was refunded; staff only.")
    created_at = graphene.DateTime(required=True, description="When it was placed.")
    paid_at = graphene.DateTime(description="When it was paid.")
    lines = graphene.List(
        graphene.NonNull(OrderLine),
        required=True,
        description="The lines you may see (a merchant: its own lines only).",
    )

    @staticmethod
    def resolve_email(root: om.Order, info: Any) -> str | None:
        return root.email if info.context.viewer.is_staff else None

    @staticmethod
    def resolve_total(root: om.Order, info: Any) -> Any:
        return sc.money(root.total_minor, root.currency) if info.context.viewer.is_staff else None

    @staticmethod
    def resolve_refunded(root: om.Order, info: Any) -> Any:
        if not info.context.viewer.is_staff:
            return None
        return sc.money(root.refunded_minor, root.currency)

    @staticmethod
    def resolve_lines(root: om.Order, info: Any) -> Any:
        return info.context.loaders.list("order.lines").load(root.id)


class ApiToken(graphene.ObjectType):
    """A GraphQL API token. Only its hash is stored; the secret is shown once, at issue."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="A label for the token.")
    prefix = graphene.String(required=True, description="The first characters of the secret.")
    merchant = graphene.Field(Merchant, description="The merchant it acts for, if any.")
    created_at = graphene.DateTime(required=True, description="When it was issued.")
    last_used_at = graphene.DateTime(description="When it was last used.")
    revoked_at = graphene.DateTime(description="When it was revoked; null while it works.")

    @staticmethod
    def resolve_merchant(root: lm.ApiToken, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)


# Connections and the nested connection fields that need them (declared after the types).
FilmConnection = connection(Film, "films")
CinemaConnection = connection(Cinema, "cinemas")
ShowtimeConnection = connection(Showtime, "showtimes")
ProductConnection = connection(Product, "products")
BundleOfferConnection = connection(BundleOffer, "bundle offers")
MerchantConnection = connection(Merchant, "merchants")
AgreementConnection = connection(Agreement, "agreements")
RoyaltyStatementConnection = connection(RoyaltyStatement, "royalty statements")
SalesReportConnection = connection(SalesReport, "sales reports")
OrderConnection = connection(Order, "orders")

for _model, _type in (
    (cm.Film, Film),
    (cm.Cinema, Cinema),
    (cm.Showtime, Showtime),
    (cm.Product, Product),
    (cm.BundleOffer, BundleOffer),
    (lm.Merchant, Merchant),
    (lm.Agreement, Agreement),
    (StatementView, RoyaltyStatement),
    (lm.SalesReport, SalesReport),
    (om.Order, Order),
    (om.OrderLine, OrderLine),
    (lm.ApiToken, ApiToken),
):
    register(_model, _type)


class RoyaltyReportRow(graphene.ObjectType):
    """One group of the royalty report; the fields of groups not asked for are null."""

    currency = graphene.String(required=True, description="The currency of the group.")
    entries = graphene.Int(required=True, description="Ledger entries in the group.")
    units = graphene.Int(required=True, description="Units, net of refunds.")
    net = graphene.Field(graphene.NonNull(sc.Money), description="Net sales.")
    royalty = graphene.Field(
        graphene.NonNull(sc.Money), description="Royalty, the exact sum rounded half-up."
    )
    royalty_exact = graphene.String(
        required=True, description="The exact royalty in minor units, as a decimal string."
    )
    film = graphene.Field(Film, description="The film (grouped by FILM).")
    merchant = graphene.Field(Merchant, description="The merchant (grouped by MERCHANT).")
    territory = graphene.String(description="The territory (grouped by TERRITORY).")
    channel = graphene.Field(sc.Channel, description="The channel (grouped by CHANNEL).")

    @staticmethod
    def resolve_net(root: Any, info: Any) -> Any:
        return sc.money(root.net_minor, root.currency)

    @staticmethod
    def resolve_royalty(root: Any, info: Any) -> Any:
        return sc.money(root.royalty_minor, root.currency)

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
    net = graphene.Field(
        graphene.NonNull(sc.Money), description="Net merch sales on tiein's own channels."
    )
    royalty = graphene.Field(
        graphene.NonNull(sc.Money), description="Royalty earned on every channel (rounded)."
    )

    @staticmethod
    def resolve_net(root: Any, info: Any) -> Any:
        return sc.money(root.net_minor, root.currency)

    @staticmethod
    def resolve_royalty(root: Any, info: Any) -> Any:
        return sc.money(root.royalty_minor, root.currency)


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

    @staticmethod
    def resolve_film(root: Any, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_merch_attach_rate(root: Any, info: Any) -> str:
        return str(root.merch_attach_rate)
