"""An archived film is hidden from the public, so nothing new is put on sale for it: no
showtime (one or a schedule), no bundle offer of it, no bundle holding its merch."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.bundles import create_bundle_offer
from catalog.film_admin import archive_film, unarchive_film
from catalog.models import BundleOffer, Showtime
from catalog.scheduling import create_showtime, schedule_showtimes
from catalog.screens import create_screen
from kernel.db import Database
from kernel.errors import DomainError
from tests.catalog.conftest import NOW, World
from tests.factory import make_product


async def _counts(db: Database) -> tuple[int, int]:
    async with db.read_session() as session:
        shows = await session.scalar(select(func.count()).select_from(Showtime))
        offers = await session.scalar(select(func.count()).select_from(BundleOffer))
    return shows, offers


async def test_an_archived_film_gets_no_showtime_nor_bundle(db: Database, world: World) -> None:
    # Given the film archived by staff, and a free screen
    async with db.session() as session:
        await archive_film(session, world.film.id, now=NOW)
        screen = await create_screen(session, cinema_id=world.cinema.id, name="Annex", capacity=50)
    before = await _counts(db)
    refusals = []
    # When staff schedule it (one showtime, a week of them) or offer a bundle of it
    async with db.session() as session:
        with pytest.raises(DomainError) as one:
            await create_showtime(
                session, film_id=world.film.id, screen_id=screen.id,
                starts_at=NOW + timedelta(days=2), price_minor=1200, currency="USD", now=NOW,
            )  # fmt: skip
        refusals.append(one.value)
        with pytest.raises(DomainError) as week:
            await schedule_showtimes(
                session, film_id=world.film.id, screen_id=screen.id, times=["14:30", "19:30"],
                from_date=date(2026, 7, 3), to_date=date(2026, 7, 9), price_minor=1200,
                currency="USD", now=NOW,
            )  # fmt: skip
        refusals.append(week.value)
        with pytest.raises(DomainError) as bundle:
            await create_bundle_offer(
                session, film_id=world.film.id, code="ARCH", name="Pack", price_minor=1000,
                currency="USD", valid_from=NOW, valid_to=NOW + timedelta(days=9),
                per_order_limit=2, components=[(world.tshirt.id, 1)],
            )  # fmt: skip
        refusals.append(bundle.value)
    # Then each is refused naming the film, and nothing is stored
    assert [(e.code, e.field) for e in refusals] == [("FILM_ARCHIVED", "film_id")] * 3
    assert "archived" in refusals[0].message
    assert await _counts(db) == before


async def test_a_sequel_bundle_may_not_hold_merch_of_an_archived_film(
    db: Database, world: World
) -> None:
    # Given the sequel archived; the first film's bundle names a sequel product
    async with db.session() as session:
        await archive_film(session, world.sequel.id, now=NOW)
    async with db.session() as session:
        sequel_product = await _sequel_product(session, world)
        with pytest.raises(DomainError) as refused:
            await create_bundle_offer(
                session, film_id=world.film.id, code="MIX", name="Mix", price_minor=1000,
                currency="USD", valid_from=NOW, valid_to=NOW + timedelta(days=9),
                per_order_limit=2, components=[(world.tshirt.id, 1), (sequel_product, 1)],
            )  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("FILM_ARCHIVED", "components")
    # When the sequel is brought back, the same bundle is accepted
    async with db.session() as session:
        await unarchive_film(session, world.sequel.id)
    async with db.session() as session:
        offer = await create_bundle_offer(
            session, film_id=world.film.id, code="MIX", name="Mix", price_minor=1000,
            currency="USD", valid_from=NOW, valid_to=NOW + timedelta(days=9),
            per_order_limit=2, components=[(world.tshirt.id, 1), (sequel_product, 1)],
        )  # fmt: skip
    assert offer.code == "MIX"


async def _sequel_product(session: Any, world: World) -> int:
    product = await make_product(
        session, world.agreement, world.sequel.id, sku="SEQ-POSTER", category="posters",
        price_minor=2000, stock=5,
    )  # fmt: skip
    return product.id
