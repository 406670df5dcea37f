"""Image tables: uploaded images (validated, re-encoded, with thumbnails) and product photos.

An image belongs to whoever uploaded it: a merchant (`merchant_id`) or the studio (staff,
`merchant_id` NULL). The same bytes uploaded twice by one owner are one row
(`owner_key`, `sha256` is unique); two owners get a row each, so an upload id never points
into another tenant's images and a merchant cannot learn what another one uploaded. The
files themselves are content-addressed (kernel.media), so they are stored once anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime

STUDIO = "studio"  # the owner key of images uploaded by staff


def owner_key(merchant_id: int | None) -> str:
    """The owner of an upload: its merchant, or the studio for staff uploads."""
    return STUDIO if merchant_id is None else f"merchant:{merchant_id}"


class Image(Base):
    """A stored image: the re-encoded original (`key`) and its WebP thumbnails."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the stored (re-encoded) original; the storage key is made from it.
    sha256: Mapped[str] = mapped_column(String(64))
    owner_key: Mapped[str] = mapped_column(String(40))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    key: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    # [{"width": 160, "height": 90, "key": "ab/cd/….webp"}, …], narrowest first
    thumbnails: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        UniqueConstraint("owner_key", "sha256"),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint("bytes > 0", name="bytes_positive"),
    )


class ProductImage(Base):
    """A photo of a product, in display order (`position`, from 1), with its alt text."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        UniqueConstraint("product_id", "image_id"),
        CheckConstraint("position >= 1", name="position_positive"),
    )
