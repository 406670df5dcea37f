"""Merchant products: created under the merchant's own agreement, within its terms."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.models import ApprovalStage, Category
from catalog.products import (
    MAX_STOCK,
    adjust_stock,
    create_product,
    get_product,
    update_product,
)
from kernel.db import Database
from kernel.errors import DomainError
from licensing.models import AgreementStatus
from tests.catalog.conftest import World
from tests.factory import make_agreement


def product_args(world: World, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        merchant_id=world.merchant.id, agreement_id=world.agreement.id, film_id=world.film.id,
        sku="SH-MUG", name="Star Harbor mug", category=Category.POSTERS, price_minor=1500,
        currency="USD", stock=10,
    )  # fmt: skip
    args.update(overrides)
    return args


async def test_a_new_product_starts_as_a_draft(db: Database, world: World) -> None:
    async with db.session() as session:
        product = await create_product(session, **product_args(world, description=" mug "))
    assert product.approval_stage == ApprovalStage.DRAFT
    assert (product.sku, product.stock, product.description) == ("SH-MUG", 10, "mug")


async def test_product_creation_rules(db: Database, world: World) -> None:
    rival = {"agreement_id": world.rival_agreement.id}
    # The rival's agreement covers only the first film, not the sequel.
    uncovered = {
        "merchant_id": world.rival.id,
        "agreement_id": world.rival_agreement.id,
        "film_id": world.sequel.id,
    }
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("another merchant's agreement", rival, "NOT_FOUND", "agreement_id"),
        ("a film the agreement does not cover", uncovered, "FILM_NOT_COVERED", "film_id"),
        ("a category not allowed", {"category": Category.TOYS}, "CATEGORY_NOT_ALLOWED", "category"),
        ("not the agreement's currency", {"currency": "EUR"}, "CURRENCY_MISMATCH", "currency"),
        ("a taken SKU", {"sku": "SH-TEE-M"}, "DUPLICATE", "sku"),
        ("a zero price", {"price_minor": 0}, "INVALID_PRICE", "price_minor"),
        ("negative stock", {"stock": -1}, "INVALID_QUANTITY", "stock"),
        ("stock past 32 bits", {"stock": 2**31 - 1}, "INVALID_QUANTITY", "stock"),
        ("an unknown category", {"category": "weapons"}, "INVALID", "category"),
        ("an unknown currency", {"currency": "XXX"}, "UNKNOWN_CURRENCY", "currency"),
    ]
    async with db.session() as session:
        for case, overrides, code, field in cases:
            with pytest.raises(DomainError) as refused:
                await create_product(session, **product_args(world, **overrides))
            assert (refused.value.code, refused.value.field) == (code, field), case


async def test_no_new_products_under_a_terminated_agreement(db: Database, world: World) -> None:
    async with db.session() as session:
        ended = await make_agreement(
            session,
            merchant_id=world.merchant.id,
            film_ids=[world.film.id],
            code="LA-OLD",
            status=AgreementStatus.TERMINATED,
        )
        with pytest.raises(DomainError) as refused:
            await create_product(session, **product_args(world, agreement_id=ended.id))
    assert refused.value.code == "AGREEMENT_CLOSED"


async def test_a_merchant_updates_its_own_product(db: Database, world: World) -> None:
    async with db.session() as session:
        await update_product(
            session, world.tshirt.id, merchant_id=world.merchant.id, name="Tee", price_minor=9900
        )
    async with db.read_session() as session:
        product = await get_product(session, world.tshirt.id)
    assert (product.name, product.price_minor) == ("Tee", 9900)


async def test_another_merchants_product_is_not_found_not_forbidden(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        with pytest.raises(DomainError) as on_update:
            await update_product(session, world.tshirt.id, merchant_id=world.rival.id, name="x")
        with pytest.raises(DomainError) as on_stock:
            await adjust_stock(session, world.tshirt.id, 5, merchant_id=world.rival.id)
    assert on_update.value.code == on_stock.value.code == "NOT_FOUND"


async def test_only_name_description_price_and_image_can_be_changed(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await update_product(session, world.tshirt.id, merchant_id=None, stock=1000)
        with pytest.raises(DomainError) as bad_price:
            await update_product(session, world.tshirt.id, merchant_id=None, price_minor=-5)
    assert (refused.value.code, refused.value.field) == ("INVALID", "stock")
    assert bad_price.value.code == "INVALID_PRICE"


async def test_stock_is_adjusted_but_never_below_zero(db: Database, world: World) -> None:
    async with db.session() as session:
        added = await adjust_stock(session, world.tshirt.id, 5, merchant_id=world.merchant.id)
        assert added.stock == 55
        removed = await adjust_stock(session, world.tshirt.id, -55, merchant_id=None)
        assert removed.stock == 0
        with pytest.raises(DomainError) as refused:
            await adjust_stock(session, world.tshirt.id, -1, merchant_id=None)
        with pytest.raises(DomainError) as zero:
            await adjust_stock(session, world.tshirt.id, 0, merchant_id=None)
    assert refused.value.code == "OUT_OF_STOCK"
    assert zero.value.code == "INVALID_QUANTITY"
    async with db.read_session() as session:
        assert (await get_product(session, world.tshirt.id)).stock == 0


async def test_stock_stays_within_what_the_column_holds(db: Database, world: World) -> None:
    """Found by a hostile review: adding 2**31 - 1 units was a 500 on PostgreSQL and, on
    SQLite, a stock no GraphQL read could serve again. Stock stays within MAX_STOCK."""
    async with db.session() as session:
        topped = await adjust_stock(session, world.tshirt.id, MAX_STOCK - 50, merchant_id=None)
        assert topped.stock == MAX_STOCK
        with pytest.raises(DomainError) as past:
            await adjust_stock(session, world.tshirt.id, 1, merchant_id=None)
        with pytest.raises(DomainError) as huge:
            await adjust_stock(session, world.tshirt.id, 2**31 - 1, merchant_id=None)
    assert (past.value.code, past.value.field) == ("INVALID_QUANTITY", "delta")
    assert (huge.value.code, huge.value.field) == ("INVALID_QUANTITY", "delta")
    async with db.read_session() as session:
        assert (await get_product(session, world.tshirt.id)).stock == MAX_STOCK


async def test_a_product_name_with_a_direction_override_is_refused(
    db: Database, world: World
) -> None:
    """Shown to shoppers as given: an override reorders what they read."""
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await update_product(session, world.tshirt.id, merchant_id=None, name="Mug \u202egum")
    assert (refused.value.code, refused.value.field) == ("INVALID", "name")
    async with db.read_session() as session:
        assert "\u202e" not in (await get_product(session, world.tshirt.id)).name
