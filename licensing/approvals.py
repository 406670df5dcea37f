"""Product approval (SPEC §3): draft → concept_submitted → concept_approved →
sample_submitted → approved, with `changes_requested` (back to the merchant, who resubmits
the same stage) and `rejected` (final). Every submission and review is kept as history.

Merchants submit; staff review. A merchant can never move a product to an approved stage:
`submit_product` only ever moves to a *_submitted stage, and `review_product` refuses a
viewer that is not staff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Product
from kernel.errors import DomainError
from licensing.accounts import Viewer
from licensing.codes import LicensingError
from licensing.models import ProductReview, ReviewAction
from licensing.payloads import product_reviewed_payload
from licensing.webhooks import WebhookEvent, queue_event

Decision = Literal["approve", "request_changes", "reject"]

# Where a submission leads from each stage the merchant may submit from.
_SUBMIT_FROM = {
    ApprovalStage.DRAFT: ApprovalStage.CONCEPT_SUBMITTED,
    ApprovalStage.CONCEPT_APPROVED: ApprovalStage.SAMPLE_SUBMITTED,
}
# Where an approval leads from each stage awaiting review.
_APPROVE_FROM = {
    ApprovalStage.CONCEPT_SUBMITTED: ApprovalStage.CONCEPT_APPROVED,
    ApprovalStage.SAMPLE_SUBMITTED: ApprovalStage.APPROVED,
}


async def _locked_product(session: AsyncSession, product_id: int) -> Product | None:
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def submit_product(
    session: AsyncSession, product_id: int, *, merchant_id: int, comment: str = "", now: datetime
) -> Product:
    """The merchant submits its product's concept (from draft) or sample (from
    concept_approved) for review; after `changes_requested` it resubmits the stage that was
    asked to change. Another merchant's product is reported as not found."""
    product = await _locked_product(session, product_id)
    if product is None or product.merchant_id != merchant_id:
        raise DomainError(LicensingError.NOT_FOUND, "No such product.", "product")
    stage = product.approval_stage
    if stage == ApprovalStage.REJECTED:
        raise DomainError(
            LicensingError.PRODUCT_REJECTED, "This product was rejected; that is final.", "product"
        )
    if stage == ApprovalStage.CHANGES_REQUESTED:
        target = await _stage_sent_back(session, product_id)
    elif stage in _SUBMIT_FROM:
        target = _SUBMIT_FROM[stage]
    else:
        raise DomainError(
            LicensingError.INVALID_TRANSITION,
            f"A product at stage {stage.value} cannot be submitted.",
            "product",
        )
    return await _move(
        session, product, ReviewAction.SUBMIT, target, f"merchant:{merchant_id}", comment, now
    )


async def review_product(
    session: AsyncSession,
    product_id: int,
    *,
    decision: Decision,
    reviewer: str,
    comment: str = "",
    now: datetime,
    viewer: Viewer | None = None,
) -> Product:
    """Staff review a submitted concept or sample: approve (concept_approved, or approved for
    a sample), request changes (back to the merchant) or reject (final). Only a product
    awaiting review can be reviewed; a `viewer` that is not staff is refused (FORBIDDEN).
    The merchant's `product.reviewed` webhooks are queued in the same transaction."""
    if viewer is not None and not viewer.is_staff:
        raise DomainError(LicensingError.FORBIDDEN, "Only licensing staff review products.")
    try:
        action = ReviewAction(decision)
    except ValueError:
        action = None
    if action not in (ReviewAction.APPROVE, ReviewAction.REQUEST_CHANGES, ReviewAction.REJECT):
        raise DomainError(
            LicensingError.INVALID, f"{decision!r} is not a review decision.", "decision"
        )
    if not (reviewer or "").strip():
        raise DomainError(LicensingError.INVALID, "A review names its reviewer.", "reviewer")
    product = await _locked_product(session, product_id)
    if product is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such product.", "product")
    stage = product.approval_stage
    if stage == ApprovalStage.REJECTED:
        raise DomainError(
            LicensingError.PRODUCT_REJECTED, "This product was rejected; that is final.", "product"
        )
    if stage not in _APPROVE_FROM:
        raise DomainError(
            LicensingError.INVALID_TRANSITION,
            f"A product at stage {stage.value} is not awaiting review.",
            "product",
        )
    if action == ReviewAction.APPROVE:
        target = _APPROVE_FROM[stage]
    elif action == ReviewAction.REQUEST_CHANGES:
        if not comment.strip():
            raise DomainError(
                LicensingError.INVALID, "Say what should change in the comment.", "comment"
            )
        target = ApprovalStage.CHANGES_REQUESTED
    else:
        target = ApprovalStage.REJECTED
    await _move(session, product, action, target, reviewer.strip(), comment, now)
    review = product_reviewed_payload(
        product, action=action, from_stage=stage, comment=(comment or "").strip(),
        reviewer=reviewer.strip(), at=now,
    )  # fmt: skip
    await queue_event(
        session,
        merchant_id=product.merchant_id,
        event=WebhookEvent.PRODUCT_REVIEWED,
        data=review,
        now=now,
    )
    return product


async def product_history(session: AsyncSession, product_id: int) -> list[ProductReview]:
    """Every submission and review of a product, oldest first."""
    query = (
        select(ProductReview)
        .where(ProductReview.product_id == product_id)
        .order_by(ProductReview.created_at, ProductReview.id)
    )
    return list((await session.scalars(query)).all())


async def _stage_sent_back(session: AsyncSession, product_id: int) -> ApprovalStage:
    """The submitted stage that the last `request_changes` sent back to the merchant."""
    from_stage = await session.scalar(
        select(ProductReview.from_stage)
        .where(
            ProductReview.product_id == product_id,
            ProductReview.action == ReviewAction.REQUEST_CHANGES,
        )
        .order_by(ProductReview.id.desc())
        .limit(1)
    )
    return from_stage or ApprovalStage.CONCEPT_SUBMITTED


async def _move(
    session: AsyncSession,
    product: Product,
    action: ReviewAction,
    target: ApprovalStage,
    actor: str,
    comment: str,
    now: datetime,
) -> Product:
    session.add(
        ProductReview(
            product_id=product.id,
            action=action,
            from_stage=product.approval_stage,
            to_stage=target,
            actor=actor,
            comment=(comment or "").strip(),
            created_at=now,
        )
    )
    product.approval_stage = target
    product.updated_at = now
    await session.flush()
    return product
