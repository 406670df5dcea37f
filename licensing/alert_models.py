"""The record of forecast stock alerts sent: one row per product and UTC day, so that the
forecast job tells a merchant about a product at most once a day (its dedupe key)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime


class ForecastAlert(Base):
    """`stock.low` sent for `product_id` on `day` because the forecast expects a stock-out."""

    __tablename__ = "forecast_alerts"
    __table_args__ = (UniqueConstraint("product_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
