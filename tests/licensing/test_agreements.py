"""Agreements (SPEC §3): validated terms and guarded status changes."""

from __future__ import annotations

from datetime import date

import pytest

from kernel.errors import DomainError
from licensing.agreements import get_agreement, set_agreement_status
from licensing.models import AgreementStatus
from tests import factory as F

NOW = F.at("2026-02-01T00:00")


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"territories": ["US", "XX"]}, "INVALID_TERRITORY", "territories"),
        ({"territories": ["USA"]}, "INVALID_TERRITORY", "territories"),
        ({"channels": ["mail_order"]}, "INVALID_CHANNEL", "channels"),
        ({"categories": ["weapons"]}, "INVALID_CATEGORY", "categories"),
        ({"end_date": date(2025, 12, 31)}, "INVALID_TERM", "endDate"),
        ({"rate_bps": 10001}, "INVALID_RATE", "rateBps"),
        ({"bundle_rate_bps": -1}, "INVALID_RATE", "bundleRateBps"),
        ({"tiers": [(100, 800)]}, "INVALID_TIERS", "tiers"),
        ({"tiers": [(0, 800), (5000, 900), (5000, 1000)]}, "INVALID_TIERS", "tiers"),
        ({"advance_minor": -1}, "INVALID", "advanceMinor"),
        ({"minimum_guarantee_minor": -5}, "INVALID", "minimumGuaranteeMinor"),
        ({"currency": "XYZ"}, "UNKNOWN_CURRENCY", "currency"),
    ],
)
async def test_invalid_terms_are_refused_naming_the_field(db, overrides, code, field):
    async with db.session() as session:
        f = await F.make_film(session)
        m = await F.make_merchant(session)
        with pytest.raises(DomainError) as refused:
            await F.make_agreement(session, merchant_id=m.id, film_ids=[f.id], **overrides)
    assert (refused.value.code, refused.value.field) == (code, field)


async def test_an_agreement_keeps_its_terms_and_a_duplicate_code_is_refused(db):
    async with db.session() as session:
        f = await F.make_film(session)
        m = await F.make_merchant(session)
        created = await F.make_agreement(
            session, merchant_id=m.id, film_ids=[f.id], code="LA-2026-0042",
            territories=["us", "gb"], tiers=[(0, 800), (100000, 1200)],
        )  # fmt: skip
        with pytest.raises(DomainError) as duplicate:
            await F.make_agreement(session, merchant_id=m.id, film_ids=[f.id], code="LA-2026-0042")
    assert duplicate.value.code == "DUPLICATE"
    async with db.read_session() as session:
        loaded = await get_agreement(session, created.id)
    assert sorted(t.country for t in loaded.territories) == ["GB", "US"]
    assert [(t.threshold_minor, t.rate_bps) for t in loaded.tiers] == [(0, 800), (100000, 1200)]


async def test_status_moves_draft_active_terminated_and_never_back(db):
    async with db.session() as session:
        f = await F.make_film(session)
        m = await F.make_merchant(session)
        a = await F.make_agreement(
            session, merchant_id=m.id, film_ids=[f.id], status=AgreementStatus.DRAFT
        )
        with pytest.raises(DomainError) as skip:
            await set_agreement_status(session, a.id, AgreementStatus.EXPIRED, now=NOW)
        await set_agreement_status(session, a.id, AgreementStatus.ACTIVE, now=NOW)
        await set_agreement_status(session, a.id, AgreementStatus.TERMINATED, now=NOW)
        with pytest.raises(DomainError) as back:
            await set_agreement_status(session, a.id, AgreementStatus.ACTIVE, now=NOW)
    assert skip.value.code == back.value.code == "INVALID_STATUS_CHANGE"
    assert a.status == AgreementStatus.TERMINATED
