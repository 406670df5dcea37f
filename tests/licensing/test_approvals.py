"""Product approval (SPEC §3): the stage machine, who may do what, and the history."""

from __future__ import annotations

import pytest

from catalog.models import ApprovalStage
from kernel.errors import DomainError
from licensing.accounts import Viewer
from licensing.approvals import product_history, review_product, submit_product
from tests import factory as F

NOW = F.at("2026-02-01T09:00")


async def _draft(session):
    agreement, product = await F.licensing_world(session)
    product.approval_stage = ApprovalStage.DRAFT
    await session.flush()
    return agreement.merchant_id, product


async def test_a_design_goes_concept_then_sample_then_approved_with_full_history(db):
    async with db.session() as session:
        merchant_id, product = await _draft(session)
        await submit_product(session, product.id, merchant_id=merchant_id, comment="v1", now=NOW)
        await review_product(session, product.id, decision="approve", reviewer="ana", now=NOW)
        await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        done = await review_product(
            session, product.id, decision="approve", reviewer="bo", comment="ship it", now=NOW
        )
        history = await product_history(session, product.id)
    assert done.approval_stage == ApprovalStage.APPROVED
    assert [(h.action.value, h.from_stage.value, h.to_stage.value, h.actor) for h in history] == [
        ("submit", "draft", "concept_submitted", f"merchant:{merchant_id}"),
        ("approve", "concept_submitted", "concept_approved", "ana"),
        ("submit", "concept_approved", "sample_submitted", f"merchant:{merchant_id}"),
        ("approve", "sample_submitted", "approved", "bo"),
    ]
    assert [h.comment for h in history] == ["v1", "", "", "ship it"]


async def test_changes_requested_go_back_to_the_stage_that_was_asked_to_change(db):
    async with db.session() as session:
        merchant_id, product = await _draft(session)
        await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        await review_product(session, product.id, decision="approve", reviewer="ana", now=NOW)
        await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        await review_product(
            session, product.id, decision="request_changes", reviewer="ana",
            comment="darker print", now=NOW,
        )  # fmt: skip
        assert product.approval_stage == ApprovalStage.CHANGES_REQUESTED
        again = await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        assert again.approval_stage == ApprovalStage.SAMPLE_SUBMITTED
        history = await product_history(session, product.id)
    assert history[-2].comment == "darker print"
    assert len(history) == 5


async def test_a_merchant_cannot_approve_nor_skip_a_stage(db):
    async with db.session() as session:
        merchant_id, product = await _draft(session)
        await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        with pytest.raises(DomainError) as forbidden:
            await review_product(
                session, product.id, decision="approve", reviewer="merchant", now=NOW,
                viewer=Viewer(merchant_id=merchant_id, name="merchant"),
            )  # fmt: skip
        with pytest.raises(DomainError) as skip:
            await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        with pytest.raises(DomainError) as other:
            await submit_product(session, product.id, merchant_id=merchant_id + 99, now=NOW)
    assert forbidden.value.code == "FORBIDDEN"
    assert skip.value.code == "INVALID_TRANSITION"
    assert other.value.code == "NOT_FOUND"
    assert product.approval_stage == ApprovalStage.CONCEPT_SUBMITTED


async def test_a_rejected_product_stays_rejected(db):
    async with db.session() as session:
        merchant_id, product = await _draft(session)
        await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        await review_product(
            session, product.id, decision="reject", reviewer="ana", comment="no", now=NOW
        )
        with pytest.raises(DomainError) as resubmit:
            await submit_product(session, product.id, merchant_id=merchant_id, now=NOW)
        with pytest.raises(DomainError) as approve:
            await review_product(session, product.id, decision="approve", reviewer="ana", now=NOW)
    assert resubmit.value.code == approve.value.code == "PRODUCT_REJECTED"
    assert product.approval_stage == ApprovalStage.REJECTED


async def test_only_a_product_awaiting_review_can_be_reviewed(db):
    async with db.session() as session:
        _, product = await _draft(session)
        with pytest.raises(DomainError) as refused:
            await review_product(session, product.id, decision="approve", reviewer="ana", now=NOW)
    assert refused.value.code == "INVALID_TRANSITION"
