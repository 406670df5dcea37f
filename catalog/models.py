"""Catalog tables: what the studio shows and what partners sell."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime


class Category(StrEnum):
    APPAREL = "apparel"
    TOYS = "toys"
    COLLECTIBLES = "collectibles"
    POSTERS = "posters"
    ACCESSORIES = "accessories"
    HOME = "home"
    STATIONERY = "stationery"
    DIGITAL = "digital"


class ApprovalStage(StrEnum):
    DRAFT = "draft"
    CONCEPT_SUBMITTED = "concept_submitted"
    CONCEPT_APPROVED = "concept_approved"
    SAMPLE_SUBMITTED = "sample_submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum column with a CHECK constraint listing the allowed values."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
        length=32,
    )


class Franchise(Base):
    __tablename__ = "franchises"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Film(Base):
    __tablename__ = "films"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    original_title: Mapped[str] = mapped_column(String(200), default="")
    synopsis: Mapped[str] = mapped_column(Text, default="")
    release_date: Mapped[date] = mapped_column(Date, index=True)
    runtime_minutes: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(16), default="")
    poster_url: Mapped[str] = mapped_column(String(500), default="")
    # An uploaded poster (catalog.image_models.Image); shown instead of poster_url when set.
    poster_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"))
    franchise_id: Mapped[int | None] = mapped_column(ForeignKey("franchises.id"), index=True)
    # Set by staff (catalog.film_admin.archive_film): the film is hidden from the public and
    # its merch is no longer sellable (licensing.sellable); its status reads ARCHIVED.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    franchise: Mapped[Franchise | None] = relationship(lazy="raise")
    titles: Mapped[list[FilmTitle]] = relationship(
        lazy="raise", order_by="FilmTitle.language", back_populates="film"
    )

    __table_args__ = (CheckConstraint("runtime_minutes > 0", name="runtime_positive"),)


class FilmTitle(Base):
    """A film's title and synopsis in one language (catalog.film_titles.LANGUAGES); a
    language without a row falls back to the original title (`film_title`)."""

    __tablename__ = "film_titles"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    synopsis: Mapped[str] = mapped_column(Text, default="")

    film: Mapped[Film] = relationship(lazy="raise", back_populates="titles")

    __table_args__ = (UniqueConstraint("film_id", "language"),)


class Cinema(Base):
    __tablename__ = "cinemas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    # IANA zone: showtimes are shown, and grouped by day, in the cinema's local time.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Screen(Base):
    """An auditorium of a cinema, with its seats; every showtime is on one screen."""

    __tablename__ = "screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("cinemas.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer)

    cinema: Mapped[Cinema] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("cinema_id", "name"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )


class Showtime(Base):
    """A screening. `seats_taken` counts seats sold plus seats held by live reservations."""

    __tablename__ = "showtimes"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("cinemas.id"), index=True)
    # The screen (of the same cinema) it is on; `capacity` starts as the screen's.
    screen_id: Mapped[int] = mapped_column(ForeignKey("screens.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))

    film: Mapped[Film] = relationship(lazy="raise")
    cinema: Mapped[Cinema] = relationship(lazy="raise")
    screen: Mapped[Screen] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_in_range"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken


class Product(Base):
    """A licensed product of one merchant under one agreement, for one film."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[Category] = mapped_column(enum_column(Category, "category"))
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # The merchant's "running low" mark: stock.low is sent when stock falls to it or below.
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    approval_stage: Mapped[ApprovalStage] = mapped_column(
        enum_column(ApprovalStage, "approval_stage"), default=ApprovalStage.DRAFT, index=True
    )
    image_url: Mapped[str] = mapped_column(String(500), default="")
    # The product's options, comma-separated in order ("size,colour"); "" when it has none.
    # A product with variants (catalog/variants.py) is sold by variant only, and its `stock`
    # is then the sum of its variants' stock, kept so by every change of a variant's stock.
    option_names: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    film: Mapped[Film] = relationship(lazy="raise")

    @property
    def options(self) -> list[str]:
        """The option names in order (`["size", "colour"]`)."""
        return [name for name in self.option_names.split(",") if name]

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="low_stock_threshold_not_negative"),
        CheckConstraint("price_minor > 0", name="price_positive"),
    )


class Variant(Base):
    """One buyable version of a product (size M, colour black), with its own SKU (the
    merchant's prefix, a dash and its code, SPEC §7), an optional price of its own (in the
    product's currency) and its own stock. `options` holds the option values as a JSON list
    aligned with the product's option names, so the pair (product, options) is unique."""

    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    options: Mapped[str] = mapped_column(String(400))
    price_minor: Mapped[int | None] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Its photo (an upload of its merchant, `catalog.variants.set_variant_image`). A plain
    # id: adding a foreign key would rebuild the table on SQLite and drop its version
    # triggers (kernel.content_version); the service checks the reference instead.
    image_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        UniqueConstraint("product_id", "options"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_minor IS NULL OR price_minor > 0", name="price_positive"),
    )

    @property
    def values(self) -> list[str]:
        """The option values in the product's option order (`["M", "black"]`)."""
        loaded = json.loads(self.options or "[]")
        return [str(value) for value in loaded] if isinstance(loaded, list) else []

    @property
    def label(self) -> str:
        """The values for people: `M / black`."""
        return " / ".join(self.values)


class BundleOffer(Base):
    """A film's ticket-plus-merch offer: one ticket of a chosen showtime plus fixed merch."""

    __tablename__ = "bundle_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    per_order_limit: Mapped[int] = mapped_column(Integer, default=4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    film: Mapped[Film] = relationship(lazy="raise")
    components: Mapped[list[BundleComponent]] = relationship(
        lazy="raise", order_by="BundleComponent.position", back_populates="offer"
    )

    __table_args__ = (
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("per_order_limit >= 1", name="limit_positive"),
        CheckConstraint("valid_to > valid_from", name="window_ordered"),
    )


class BundleComponent(Base):
    __tablename__ = "bundle_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("bundle_offers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    # A component of a product with variants is either one fixed variant, or lets the
    # shopper choose the variant (a size) when buying the bundle (SPEC §5).
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))
    choose_variant: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    offer: Mapped[BundleOffer] = relationship(lazy="raise", back_populates="components")
    product: Mapped[Product] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("offer_id", "position"),
        CheckConstraint("qty >= 1", name="qty_positive"),
    )


class Ticket(Base):
    """An e-ticket; `code` is 128+ random bits, shown as a QR code on the order page."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    showtime_id: Mapped[int] = mapped_column(ForeignKey("showtimes.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(200))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
