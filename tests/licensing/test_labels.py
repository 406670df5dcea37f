"""Label batches and verification (SPEC §10): who may ask, how many, what a code says."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.models import ApprovalStage
from kernel.errors import DomainError
from licensing.agreements import set_agreement_status
from licensing.label_batches import (
    MAX_BATCH,
    batch_codes,
    request_labels,
    verification_network,
    verify_label,
)
from licensing.label_models import LabelBatch, LabelCode, LabelVerification
from licensing.labels import display, parse_code
from licensing.models import AgreementStatus
from tests import factory as F

NOW = F.at("2026-08-10T12:00")


async def test_a_merchant_gets_a_batch_of_unique_codes_for_its_approved_product(db) -> None:
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session)
        batch = await request_labels(
            session, product_id=tee.id, quantity=12_001, merchant_id=agreement.merchant_id,
            requested_by="merchant:acme", now=NOW,
        )  # fmt: skip
        found = await batch_codes(session, batch.id, merchant_id=agreement.merchant_id)
    assert found is not None
    got, product, codes = found
    assert (got.quantity, got.agreement_id, product.id) == (12_001, agreement.id, tee.id)
    assert len(codes) == len(set(codes)) == 12_001  # three chunks, every code unique
    assert all(parse_code(display(code)) == code for code in codes[:100])


async def test_label_requests_refuse_bad_quantities_unapproved_and_foreign_products(db) -> None:
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session)
        other, rival_tee = await F.licensing_world(session)
        draft = await F.make_product(session, agreement, tee.film_id, stage=ApprovalStage.DRAFT)
    mine = agreement.merchant_id
    cases = [
        (dict(product_id=tee.id, quantity=MAX_BATCH + 1), "TOO_MANY_LABELS", "quantity"),
        (dict(product_id=tee.id, quantity=0), "INVALID_QUANTITY", "quantity"),
        (dict(product_id=tee.id, quantity=-5), "INVALID_QUANTITY", "quantity"),
        (dict(product_id=draft.id, quantity=5), "NOT_APPROVED", "product_id"),
        (dict(product_id=rival_tee.id, quantity=5), "NOT_FOUND", "product_id"),
        (dict(product_id=999_999, quantity=5), "NOT_FOUND", "product_id"),
    ]
    for kwargs, code, field in cases:
        with pytest.raises(DomainError) as refused:
            async with db.session() as session:
                await request_labels(session, merchant_id=mine, requested_by="m", now=NOW, **kwargs)
        assert (refused.value.code, refused.value.field) == (code, field), kwargs
    async with db.session() as session:
        await set_agreement_status(session, agreement.id, AgreementStatus.TERMINATED, now=NOW)
    with pytest.raises(DomainError) as terminated:
        async with db.session() as session:
            await request_labels(
                session, product_id=tee.id, quantity=1, merchant_id=mine, requested_by="m",
                now=NOW,
            )  # fmt: skip
    assert terminated.value.code == "AGREEMENT_NOT_ACTIVE"
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(LabelBatch)) == 0
        assert await session.scalar(select(func.count()).select_from(LabelCode)) == 0
    # Staff (no merchant) may ask for any merchant's approved product.
    async with db.session() as session:
        batch = await request_labels(
            session, product_id=rival_tee.id, quantity=3, merchant_id=None,
            requested_by="staff:desk", now=NOW,
        )  # fmt: skip
        assert batch.merchant_id == other.merchant_id
        assert await batch_codes(session, batch.id, merchant_id=mine) is None


async def test_a_verification_names_the_product_and_is_counted(db) -> None:
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session)
        batch = await request_labels(
            session, product_id=tee.id, quantity=2, merchant_id=None, requested_by="s", now=NOW
        )
        _, _, codes = await batch_codes(session, batch.id, merchant_id=None)
    typed = display(codes[0]).lower().replace("-", " ")
    async with db.session() as session:
        first = await verify_label(session, parse_code(typed), now=NOW, network="192.0.2.0/24")
        second = await verify_label(session, codes[0], now=NOW, network=None)
        unknown = await verify_label(session, "0" * 12 + "0", now=NOW, network=None)
    assert first is not None and second is not None and unknown is None
    assert (first.sku, first.agreement_code, first.licensed_now) == (tee.sku, agreement.code, True)
    assert (first.verifications, second.verifications) == (1, 2)
    async with db.session() as session:
        await set_agreement_status(session, agreement.id, AgreementStatus.TERMINATED, now=NOW)
        ended = await verify_label(session, codes[1], now=NOW, network=None)
        rows = await session.scalar(select(func.count()).select_from(LabelVerification))
    assert ended is not None and ended.licensed_now is False
    assert rows == 3


def test_verifications_keep_a_network_never_an_address() -> None:
    assert verification_network("203.0.113.77") == "203.0.113.0/24"
    assert verification_network("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert verification_network("2001:db8:1:2:3::9") == "2001:db8:1::/48"
    assert verification_network("testclient") is None
    assert verification_network(None) is None
