"""Variants keep their own stock and their product's total in step (issue 12 "Variants"):
`take_items` takes a variant's units all or nothing in the fixed lock order, a Shortage
names the variant; the first variant needs the product's own stock at 0; SKUs follow the
prefix rule and are unique among products and variants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.models import Product, Variant
from catalog.products import adjust_stock, create_product, sku_prefix
from catalog.stock import Shortage, return_items, take_items
from catalog.variants import adjust_variant_stock, create_variant, update_variant
from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from tests.catalog.conftest import World


async def sizes(db: Database, world: World) -> dict[str, int]:
    async with db.session() as s:
        await adjust_stock(s, world.tshirt.id, -50, merchant_id=None)
        made = {}
        for size, stock in (("M", 10), ("L", 5)):
            v = await create_variant(
                s, world.tshirt.id, merchant_id=world.merchant.id, code=f"T-{size}",
                options={"size": size}, stock=stock,
            )  # fmt: skip
            made[size] = v.id
    return made


async def levels(db: Database, world: World) -> tuple[int, dict[str, int]]:
    async with db.read_session() as s:
        total = await s.scalar(select(Product.stock).where(Product.id == world.tshirt.id))
        rows = await s.execute(select(Variant.options, Variant.stock).order_by(Variant.id))
        return int(total or 0), {opts[2:-2]: stock for opts, stock in rows.all()}


async def test_a_variant_take_moves_the_variant_and_the_total_all_or_nothing(
    db: Database, world: World
) -> None:
    ids = await sizes(db, world)
    assert await levels(db, world) == (15, {"M": 10, "L": 5})
    async with db.session() as s:
        await take_items(s, seats={world.showtime.id: 1}, units={world.poster.id: 1},
                         variants={ids["M"]: 4})  # fmt: skip
        with pytest.raises(Shortage) as short:
            # L has 5: nothing of this second take stays, not even M's units or the seat.
            await take_items(s, seats={world.showtime.id: 1}, units={},
                             variants={ids["M"]: 1, ids["L"]: 6})  # fmt: skip
    assert short.value.variant_id == ids["L"] and short.value.product_id == world.tshirt.id
    assert short.value.code == "OUT_OF_STOCK"
    assert await levels(db, world) == (11, {"M": 6, "L": 5})
    async with db.session() as s:
        await return_items(s, seats={}, units={}, variants={ids["M"]: 4})
    assert await levels(db, world) == (15, {"M": 10, "L": 5})


async def test_stock_rules_of_variants(db: Database, world: World) -> None:
    # The first variant is refused while the product holds stock of its own.
    async with db.session() as s:
        with pytest.raises(DomainError) as held:
            await create_variant(
                s, world.tshirt.id, merchant_id=None, code="T-S", options=[("size", "S")]
            )
    assert held.value.code == "PRODUCT_HAS_STOCK"
    ids = await sizes(db, world)
    async with db.session() as s:
        with pytest.raises(DomainError) as below_zero:
            await adjust_variant_stock(s, ids["L"], -6, merchant_id=None)
        await adjust_variant_stock(s, ids["L"], -5, merchant_id=None)
        with pytest.raises(DomainError) as plain:
            await adjust_stock(s, world.tshirt.id, 1, merchant_id=None)
        with pytest.raises(DomainError) as rival:
            await adjust_variant_stock(s, ids["M"], 1, merchant_id=world.rival.id)
        with pytest.raises(DomainError) as bad_price:
            await update_variant(s, ids["M"], merchant_id=None, price_minor=0)
        with pytest.raises(DomainError) as unknown_field:
            await update_variant(s, ids["M"], merchant_id=None, stock=99)
    assert below_zero.value.code == "OUT_OF_STOCK"
    assert plain.value.code == "VARIANT_REQUIRED"
    assert rival.value.code == "NOT_FOUND"
    assert (bad_price.value.code, unknown_field.value.code) == ("INVALID_PRICE", "INVALID")
    assert await levels(db, world) == (10, {"M": 10, "L": 0})


async def test_variant_skus_follow_the_prefix_rule_and_never_collide(
    db: Database, world: World
) -> None:
    ids = await sizes(db, world)
    prefix = sku_prefix(world.merchant.id)
    async with db.read_session() as s:
        skus = set((await s.scalars(select(Variant.sku))).all())
    assert skus == {f"{prefix}-T-M", f"{prefix}-T-L"}
    async with db.session() as s:
        # A product may not take a variant's SKU, nor a variant a taken one.
        with pytest.raises(DomainError) as as_product:
            await create_product(
                s, merchant_id=world.merchant.id, agreement_id=world.agreement.id,
                film_id=world.film.id, sku=f"{prefix}-T-M", name="Clash", category="apparel",
                price_minor=100, currency="USD",
            )  # fmt: skip
        with pytest.raises(DomainErrors) as several:
            await create_variant(
                s, world.tshirt.id, merchant_id=None, code="T-M",
                options=[("size", "M"), ("size", "L")], price_minor=-1, stock=10**12,
            )  # fmt: skip
    assert as_product.value.code == "DUPLICATE"
    assert {(e.field, e.code) for e in several.value.errors} == {
        ("code", "DUPLICATE"),
        ("options", "INVALID"),
        ("price_minor", "INVALID_PRICE"),
        ("stock", "INVALID_QUANTITY"),
    }
    assert len(ids) == 2
