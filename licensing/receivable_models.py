"""Tables of money collected (SPEC §10): remittances, and the reminders of missing reports.

Receivables themselves are not stored: `licensing.receivables` derives them from the
agreement's terms, its closed statements and these remittances."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime

REFERENCE_MAX = 200


class Remittance(Base):
    """Money a licensee paid against an agreement, as staff recorded it."""

    __tablename__ = "remittances"
    __table_args__ = (
        Index("ix_remittances_agreement_received", "agreement_id", "received_on"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))  # always the agreement's
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SalesReportReminder(Base):
    """A reminder sent for a missing licensee sales report: one per agreement and period,
    ever (the row is the proof it was sent; outbox rows are pruned after a while)."""

    __tablename__ = "sales_report_reminders"
    __table_args__ = (UniqueConstraint("agreement_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    period: Mapped[str] = mapped_column(String(7))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
