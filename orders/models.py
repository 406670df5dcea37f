"""Order tables: what shoppers bought, what they hold, what they paid and got back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import enum_column
from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime
from orders.addresses import ShippingAddress


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class LineKind(StrEnum):
    PRODUCT = "product"
    TICKET = "ticket"
    BUNDLE = "bundle"


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    RELEASED = "released"


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The order page link carries a random key; only its hash is stored.
    access_key_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.PENDING_PAYMENT, index=True
    )
    total_minor: Mapped[int] = mapped_column(Integer)
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The language the order was placed in (kernel.i18n.LANGUAGES): its e-mails speak it.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # Promotions (SPEC §9): the campaign the order is attributed to, the code used and the
    # discount D taken off the lines (total_minor is after it). Plain ids, no foreign key:
    # SQLite cannot add one to a table that other tables' rows point at (migration 0016);
    # the code's use (promo_code_uses) holds the checked references.
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    promo_code_id: Mapped[int | None] = mapped_column(Integer, index=True)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="raise", order_by="OrderLine.id", back_populates="order"
    )
    # Where the merch ships (orders/addresses.py): a row of its own; None for tickets only.
    shipping: Mapped[ShippingAddress | None] = relationship(lazy="raise", uselist=False)

    __table_args__ = (
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("discount_minor >= 0", name="discount_not_negative"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= total_minor", name="refund_within_total"
        ),
    )


class OrderLine(Base):
    """A product, ticket or bundle line. `merchant_id` is set for lines that carry merch."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, "line_kind"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    # The variant bought (a product line of a product with variants).
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), index=True)
    showtime_id: Mapped[int | None] = mapped_column(ForeignKey("showtimes.id"), index=True)
    bundle_offer_id: Mapped[int | None] = mapped_column(ForeignKey("bundle_offers.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # The line's share of the order's discount; its net is total_minor - discount_minor.
    discount_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(lazy="raise", back_populates="lines")
    allocations: Mapped[list[BundleAllocation]] = relationship(
        lazy="raise", order_by="BundleAllocation.position"
    )

    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint(
            "discount_minor >= 0 AND discount_minor <= total_minor", name="discount_within_total"
        ),
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_within_qty"
        ),
        CheckConstraint(
            "(kind = 'product' AND product_id IS NOT NULL AND showtime_id IS NULL)"
            " OR (kind = 'ticket' AND showtime_id IS NOT NULL AND product_id IS NULL)"
            " OR (kind = 'bundle' AND showtime_id IS NOT NULL AND bundle_offer_id IS NOT NULL)",
            name="kind_matches_refs",
        ),
    )


class BundleAllocation(Base):
    """The share of one bundle's price that falls to one component (SPEC §5).

    `amount_minor` is per bundle, at the offer's price; `net_minor` is the part's net in the
    whole line: the line's net (after its share of a promotion, SPEC §9) allocated with
    weights w_i * q, so q * amount_minor when there is no discount. Sales, royalties and
    refunds use `net_minor`. `product_id` is NULL for the ticket part."""

    __tablename__ = "bundle_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("order_line_id", "position"),
        CheckConstraint("net_minor >= 0", name="net_not_negative"),
        CheckConstraint("qty >= 1", name="qty_positive"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )


class Reservation(Base):
    """Stock or seats held for an unpaid order; converted to a sale or released."""

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    # Units of one variant of the product (its stock is held per variant).
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    showtime_id: Mapped[int | None] = mapped_column(ForeignKey("showtimes.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReservationStatus] = mapped_column(
        enum_column(ReservationStatus, "reservation_status"), default=ReservationStatus.ACTIVE
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("(product_id IS NULL) <> (showtime_id IS NULL)", name="one_target"),
    )


class Payment(Base):
    """A Stripe PaymentIntent created for an order."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    intent_id: Mapped[str] = mapped_column(String(120), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(40))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)


class StripeEvent(Base):
    """Every Stripe event id seen; the unique id makes webhook handling exactly-once."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Refund(Base):
    """Money paid back. A refund of lines through Stripe is *pending* while its Stripe refund
    id is NULL (claimed, Stripe not yet answered): its lines already count as refunded, its
    effects (tickets, stock, ledger) are not applied yet. Refunds recorded from Stripe's
    events have no lines."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    lines: Mapped[list[RefundLine]] = relationship(lazy="raise", cascade="all")

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)
    # A component refund (SPEC §8): units of one merch part of a bundle line, not bundles;
    # the line's tickets stay valid and its refunded quantity does not move.
    bundle_allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("bundle_allocations.id"), index=True
    )
    # Set when the refund cancels units of a fulfilment line (the merchant cannot ship them).
    fulfilment_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("fulfilment_lines.id"), index=True
    )

    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)


class RefundPart(Base):
    """What one refund line gives back of one merch part of a bundle line: units and money,
    fixed when the refund is claimed so that its ledger reversal posts exactly that. The
    sum over a part's rows is how much of it was refunded (orders.refund_parts)."""

    __tablename__ = "refund_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_line_id: Mapped[int] = mapped_column(ForeignKey("refund_lines.id"), index=True)
    bundle_allocation_id: Mapped[int] = mapped_column(
        ForeignKey("bundle_allocations.id"), index=True
    )
    units: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("refund_line_id", "bundle_allocation_id"),
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )
