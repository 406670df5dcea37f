"""Bundle offers: what a ticket-plus-merch offer may contain and cost (SPEC §5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from catalog.bundles import allocate_bundle, bundle_offers_for_film, create_bundle_offer
from catalog.models import ApprovalStage, Category
from kernel.db import Database
from kernel.errors import DomainError
from tests.catalog.conftest import NOW, World
from tests.factory import make_agreement, make_product

# The merch a test adds: a 20.00 poster, five in stock.
MERCH: dict[str, Any] = {"category": Category.POSTERS, "price_minor": 2000, "stock": 5}


def offer_args(world: World, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        film_id=world.film.id, code="SH-OPENING", name="Opening night pack",
        price_minor=19900, currency="USD", valid_from=NOW, valid_to=NOW + timedelta(days=30),
        per_order_limit=4, components=[(world.tshirt.id, 1), (world.poster.id, 1)],
    )  # fmt: skip
    args.update(overrides)
    return args


async def test_only_approved_merch_can_be_bundled(db: Database, world: World) -> None:
    """A bundle is public, so it must not reveal merch still in approval."""
    async with db.session() as session:
        draft = await make_product(
            session,
            world.agreement,
            world.film.id,
            sku="SH-DRAFT",
            stage=ApprovalStage.DRAFT,
            **MERCH,
        )
        with pytest.raises(DomainError) as caught:
            await create_bundle_offer(
                session, **offer_args(world, components=[(draft.id, 1)], price_minor=5000)
            )
    assert (caught.value.code, caught.value.field) == ("COMPONENT_NOT_APPROVED", "components")


async def test_an_offer_is_created_with_its_components_in_order(db: Database, world: World) -> None:
    async with db.session() as session:
        # A sequel poster is merch of the same franchise: allowed in the first film's bundle.
        sequel_poster = await make_product(
            session, world.agreement, world.sequel.id, sku="SH2-POSTER", **MERCH
        )
        components = [(world.tshirt.id, 1), (world.poster.id, 2), (sequel_poster.id, 1)]
        offer = await create_bundle_offer(
            session, **offer_args(world, components=components, price_minor=25000)
        )
    assert [(c.position, c.product_id, c.qty) for c in offer.components] == [
        (1, world.tshirt.id, 1),
        (2, world.poster.id, 2),
        (3, sequel_poster.id, 1),
    ]
    parts = allocate_bundle(offer, world.showtime)
    assert sum(p.amount_minor for p in parts) == 25000
    async with db.read_session() as session:
        listed = await bundle_offers_for_film(session, world.film.id, now=NOW)
        ended = await bundle_offers_for_film(session, world.film.id, now=NOW + timedelta(days=31))
    assert [o.code for o in listed] == ["SH-OPENING"]
    assert [c.product.sku for c in listed[0].components] == ["SH-TEE-M", "SH-POSTER", "SH2-POSTER"]
    assert ended == []


async def test_offer_rules(db: Database, world: World) -> None:
    async with db.session() as session:
        await create_bundle_offer(session, **offer_args(world, code="SH-TAKEN", price_minor=100))
        quiz = await make_product(
            session, world.agreement, world.other_film.id, sku="QF-POSTER", **MERCH
        )
        euro = await make_agreement(
            session,
            merchant_id=world.merchant.id,
            film_ids=[world.film.id],
            code="LA-EUR",
            currency="EUR",
        )
        euro_tee = await make_product(session, euro, world.film.id, sku="SH-TEE-EU", **MERCH)
        tee = world.tshirt.id
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("a zero price", {"price_minor": 0}, "INVALID_PRICE"),
            ("an empty window", {"valid_to": NOW}, "INVALID_WINDOW"),
            ("a per-order limit of 0", {"per_order_limit": 0}, "INVALID_QUANTITY"),
            ("no merch", {"components": []}, "EMPTY_BUNDLE"),
            ("a component of qty 0", {"components": [(tee, 0)]}, "INVALID_QUANTITY"),
            ("a product twice", {"components": [(tee, 1), (tee, 1)]}, "DUPLICATE_COMPONENT"),
            ("an unknown product", {"components": [(tee, 1), (999_999, 1)]}, "NOT_FOUND"),
            (
                "merch of an unrelated film",
                {"components": [(tee, 1), (quiz.id, 1)]},
                "COMPONENT_NOT_OF_FILM",
            ),
            ("merch in euros", {"components": [(euro_tee.id, 1)]}, "CURRENCY_MISMATCH"),
            ("a bundle in euros", {"currency": "EUR"}, "CURRENCY_MISMATCH"),
            # 60.00 ticket + 129.00 T-shirt + 39.00 poster = 228.00: one cent more is refused.
            ("above its parts", {"price_minor": 22801}, "BUNDLE_PRICE_ABOVE_PARTS"),
            ("a taken code", {"code": "SH-TAKEN"}, "DUPLICATE"),
        ]
        for case, overrides, code in cases:
            with pytest.raises(DomainError) as refused:
                await create_bundle_offer(session, **offer_args(world, **overrides))
            assert refused.value.code == code, case


async def test_a_discounted_bundle_at_exactly_the_parts_price_is_allowed(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        offer = await create_bundle_offer(session, **offer_args(world, price_minor=22800))
    assert offer.price_minor == 22800
