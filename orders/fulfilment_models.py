"""Fulfilment tables (SPEC §8): what each merchant must ship for a paid order, and what it
shipped. A fulfilment line is a product line of the order, or one merch component of a
bundle line (named by its BundleAllocation row), with the units to ship."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import enum_column
from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime

CARRIER_MAX = 100
TRACKING_MAX = 100


class FulfilmentStatus(StrEnum):
    AWAITING_SHIPMENT = "awaiting_shipment"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class Fulfilment(Base):
    """One merchant's share of a paid order: the lines it must ship."""

    __tablename__ = "fulfilments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    status: Mapped[FulfilmentStatus] = mapped_column(
        enum_column(FulfilmentStatus, "fulfilment_status"),
        default=FulfilmentStatus.AWAITING_SHIPMENT,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    lines: Mapped[list[FulfilmentLine]] = relationship(
        lazy="raise", order_by="FulfilmentLine.id", back_populates="fulfilment"
    )

    __table_args__ = (UniqueConstraint("order_id", "merchant_id"),)


class FulfilmentLine(Base):
    """Units of one product line, or of one merch component of a bundle line, to ship.
    `quantity` never changes; what was shipped and what was cancelled (and refunded) grow."""

    __tablename__ = "fulfilment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    bundle_allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("bundle_allocations.id"), unique=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    sku: Mapped[str] = mapped_column(String(64), default="")  # as sold
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_shipped: Mapped[int] = mapped_column(Integer, default=0)
    quantity_cancelled: Mapped[int] = mapped_column(Integer, default=0)

    fulfilment: Mapped[Fulfilment] = relationship(lazy="raise", back_populates="lines")

    @property
    def quantity_left(self) -> int:
        """Units still to ship: neither shipped nor cancelled."""
        return self.quantity - self.quantity_shipped - self.quantity_cancelled

    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("quantity_shipped >= 0", name="shipped_not_negative"),
        CheckConstraint("quantity_cancelled >= 0", name="cancelled_not_negative"),
        CheckConstraint(
            "quantity_shipped + quantity_cancelled <= quantity", name="within_quantity"
        ),
    )


class Shipment(Base):
    """A parcel: some units of some lines of one fulfilment, with its tracking."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(CARRIER_MAX))
    tracking_number: Mapped[str] = mapped_column(String(TRACKING_MAX))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list[ShipmentLine]] = relationship(lazy="raise", order_by="ShipmentLine.id")

    __table_args__ = (
        CheckConstraint("length(carrier) >= 1", name="carrier_not_empty"),
        CheckConstraint("length(tracking_number) >= 1", name="tracking_not_empty"),
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    fulfilment_line_id: Mapped[int] = mapped_column(ForeignKey("fulfilment_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("shipment_id", "fulfilment_line_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )


def status_of(lines: Iterable[FulfilmentLine]) -> FulfilmentStatus:
    """The status the lines say: cancelled when every unit was cancelled; shipped when
    nothing is left to ship and something shipped; partially shipped when something shipped
    and something is left; awaiting shipment otherwise."""
    rows = list(lines)
    shipped = sum(line.quantity_shipped for line in rows)
    left = sum(line.quantity_left for line in rows)
    if shipped == 0 and left == 0:
        return FulfilmentStatus.CANCELLED
    if left == 0:
        return FulfilmentStatus.SHIPPED
    return FulfilmentStatus.PARTIALLY_SHIPPED if shipped else FulfilmentStatus.AWAITING_SHIPMENT
