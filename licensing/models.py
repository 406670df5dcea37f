"""Licensing tables: partners, agreements, approvals, the royalty ledger and statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import ApprovalStage, Category, enum_column
from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime

# Exact royalties are stored as integer millionths of a minor unit: n * r / 10000 has at
# most four decimals, so every sale and report line is exact, and SQL sums stay integers.
ROYALTY_SCALE = 1_000_000


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    TERMINATED = "terminated"
    EXPIRED = "expired"


class Channel(StrEnum):
    STOREFRONT = "storefront"
    BUNDLE = "bundle"
    LICENSEE_RETAIL = "licensee_retail"


class ReviewAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


class EntrySource(StrEnum):
    SALE = "sale"
    REFUND = "refund"
    REPORT = "report"


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    contact_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A deactivated user cannot sign in; deactivating ends their sessions and tokens.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A signed-in staff browser. The cookie carries a random token; only its SHA-256 is kept.
    A session is valid until `expires_at` unless `ended_at` is set (logout, password change,
    deactivation)."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class SignInAttempt(Base):
    """A staff sign-in attempt, counted by the throttle (per username and per client address)
    until it succeeds: a successful sign-in deletes its account's attempts. Rows older than
    the throttle's window are pruned. `device` names the browser's known-device cookie, when
    it brought one for this username: such attempts count against that device only."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_at", "username", "attempted_at"),
        Index("ix_sign_in_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TokenScope(StrEnum):
    """What an API token may do (SPEC §7): read its merchant's data, change it, and issue and
    revoke its merchant's tokens. Staff tokens hold every scope."""

    READ = "read"
    WRITE = "write"
    TOKENS = "tokens"


class ApiToken(Base):
    """A bearer token for the GraphQL API. Only its SHA-256 hash is stored. Its scopes are
    kept as their names, comma-separated in TokenScope order (`read,write`)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str] = mapped_column(
        String(60), default="read,write", server_default="read,write"
    )

    merchant: Mapped[Merchant | None] = relationship(lazy="raise")
    staff_user: Mapped[StaffUser | None] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint("(merchant_id IS NULL) <> (staff_user_id IS NULL)", name="one_owner"),
    )


class Agreement(Base):
    """A license agreement between the studio and one merchant (SPEC §3)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus, "agreement_status"), default=AgreementStatus.DRAFT
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    sell_off_days: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    rate_bps: Mapped[int] = mapped_column(Integer)
    per_unit_min_minor: Mapped[int | None] = mapped_column(Integer)
    bundle_rate_bps: Mapped[int | None] = mapped_column(Integer)
    advance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    minimum_guarantee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set on termination

    merchant: Mapped[Merchant] = relationship(lazy="raise")
    films: Mapped[list[AgreementFilm]] = relationship(lazy="raise", cascade="all")
    territories: Mapped[list[AgreementTerritory]] = relationship(lazy="raise", cascade="all")
    channels: Mapped[list[AgreementChannel]] = relationship(lazy="raise", cascade="all")
    categories: Mapped[list[AgreementCategory]] = relationship(lazy="raise", cascade="all")
    tiers: Mapped[list[AgreementTier]] = relationship(
        lazy="raise", cascade="all", order_by="AgreementTier.threshold_minor"
    )

    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="term_ordered"),
        CheckConstraint("sell_off_days >= 0", name="sell_off_not_negative"),
        CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="rate_in_range"),
        CheckConstraint(
            "bundle_rate_bps IS NULL OR bundle_rate_bps BETWEEN 0 AND 10000",
            name="bundle_rate_in_range",
        ),
        CheckConstraint(
            "per_unit_min_minor IS NULL OR per_unit_min_minor >= 0", name="unit_min_not_negative"
        ),
        CheckConstraint("advance_minor >= 0", name="advance_not_negative"),
        CheckConstraint("minimum_guarantee_minor >= 0", name="mg_not_negative"),
    )


class AgreementFilm(Base):
    __tablename__ = "agreement_films"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), primary_key=True, index=True)


class AgreementTerritory(Base):
    __tablename__ = "agreement_territories"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)


