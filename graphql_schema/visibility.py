"""Who may see what: ONE query helper per type, used by lists, `node`, nested fields,
loaders and mutations alike (DESIGN.md §2).

- Public (no token): films (not archived ones), cinemas and their screens, showtimes and
  current bundle offers of those films, and only the products that are sellable now in some
  licensed territory through a shopper channel (the one rule,
  `licensing.sellable.sellable_clause`; checkout checks the buyer's country) and their
  merchants.
- A merchant: its own merchant record, agreements, products (every stage), tokens, the orders
  that hold its lines (and only its lines), sales reports and statements. Nothing of another
  merchant: such an id is "not found", exactly like an id that does not exist.
- Staff: everything.

Each helper returns a `Select` of the model, so callers add their own filters and order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, false, or_, select

from catalog.film_status import film_not_archived
from catalog.models import BundleOffer, Cinema, Film, Product, Screen, Showtime, Variant
from licensing.accounts import Viewer
from licensing.label_models import LabelBatch
from licensing.merchants import MerchantContact
from licensing.models import (
    Agreement,
    ApiToken,
    Merchant,
    ProductReview,
    RoyaltyStatement,
    SalesReport,
)
from licensing.sellable import SHOPPER_CHANNELS, sellable_clause
from licensing.webhooks import WebhookDelivery, WebhookSubscription
from orders.fulfilment_models import Fulfilment, FulfilmentLine, Shipment
from orders.models import BundleAllocation, Order, OrderLine
from orders.promotion_models import Campaign


def _public_film_ids() -> Select[Any]:
    return select(Film.id).where(film_not_archived())


def visible_films(viewer: Viewer, now: datetime) -> Select[tuple[Film]]:
    """The public never sees an archived film; merchants and staff do (a merchant's products
    of it stay its own)."""
    stmt = select(Film)
    if viewer.is_anonymous:
        stmt = stmt.where(film_not_archived())
    return stmt


def visible_cinemas(viewer: Viewer, now: datetime) -> Select[tuple[Cinema]]:
    return select(Cinema)


def visible_screens(viewer: Viewer, now: datetime) -> Select[tuple[Screen]]:
    return select(Screen)


def visible_showtimes(viewer: Viewer, now: datetime) -> Select[tuple[Showtime]]:
    """The public sees no showtime of an archived film."""
    stmt = select(Showtime)
    if viewer.is_anonymous:
        stmt = stmt.where(Showtime.film_id.in_(_public_film_ids()))
    return stmt


def visible_bundle_offers(viewer: Viewer, now: datetime) -> Select[tuple[BundleOffer]]:
    """Everyone sees current and coming offers; signed-in callers also see ended ones. The
    public sees no offer of an archived film."""
    stmt = select(BundleOffer)
    if viewer.is_anonymous:
        stmt = stmt.where(BundleOffer.valid_to > now, BundleOffer.film_id.in_(_public_film_ids()))
    return stmt


def visible_products(viewer: Viewer, now: datetime) -> Select[tuple[Product]]:
    stmt = select(Product)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(Product.merchant_id == viewer.merchant_id)
    return stmt.where(sellable_clause(now.date(), channels=SHOPPER_CHANNELS))


def visible_variants(viewer: Viewer, now: datetime) -> Select[tuple[Variant]]:
    """A variant is seen by whoever sees its product."""
    stmt = select(Variant)
    if viewer.is_staff:
        return stmt
    products = visible_products(viewer, now).with_only_columns(Product.id)
    return stmt.where(Variant.product_id.in_(products))


def visible_merchants(viewer: Viewer, now: datetime) -> Select[tuple[Merchant]]:
    stmt = select(Merchant)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(Merchant.id == viewer.merchant_id)
    public = visible_products(viewer, now).with_only_columns(Product.merchant_id)
    return stmt.where(Merchant.id.in_(public))


def visible_merchant_contacts(viewer: Viewer, now: datetime) -> Select[tuple[MerchantContact]]:
    """A merchant's contacts are private: staff see all, a merchant its own, others none
    (the public may see a merchant, never its people)."""
    stmt = select(MerchantContact)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(MerchantContact.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def visible_agreements(viewer: Viewer, now: datetime) -> Select[tuple[Agreement]]:
    stmt = select(Agreement)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(Agreement.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def _visible_agreement_ids(viewer: Viewer, now: datetime) -> Select[Any]:
    return visible_agreements(viewer, now).with_only_columns(Agreement.id)


def visible_statements(viewer: Viewer, now: datetime) -> Select[tuple[RoyaltyStatement]]:
    stmt = select(RoyaltyStatement)
    if viewer.is_staff:
        return stmt
    return stmt.where(RoyaltyStatement.agreement_id.in_(_visible_agreement_ids(viewer, now)))


def visible_sales_reports(viewer: Viewer, now: datetime) -> Select[tuple[SalesReport]]:
    stmt = select(SalesReport)
    if viewer.is_staff:
        return stmt
    return stmt.where(SalesReport.agreement_id.in_(_visible_agreement_ids(viewer, now)))


def _merchant_holds_line(merchant_id: int) -> Any:
    return or_(
        OrderLine.merchant_id == merchant_id,
        exists().where(
            BundleAllocation.order_line_id == OrderLine.id,
            BundleAllocation.merchant_id == merchant_id,
        ),
    )


def visible_order_lines(viewer: Viewer, now: datetime) -> Select[tuple[OrderLine]]:
    """A merchant sees its own lines of an order, never another merchant's lines."""
    stmt = select(OrderLine)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        assert viewer.merchant_id is not None
        return stmt.where(_merchant_holds_line(viewer.merchant_id))
    return stmt.where(false())


