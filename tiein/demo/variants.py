"""The demo's T-shirt with sizes: an approved tee of Starfall Rising in S, M, L and XL (XL
dearer), each with its own SKU and stock, added once the history is placed (the history
sells products without variants)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.products import create_product, merchant_sku
from catalog.variants import create_variant
from licensing.approvals import review_product, submit_product
from tiein.demo.catalog import World

TEE = ("LA-2026-0001", "starfall-rising", "Starfall Rising Crew Tee", 3200)
SIZES = [("S", 40, None), ("M", 60, None), ("L", 50, None), ("XL", 20, 3400)]


async def size_a_tee(session: AsyncSession, world: World) -> int:
    """Create the sized tee; returns how many sizes it has."""
    code, film, name, price = TEE
    agreement = world.agreements[code]
    now = datetime.now(UTC)
    product = await create_product(
        session,
        merchant_id=agreement.merchant_id,
        agreement_id=agreement.id,
        film_id=world.films[film].id,
        sku=merchant_sku(agreement.merchant_id, "APP-TEE"),
        name=name,
        category="apparel",
        price_minor=price,
        currency=agreement.currency,
        description="The crew's own tee, in four sizes.",
    )
    for comment in ("Concept art attached.", "Production sample shipped."):
        await submit_product(
            session, product.id, merchant_id=product.merchant_id, comment=comment, now=now
        )
        await review_product(
            session, product.id, decision="approve", reviewer="demo", comment="OK", now=now
        )
    for size, stock, own_price in SIZES:
        await create_variant(
            session, product.id, merchant_id=agreement.merchant_id, code=f"APP-TEE-{size}",
            options=[("size", size)], stock=stock, price_minor=own_price,
        )  # fmt: skip
    world.products[name] = product
    return len(SIZES)
