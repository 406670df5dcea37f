"""Precomputed co-purchase counts for "shoppers who came for this film also bought…"
(reports/recommendations.py writes them; the storefront reads them in one statement)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime

FILM = "film"
PRODUCT = "product"


class CoPurchase(Base):
    """`orders`: how many paid orders held `source` (a film's tickets or merch, or a
    product) and also `product_id`."""

    __tablename__ = "co_purchases"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "product_id"),
        Index("ix_co_purchases_source", "source_kind", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(8))  # FILM or PRODUCT
    source_id: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    orders: Mapped[int] = mapped_column(Integer)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
