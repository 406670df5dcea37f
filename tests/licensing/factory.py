"""Builders for licensing scenarios: a film, a merchant, an agreement and its products."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Category, Film, Product
from licensing.agreements import create_agreement
from licensing.models import Agreement, AgreementStatus, Channel, Merchant

_seq = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-08-14T10:00' → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def film(session: AsyncSession, slug: str | None = None) -> Film:
    n = next(_seq)
    row = Film(
        slug=slug or f"film-{n}",
        title=f"Film {n}",
        release_date=date(2026, 5, 1),
        runtime_minutes=120,
    )
    session.add(row)
    await session.flush()
    return row


async def merchant(session: AsyncSession, slug: str | None = None) -> Merchant:
    n = next(_seq)
    row = Merchant(
        slug=slug or f"merchant-{n}", name=f"Merchant {n}", country="US", contact_email="m@x.io"
    )
    session.add(row)
    await session.flush()
    return row


async def agreement(
    session: AsyncSession,
    *,
    merchant_id: int,
    film_ids: list[int],
    **overrides: Any,
) -> Agreement:
    terms: dict[str, Any] = {
        "code": f"LA-2026-{next(_seq):04d}",
        "categories": [c.value for c in Category],
        "territories": ["US", "GB", "JP"],
        "channels": [c.value for c in Channel],
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "currency": "USD",
        "rate_bps": 1000,
        "status": AgreementStatus.ACTIVE,
    }
    terms.update(overrides)
    return await create_agreement(session, merchant_id=merchant_id, film_ids=film_ids, **terms)


async def product(
    session: AsyncSession,
    agreement: Agreement,
    film_id: int,
    *,
    sku: str | None = None,
    price_minor: int = 2500,
    category: Category = Category.APPAREL,
    stage: ApprovalStage = ApprovalStage.APPROVED,
) -> Product:
    row = Product(
        sku=sku or f"SKU-{next(_seq)}",
        merchant_id=agreement.merchant_id,
        agreement_id=agreement.id,
        film_id=film_id,
        name="Poster tee",
        category=category,
        price_minor=price_minor,
        currency=agreement.currency,
        stock=100,
        approval_stage=stage,
    )
    session.add(row)
    await session.flush()
    return row


async def world(session: AsyncSession, **agreement_terms: Any) -> tuple[Agreement, Product]:
    """One merchant, one film, one active agreement (10% flat unless overridden), one
    approved product."""
    f = await film(session)
    m = await merchant(session)
    a = await agreement(session, merchant_id=m.id, film_ids=[f.id], **agreement_terms)
    p = await product(session, a, f.id)
    return a, p
