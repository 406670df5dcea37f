"""Artwork of approval submissions (SPEC §3, issue 12): concept art with a concept
submission, sample photos with a sample submission, kept with the submission in the history
so a reviewer sees what was submitted, beside who said what, and can compare it with the
previous submission. Also: the names behind history actors (`merchant:7`, `staff:ana`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from catalog.image_models import Image
from catalog.images import owned_image
from kernel.db import Base
from kernel.errors import Checks, DomainError
from licensing.approvals import submit_product
from licensing.codes import LicensingError
from licensing.models import Merchant, ProductReview, StaffUser

MAX_ARTWORK = 12  # images per submission


class ReviewArtwork(Base):
    """An image submitted with one step of a product's approval history."""

    __tablename__ = "review_artwork"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("product_reviews.id", ondelete="CASCADE"), index=True
    )
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("review_id", "position"),)


async def submit_product_with_artwork(
    session: AsyncSession,
    product_id: int,
    *,
    merchant_id: int,
    comment: str = "",
    artwork_ids: Sequence[int | None] = (),
    now: datetime,
) -> ProductReview:
    """`licensing.approvals.submit_product`, with the merchant's own uploads attached to the
    submission (concept art or sample photos, by the stage submitted). Every upload must be
    the merchant's (another's is not found, named by its position `artwork.N`), at most
    MAX_ARTWORK and none twice. Returns the submission's history entry."""
    if len(artwork_ids) > MAX_ARTWORK:
        raise DomainError(
            LicensingError.INVALID, f"Attach at most {MAX_ARTWORK} images.", "artwork"
        )
    checks = Checks()
    images: list[Image] = []
    for position, image_id in enumerate(artwork_ids, start=1):
        with checks:
            image = await owned_image(
                session, image_id, merchant_id=merchant_id, field=f"artwork.{position}"
            )
            if any(seen.id == image.id for seen in images):
                raise DomainError(
                    LicensingError.INVALID, "The same image is attached twice.",
                    f"artwork.{position}",
                )  # fmt: skip
            images.append(image)
    checks.done()
    await submit_product(session, product_id, merchant_id=merchant_id, comment=comment, now=now)
    review = await session.scalar(
        select(ProductReview)
        .where(ProductReview.product_id == product_id)
        .order_by(ProductReview.id.desc())
        .limit(1)
    )
    assert review is not None
    session.add_all(
        ReviewArtwork(review_id=review.id, image_id=image.id, position=position)
        for position, image in enumerate(images, start=1)
    )
    await session.flush()
    return review


async def artwork_of_reviews(
    session: AsyncSession, review_ids: Iterable[int]
) -> dict[int, list[Image]]:
    """The images of each history entry, in order (one statement)."""
    ids = list(review_ids)
    found: dict[int, list[Image]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(ReviewArtwork.review_id, Image)
        .join(Image, Image.id == ReviewArtwork.image_id)
        .where(ReviewArtwork.review_id.in_(ids))
        .order_by(ReviewArtwork.review_id, ReviewArtwork.position)
    )
    for review_id, image in rows:
        found[review_id].append(image)
    return found


def _merchant_id_of(actor: str) -> int | None:
    kind, _, rest = actor.partition(":")
    return int(rest) if kind == "merchant" and rest.isdigit() else None


def _staff_username_of(actor: str) -> str:
    return actor.removeprefix("staff:")


async def actor_names(session: AsyncSession, actors: Iterable[str]) -> dict[str, str]:
    """The name to show for each history actor: a merchant's name for `merchant:<id>`, a
    staff member's display name (or username) for `staff:<username>` or a bare username;
    anything unknown stays as it is. At most two statements, whatever the number of actors."""
    actors = set(actors)
    names = {actor: actor for actor in actors}
    merchant_ids = {a: m for a in actors if (m := _merchant_id_of(a)) is not None}
    if merchant_ids:
        rows = await session.execute(
            select(Merchant.id, Merchant.name).where(Merchant.id.in_(set(merchant_ids.values())))
        )
        by_id = {key: name for key, name in rows}
        for actor, merchant_id in merchant_ids.items():
            names[actor] = by_id.get(merchant_id, actor)
    usernames = {a: _staff_username_of(a) for a in actors if a not in merchant_ids}
    if usernames:
        shown = func.coalesce(func.nullif(StaffUser.display_name, ""), StaffUser.username)
        rows = await session.execute(
            select(StaffUser.username, shown).where(StaffUser.username.in_(set(usernames.values())))
        )
        by_username = {key: name for key, name in rows}
        for actor, username in usernames.items():
            if username in by_username:
                names[actor] = by_username[username]
    return names