def visible_orders(viewer: Viewer, now: datetime) -> Select[tuple[Order]]:
    """A merchant sees the orders that hold at least one of its lines."""
    stmt = select(Order)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        lines = visible_order_lines(viewer, now).with_only_columns(OrderLine.order_id)
        return stmt.where(Order.id.in_(lines))
    return stmt.where(false())


def visible_api_tokens(viewer: Viewer, now: datetime) -> Select[tuple[ApiToken]]:
    stmt = select(ApiToken)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(ApiToken.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def visible_product_reviews(viewer: Viewer, now: datetime) -> Select[tuple[ProductReview]]:
    """The approval history of a product is seen by its merchant and staff only."""
    stmt = select(ProductReview)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        own = visible_products(viewer, now).with_only_columns(Product.id)
        return stmt.where(ProductReview.product_id.in_(own))
    return stmt.where(false())


def visible_fulfilments(viewer: Viewer, now: datetime) -> Select[tuple[Fulfilment]]:
    """A merchant sees its own fulfilments (with the shipping address); the public none."""
    stmt = select(Fulfilment)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(Fulfilment.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def _visible_fulfilment_ids(viewer: Viewer, now: datetime) -> Select[Any]:
    return visible_fulfilments(viewer, now).with_only_columns(Fulfilment.id)


def visible_fulfilment_lines(viewer: Viewer, now: datetime) -> Select[tuple[FulfilmentLine]]:
    stmt = select(FulfilmentLine)
    if viewer.is_staff:
        return stmt
    return stmt.where(FulfilmentLine.fulfilment_id.in_(_visible_fulfilment_ids(viewer, now)))


def visible_shipments(viewer: Viewer, now: datetime) -> Select[tuple[Shipment]]:
    stmt = select(Shipment)
    if viewer.is_staff:
        return stmt
    return stmt.where(Shipment.fulfilment_id.in_(_visible_fulfilment_ids(viewer, now)))


def visible_webhook_subscriptions(
    viewer: Viewer, now: datetime
) -> Select[tuple[WebhookSubscription]]:
    """A merchant's own webhook subscriptions (deleted ones are gone); staff see all."""
    stmt = select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(WebhookSubscription.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def visible_webhook_deliveries(viewer: Viewer, now: datetime) -> Select[tuple[WebhookDelivery]]:
    """A merchant's own webhook deliveries (kept after their subscription is deleted)."""
    stmt = select(WebhookDelivery)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(WebhookDelivery.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def visible_label_batches(viewer: Viewer, now: datetime) -> Select[tuple[LabelBatch]]:
    """A merchant's own label batches; staff see all; the public none."""
    stmt = select(LabelBatch)
    if viewer.is_staff:
        return stmt
    if viewer.is_merchant:
        return stmt.where(LabelBatch.merchant_id == viewer.merchant_id)
    return stmt.where(false())


def visible_campaigns(viewer: Viewer, now: datetime) -> Select[tuple[Campaign]]:
    """Campaigns and their codes are staff's alone (SPEC §9)."""
    stmt = select(Campaign)
    return stmt if viewer.is_staff else stmt.where(false())


def sees_merchant_private(viewer: Viewer, merchant_id: int | None) -> bool:
    """Contact details and stock: staff, or the merchant itself."""
    return viewer.is_staff or (viewer.is_merchant and viewer.merchant_id == merchant_id)
