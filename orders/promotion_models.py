"""Campaigns, promo codes and their uses (SPEC §9): the promotions applied to orders."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import enum_column
from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime


class CampaignChannel(StrEnum):
    REFERRAL = "referral"
    EMAIL = "email"
    SOCIAL = "social"
    CINEMA = "cinema"
    PARTNER = "partner"


class PromoKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class PromoScope(StrEnum):
    TICKETS = "tickets"
    MERCH = "merch"
    BUNDLES = "bundles"
    ANY = "any"


class Campaign(Base):
    """Staff promote films through a channel; `referral_code` makes the link `/r/<code>`."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[CampaignChannel] = mapped_column(
        enum_column(CampaignChannel, "campaign_channel")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Upper-case; unique, so a referral link names one campaign.
    referral_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    films: Mapped[list[CampaignFilm]] = relationship(
        lazy="raise", order_by="CampaignFilm.position", cascade="all"
    )

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="dates_in_order"),)


class CampaignFilm(Base):
    __tablename__ = "campaign_films"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("campaign_id", "film_id"),)


class PromoCode(Base):
    """A percentage (bps) or fixed amount off the eligible lines of one order. `code` is
    stored upper-case, so codes are unique whatever the case typed. `uses` counts the uses
    taken and not given back; it never passes `use_limit` (a conditional UPDATE)."""

    __tablename__ = "promo_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[PromoKind] = mapped_column(enum_column(PromoKind, "promo_kind"))
    percent_bps: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int | None] = mapped_column(Integer)
    # Required for a fixed amount or a minimum; a percentage code without one fits any.
    currency: Mapped[str | None] = mapped_column(String(3))
    scope: Mapped[PromoScope] = mapped_column(enum_column(PromoScope, "promo_scope"))
    campaign_films_only: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    min_subtotal_minor: Mapped[int] = mapped_column(Integer, default=0)
    use_limit: Mapped[int | None] = mapped_column(Integer)
    per_email_limit: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        CheckConstraint(
            "(kind = 'percent' AND percent_bps BETWEEN 1 AND 10000 AND amount_minor IS NULL)"
            " OR (kind = 'fixed' AND amount_minor > 0 AND percent_bps IS NULL"
            " AND currency IS NOT NULL)",
            name="kind_matches_value",
        ),
        CheckConstraint("valid_to > valid_from", name="window_in_order"),
        CheckConstraint("min_subtotal_minor >= 0", name="minimum_not_negative"),
        CheckConstraint("use_limit IS NULL OR use_limit >= 1", name="limit_positive"),
        CheckConstraint(
            "per_email_limit IS NULL OR per_email_limit >= 1", name="email_limit_positive"
        ),
        CheckConstraint(
            "uses >= 0 AND (use_limit IS NULL OR uses <= use_limit)", name="uses_within_limit"
        ),
    )


class PromoCodeUse(Base):
    """One order's use of a code: taken when the order is placed, released (given back) when
    it expires or is cancelled unpaid. `email` is the order's address as the per-e-mail
    limit counts it (orders.promo_uses.limit_key: lower case, no `+tag`)."""

    __tablename__ = "promo_code_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferralVisit(Base):
    """Referral visits of a campaign counted per UTC day (SPEC §9's attribution report):
    one row per campaign and day however many visits, so the table stays small."""

    __tablename__ = "referral_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("campaign_id", "day"),
        CheckConstraint("visits >= 0", name="visits_not_negative"),
    )
