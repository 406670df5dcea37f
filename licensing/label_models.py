"""Authenticity label tables (SPEC §10): batches a merchant requested, their codes, and every
verification of a code on `/verify`.

A verification keeps its time and the client's *network* (an IPv4 /24 or an IPv6 /48, see
`licensing.label_batches.verification_network`), never the full address and never a country:
a country taken from a request header is whatever the client says, and a network is the
best independent sign of "somewhere else" that a request carries. The cloned-label rule of
the audit counts distinct networks where SPEC §10 says countries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime


class LabelBatch(Base):
    """Codes requested at once for one product; the agreement is the product's (kept here so
    the audit counts labels per agreement without a join)."""

    __tablename__ = "label_batches"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_label_batches_agreement_requested", "agreement_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(120))


class LabelCode(Base):
    """One printed code, in normal form (licensing.labels): unique, so lookups are indexed."""

    __tablename__ = "label_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("label_batches.id"), index=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)


class LabelVerification(Base):
    """One look-up of a genuine code on `/verify` (unknown codes are not kept)."""

    __tablename__ = "label_verifications"
    __table_args__ = (Index("ix_label_verifications_label_at", "label_id", "verified_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("label_codes.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    network: Mapped[str | None] = mapped_column(String(64))
