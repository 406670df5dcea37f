"""What the loaders read: the visibility helper of each model, the one-to-many relations
paged per parent, the objects prefetched for a page, and the small lists below an object.
The loaders themselves (batching, the request's session, what is already loaded) are in
graphql_schema.loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, select

from catalog.film_status import showtimes_to_come
from catalog.image_models import Image, ProductImage
from catalog.models import (
    BundleComponent,
    BundleOffer,
    Cinema,
    Film,
    FilmTitle,
    Product,
    Screen,
    Showtime,
    Variant,
)
from graphql_schema import visibility as vis
from graphql_schema.records import columns
from licensing.accounts import Viewer
from licensing.artwork import ReviewArtwork
from licensing.label_models import LabelBatch
from licensing.merchants import MerchantContact
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementTerritory,
    AgreementTier,
    ApiToken,
    Merchant,
    ProductReview,
    RoyaltyStatement,
    SalesReport,
    SalesReportLine,
    StaffUser,
)
from licensing.webhooks import WebhookDelivery, WebhookSubscription
from orders.addresses import ShippingAddress
from orders.fulfilment_models import Fulfilment, FulfilmentLine, Shipment, ShipmentLine
from orders.models import Order, OrderLine
from orders.promotion_models import Campaign, CampaignFilm, PromoCode

Visible = Callable[[Viewer, datetime], Select[Any]]


def visible_images(viewer: Viewer, now: datetime) -> Select[Any]:
    """Images are no node: they are only reached below an object the viewer sees (a
    product's photos, a history entry's artwork, a film's poster), whose visibility gates them.
    """
    return select(Image)


VISIBLE: dict[type, Visible] = {
    Film: vis.visible_films,
    Cinema: vis.visible_cinemas,
    Showtime: vis.visible_showtimes,
    Screen: vis.visible_screens,
    BundleOffer: vis.visible_bundle_offers,
    Product: vis.visible_products,
    Variant: vis.visible_variants,
    Merchant: vis.visible_merchants,
    Agreement: vis.visible_agreements,
    RoyaltyStatement: vis.visible_statements,
    SalesReport: vis.visible_sales_reports,
    Order: vis.visible_orders,
    OrderLine: vis.visible_order_lines,
    ApiToken: vis.visible_api_tokens,
    ProductReview: vis.visible_product_reviews,
    Fulfilment: vis.visible_fulfilments,
    FulfilmentLine: vis.visible_fulfilment_lines,
    Shipment: vis.visible_shipments,
    WebhookSubscription: vis.visible_webhook_subscriptions,
    WebhookDelivery: vis.visible_webhook_deliveries,
    LabelBatch: vis.visible_label_batches,
    Campaign: vis.visible_campaigns,
    Image: visible_images,
}


def visible(model: type, viewer: Viewer, now: datetime) -> Select[Any]:
    """The visibility helper of `model` applied to `viewer`."""
    return VISIBLE[model](viewer, now)


@dataclass(frozen=True)
class Relation:
    """A one-to-many relation paged per parent: children of `model` whose `parent` is the key."""

    model: type
    parent: Any
    order_by: tuple[Any, ...]


RELATIONS: dict[str, Relation] = {
    "film.products": Relation(Product, Product.film_id, (Product.id,)),
    "film.showtimes": Relation(Showtime, Showtime.film_id, (Showtime.starts_at, Showtime.id)),
    "film.bundle_offers": Relation(
        BundleOffer, BundleOffer.film_id, (BundleOffer.valid_from, BundleOffer.id)
    ),
    "cinema.showtimes": Relation(Showtime, Showtime.cinema_id, (Showtime.starts_at, Showtime.id)),
    "merchant.products": Relation(Product, Product.merchant_id, (Product.id,)),
    "merchant.agreements": Relation(Agreement, Agreement.merchant_id, (Agreement.id,)),
    "agreement.products": Relation(Product, Product.agreement_id, (Product.id,)),
    "agreement.sales_reports": Relation(
        SalesReport,
        SalesReport.agreement_id,
        (SalesReport.period.desc(), SalesReport.version.desc(), SalesReport.id),
    ),
}


# model -> {field name on its GraphQL type: (model pointed to, foreign key attribute)}
PREFETCH: dict[type, dict[str, tuple[type, str]]] = {
    Product: {
        "merchant": (Merchant, "merchant_id"),
        "agreement": (Agreement, "agreement_id"),
        "film": (Film, "film_id"),
    },
    Showtime: {
        "film": (Film, "film_id"),
        "cinema": (Cinema, "cinema_id"),
        "screen": (Screen, "screen_id"),
    },
    BundleOffer: {"film": (Film, "film_id")},
    Agreement: {"merchant": (Merchant, "merchant_id")},
    SalesReport: {"agreement": (Agreement, "agreement_id")},
    ApiToken: {"merchant": (Merchant, "merchant_id")},
    LabelBatch: {"product": (Product, "product_id"), "merchant": (Merchant, "merchant_id")},
}


# the lists whose values are records of a model: their rows are (parent key, *columns(model))
LIST_OF: dict[str, type] = {
    "agreement.tiers": AgreementTier,
    "agreement.films": Film,
    "film.titles": FilmTitle,
    "bundle.components": BundleComponent,
    "order.lines": OrderLine,
    "report.lines": SalesReportLine,
    "product.history": ProductReview,
    "product.images": ProductImage,
    "review.artwork": ReviewArtwork,
    "product.variants": Variant,
    "fulfilment.lines": FulfilmentLine,
    "fulfilment.shipments": Shipment,
    "shipment.lines": ShipmentLine,
    "order.shipping_address": ShippingAddress,
    "cinema.screens": Screen,
    "merchant.contacts": MerchantContact,
    "campaign.films": Film,
    "campaign.promo_codes": PromoCode,
}


def list_queries(viewer: Viewer, now: datetime) -> dict[str, Callable[[list[Any]], Select[Any]]]:
    """Small bounded lists below an object: each query yields (parent key, value) rows, or
    (parent key, *columns) rows for the lists of LIST_OF."""
    upcoming = select(Showtime.film_id, literal(True)).where(showtimes_to_come(now)).distinct()
    return {
        "agreement.territories": lambda keys: (
            select(AgreementTerritory.agreement_id, AgreementTerritory.country)
            .where(AgreementTerritory.agreement_id.in_(keys))
            .order_by(AgreementTerritory.country)
        ),
        "agreement.channels": lambda keys: (
            select(AgreementChannel.agreement_id, AgreementChannel.channel)
            .where(AgreementChannel.agreement_id.in_(keys))
            .order_by(AgreementChannel.channel)
        ),
        "agreement.categories": lambda keys: (
            select(AgreementCategory.agreement_id, AgreementCategory.category)
            .where(AgreementCategory.agreement_id.in_(keys))
            .order_by(AgreementCategory.category)
        ),
        "agreement.tiers": lambda keys: (
            select(AgreementTier.agreement_id, *columns(AgreementTier))
            .where(AgreementTier.agreement_id.in_(keys))
            .order_by(AgreementTier.threshold_minor)
        ),
        "agreement.films": lambda keys: (
            select(AgreementFilm.agreement_id, *columns(Film))
            .join(Film, Film.id == AgreementFilm.film_id)
            .where(AgreementFilm.agreement_id.in_(keys))
            .order_by(Film.release_date, Film.id)
        ),
        "bundle.components": lambda keys: (
            select(BundleComponent.offer_id, *columns(BundleComponent))
            .where(BundleComponent.offer_id.in_(keys))
            .order_by(BundleComponent.position)
        ),
        "order.lines": lambda keys: (
            vis.visible_order_lines(viewer, now)
            .with_only_columns(OrderLine.order_id, *columns(OrderLine))
            .where(OrderLine.order_id.in_(keys))
            .order_by(OrderLine.id)
        ),
        "report.lines": lambda keys: (
            select(SalesReportLine.report_id, *columns(SalesReportLine))
            .where(SalesReportLine.report_id.in_(keys))
            .order_by(SalesReportLine.line_no)
        ),
        "product.history": lambda keys: (
            vis.visible_product_reviews(viewer, now)
            .with_only_columns(ProductReview.product_id, *columns(ProductReview))
            .where(ProductReview.product_id.in_(keys))
            .order_by(ProductReview.created_at, ProductReview.id)
        ),
        "product.images": lambda keys: (
            select(ProductImage.product_id, *columns(ProductImage))
            .where(ProductImage.product_id.in_(keys))
            .order_by(ProductImage.position)
        ),
        "review.artwork": lambda keys: (
            select(ReviewArtwork.review_id, *columns(ReviewArtwork))
            .where(ReviewArtwork.review_id.in_(keys))
            .order_by(ReviewArtwork.position)
        ),
        # a history actor's name: merchant:<id> → the merchant's, else the staff member's
        "actor.merchant_name": lambda keys: select(Merchant.id, Merchant.name).where(
            Merchant.id.in_(keys)
        ),
        "actor.staff_name": lambda keys: select(
            StaffUser.username,
            func.coalesce(func.nullif(StaffUser.display_name, ""), StaffUser.username),
        ).where(StaffUser.username.in_(keys)),
        "product.variants": lambda keys: (  # below a visible product only
            select(Variant.product_id, *columns(Variant))
            .where(Variant.product_id.in_(keys))
            .order_by(Variant.position, Variant.id)
        ),
        "film.upcoming": lambda keys: upcoming.where(Showtime.film_id.in_(keys)),
        "cinema.screens": lambda keys: (
            vis.visible_screens(viewer, now)
            .with_only_columns(Screen.cinema_id, *columns(Screen))
            .where(Screen.cinema_id.in_(keys))
            .order_by(Screen.name, Screen.id)
        ),
        "merchant.contacts": lambda keys: (
            vis.visible_merchant_contacts(viewer, now)
            .with_only_columns(MerchantContact.merchant_id, *columns(MerchantContact))
            .where(MerchantContact.merchant_id.in_(keys))
            .order_by(MerchantContact.position, MerchantContact.id)
        ),
        "film.titles": lambda keys: (  # below a visible film only
            select(FilmTitle.film_id, *columns(FilmTitle))
            .where(FilmTitle.film_id.in_(keys))
            .order_by(FilmTitle.language)
        ),
        "fulfilment.lines": lambda keys: (
            vis.visible_fulfilment_lines(viewer, now)
            .with_only_columns(FulfilmentLine.fulfilment_id, *columns(FulfilmentLine))
            .where(FulfilmentLine.fulfilment_id.in_(keys))
            .order_by(FulfilmentLine.id)
        ),
        "fulfilment.shipments": lambda keys: (
            vis.visible_shipments(viewer, now)
            .with_only_columns(Shipment.fulfilment_id, *columns(Shipment))
            .where(Shipment.fulfilment_id.in_(keys))
            .order_by(Shipment.shipped_at, Shipment.id)
        ),
        "order.shipping_address": lambda keys: (  # below a visible fulfilment only
            select(ShippingAddress.order_id, *columns(ShippingAddress)).where(
                ShippingAddress.order_id.in_(keys)
            )
        ),
        "campaign.films": lambda keys: (  # below a visible (staff) campaign only
            select(CampaignFilm.campaign_id, *columns(Film))
            .join(Film, Film.id == CampaignFilm.film_id)
            .where(CampaignFilm.campaign_id.in_(keys))
            .order_by(CampaignFilm.position)
        ),
        "campaign.promo_codes": lambda keys: (
            select(PromoCode.campaign_id, *columns(PromoCode))
            .where(PromoCode.campaign_id.in_(keys))
            .order_by(PromoCode.id)
        ),
        "shipment.lines": lambda keys: (  # below a visible shipment only
            select(ShipmentLine.shipment_id, *columns(ShipmentLine))
            .where(ShipmentLine.shipment_id.in_(keys))
            .order_by(ShipmentLine.id)
        ),
    }
