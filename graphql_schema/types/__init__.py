"""The object types, one module per domain. Resolvers only read attributes or call the
request's loaders; every object reached through a loader has passed the visibility helper
of its type."""

from __future__ import annotations

from catalog import models as cm
from graphql_schema.relay import connection, register
from graphql_schema.types.bundles import BundleAvailability, BundleComponent, BundleOffer
from graphql_schema.types.catalog import (
    Cinema,
    Film,
    Product,
    ProductReview,
    Screen,
    Showtime,
)
from graphql_schema.types.licensing import (
    Agreement,
    ApiToken,
    CommerceAmounts,
    FilmCommerceRow,
    Merchant,
    RoyaltyReportRow,
    RoyaltyStatement,
    RoyaltyTier,
    SalesReport,
    SalesReportLine,
    StatementView,
    statement_key,
)
from graphql_schema.types.orders import Order, OrderLine
from graphql_schema.types.promotions import Campaign, FilmCampaignRow
from graphql_schema.types.variants import OptionValue, Variant
from licensing import models as lm
from orders import models as om

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
ApiTokenConnection = connection(ApiToken, "API tokens")

for _model, _type in (
    (cm.Film, Film),
    (cm.Cinema, Cinema),
    (cm.Showtime, Showtime),
    (cm.Screen, Screen),
    (cm.Product, Product),
    (cm.BundleOffer, BundleOffer),
    (lm.Merchant, Merchant),
    (lm.Agreement, Agreement),
    (StatementView, RoyaltyStatement),
    (lm.SalesReport, SalesReport),
    (om.Order, Order),
    (om.OrderLine, OrderLine),
    (lm.ApiToken, ApiToken),
    (cm.Variant, Variant),
):
    register(_model, _type)

__all__ = [
    "Agreement", "AgreementConnection", "ApiToken", "ApiTokenConnection", "BundleAvailability",
    "BundleComponent", "BundleOffer", "BundleOfferConnection", "Campaign", "Cinema",
    "CinemaConnection",
    "CommerceAmounts", "Film", "FilmCampaignRow", "FilmCommerceRow", "FilmConnection", "Merchant",
    "MerchantConnection", "OptionValue", "Order", "OrderConnection", "OrderLine", "Product",
    "ProductConnection",
    "ProductReview", "RoyaltyReportRow", "RoyaltyStatement", "RoyaltyStatementConnection",
    "RoyaltyTier", "SalesReport", "SalesReportConnection", "SalesReportLine", "Screen", "Showtime",
    "ShowtimeConnection", "StatementView", "Variant", "statement_key",
]  # fmt: skip