class AgreementChannel(Base):
    __tablename__ = "agreement_channels"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"), primary_key=True)


class AgreementCategory(Base):
    __tablename__ = "agreement_categories"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[Category] = mapped_column(enum_column(Category, "category"), primary_key=True)


class AgreementTier(Base):
    __tablename__ = "agreement_tiers"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    threshold_minor: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rate_bps: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("threshold_minor >= 0", name="threshold_not_negative"),
        CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="rate_in_range"),
    )


class ProductReview(Base):
    """One step of a product's approval history: a submission or a review."""

    __tablename__ = "product_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    action: Mapped[ReviewAction] = mapped_column(enum_column(ReviewAction, "review_action"))
    from_stage: Mapped[ApprovalStage] = mapped_column(enum_column(ApprovalStage, "from_stage"))
    to_stage: Mapped[ApprovalStage] = mapped_column(enum_column(ApprovalStage, "to_stage"))
    actor: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Period(Base):
    """A calendar quarter; once closed, its statements are frozen."""

    __tablename__ = "periods"

    name: Mapped[str] = mapped_column(String(7), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[PeriodStatus] = mapped_column(
        enum_column(PeriodStatus, "period_status"), default=PeriodStatus.OPEN
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))


class RoyaltyEntry(Base):
    """One append-only ledger row (SPEC §4). Written only by `licensing.ledger`."""

    __tablename__ = "royalty_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    source: Mapped[EntrySource] = mapped_column(enum_column(EntrySource, "entry_source"))
    # What caused the entry, e.g. "order_line:12", "bundle_part:7", "report_line:3",
    # "refund_line:5". Unique with `source`, so a cause is never posted twice.
    source_ref: Mapped[str] = mapped_column(String(80))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    territory: Mapped[str] = mapped_column(String(2))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    period: Mapped[str] = mapped_column(String(7))
    units: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int] = mapped_column(Integer)
    royalty_micros: Mapped[int] = mapped_column(BigInteger)
    is_adjustment: Mapped[bool] = mapped_column(Boolean, default=False)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("royalty_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        # Statements aggregate by (agreement, period); tiers read an agreement in time order.
        Index("ix_royalty_entries_agreement_period", "agreement_id", "period"),
        Index("ix_royalty_entries_agreement_occurred", "agreement_id", "occurred_at", "id"),
        {"sqlite_autoincrement": True},
    )

    @property
    def royalty(self) -> Decimal:
        """The exact royalty in minor units."""
        return Decimal(self.royalty_micros) / ROYALTY_SCALE


class RoyaltyStatement(Base):
    """A statement of one agreement for one period; frozen once its period is closed."""

    __tablename__ = "royalty_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    units: Mapped[int] = mapped_column(BigInteger)
    net_sales_minor: Mapped[int] = mapped_column(BigInteger)
    royalty_earned_minor: Mapped[int] = mapped_column(BigInteger)
    cumulative_earned_minor: Mapped[int] = mapped_column(BigInteger)
    advance_recouped_minor: Mapped[int] = mapped_column(BigInteger)
    royalty_payable_minor: Mapped[int] = mapped_column(BigInteger)
    mg_shortfall_minor: Mapped[int] = mapped_column(BigInteger)
    has_adjustments: Mapped[bool] = mapped_column(Boolean, default=False)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (UniqueConstraint("agreement_id", "period"),)


class SalesReport(Base):
    """A licensee's report of its own sales for one agreement and period.

    A later report for the same agreement and period is an amendment (version + 1)."""

    __tablename__ = "sales_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    submitted_by: Mapped[str] = mapped_column(String(200), default="")

    lines: Mapped[list[SalesReportLine]] = relationship(
        lazy="raise", order_by="SalesReportLine.line_no", cascade="all"
    )

    __table_args__ = (UniqueConstraint("agreement_id", "period", "version"),)


class SalesReportLine(Base):
    __tablename__ = "sales_report_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("sales_reports.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    territory: Mapped[str] = mapped_column(String(2))
    units: Mapped[int] = mapped_column(Integer)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("report_id", "line_no"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("net_minor >= 0 AND net_minor <= gross_minor", name="net_within_gross"),
    )
