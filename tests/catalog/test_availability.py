"""Bundle availability for a film page (SPEC §5): min(free seats, stock // qty), and 0 with
the reason when the bundle cannot be sold at that showtime."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from catalog.bundles import create_bundle_offer, get_bundle_offer
from catalog.models import BundleOffer, Showtime
from catalog.products import adjust_stock
from catalog.showtimes import showtimes_for_film
from catalog.stock import take_seats, take_stock
from kernel.db import Database
from licensing.models import Agreement
from orders.availability import Availability, bundle_availability, offer_availability
from tests.catalog.conftest import NOW, World
from tests.factory import make_cinema, make_showtime


async def make_offer(db: Database, world: World, code: str = "SH-PACK", **kw: Any) -> BundleOffer:
    args: dict[str, Any] = dict(
        film_id=world.film.id, code=code, name="Pack", price_minor=19900, currency="USD",
        valid_from=NOW, valid_to=NOW + timedelta(days=30), per_order_limit=4,
        components=[(world.tshirt.id, 2), (world.poster.id, 1)],
    )  # fmt: skip
    args.update(kw)
    async with db.session() as session:
        offer = await create_bundle_offer(session, **args)
        return await get_bundle_offer(session, offer.id)


async def add_showtime(db: Database, world: World, **kw: Any) -> Showtime:
    """A showtime of the world's film and cinema in three days at 60.00, but for `kw`."""
    args: dict[str, Any] = dict(
        film_id=world.film.id, cinema_id=world.cinema.id, starts_at=NOW + timedelta(days=3),
        price_minor=6000,
    )  # fmt: skip
    async with db.session() as session:
        return await make_showtime(session, **{**args, **kw})


async def availability(
    db: Database, offer: BundleOffer, showtime: Showtime, now: Any = NOW
) -> Availability:
    async with db.read_session() as session:
        return await offer_availability(session, offer, showtime, now=now)


async def test_availability_is_the_least_of_seats_and_each_components_stock(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world)
    # 100 seats, 50 T-shirts // 2 = 25, 50 posters.
    assert await availability(db, offer, world.showtime) == Availability(25)
    async with db.session() as session:
        await take_seats(session, world.showtime.id, 90)
    assert await availability(db, offer, world.showtime) == Availability(10)


async def test_availability_goes_to_zero_when_the_last_seat_is_taken(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world)
    async with db.session() as session:
        await take_seats(session, world.showtime.id, 99)
    assert (await availability(db, offer, world.showtime)).available == 1
    async with db.session() as session:
        await take_seats(session, world.showtime.id, 1)
    assert await availability(db, offer, world.showtime) == Availability(
        0, "SOLD_OUT", "This showtime is sold out."
    )


async def test_availability_goes_to_zero_when_any_component_runs_out(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world)
    async with db.session() as session:
        await adjust_stock(session, world.tshirt.id, -47, merchant_id=None)  # 3 // 2 = 1
    assert (await availability(db, offer, world.showtime)).available == 1
    async with db.session() as session:
        await take_stock(session, world.tshirt.id, 2)  # 1 T-shirt: not enough for a bundle
    zero = await availability(db, offer, world.showtime)
    assert (zero.available, zero.refusal) == (0, "OUT_OF_STOCK")
    async with db.session() as session:
        await adjust_stock(session, world.tshirt.id, 9, merchant_id=None)
        await take_stock(session, world.poster.id, 50)  # the last poster goes
    zero = await availability(db, offer, world.showtime)
    assert (zero.available, zero.refusal) == (0, "OUT_OF_STOCK")
    assert zero.message == "Star Harbor poster is out of stock."


async def test_merch_not_licensed_in_the_cinemas_country_makes_the_bundle_unavailable(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        paris = await make_cinema(session, name="Lumière", city="Paris", country="FR")
    in_paris = await add_showtime(db, world, cinema_id=paris.id)
    offer = await make_offer(db, world)
    result = await availability(db, offer, in_paris)
    assert (result.available, result.refusal) == (0, "NOT_LICENSED_IN_TERRITORY")
    assert result.message == "Star Harbor T-shirt: not licensed for sale in France."
    # The same offer still sells in Boston.
    assert (await availability(db, offer, world.showtime)).available == 25


async def test_the_offer_window_the_clock_and_the_ticket_price_are_respected(
    db: Database, world: World
) -> None:
    offer = await make_offer(db, world, valid_to=NOW + timedelta(days=10))
    # Merch worth 258.00 plus the ticket: 300.00 is fair only with a ticket of 42.00 or more.
    pricey = await make_offer(
        db, world, code="SH-DELUXE", price_minor=30000, components=[(world.tshirt.id, 2)]
    )
    after_window = await add_showtime(db, world, starts_at=NOW + timedelta(days=12))
    # A 10.00 matinee added after the offers were created.
    matinee = await add_showtime(db, world, price_minor=1000)
    outside = await availability(db, offer, after_window)
    assert (outside.available, outside.refusal) == (0, "OFFER_NOT_VALID_FOR_SHOWTIME")
    started = await availability(db, offer, world.showtime, now=world.showtime.starts_at)
    assert (started.available, started.refusal) == (0, "SHOWTIME_IN_PAST")
    assert (await availability(db, offer, matinee)).available == 25
    assert (await availability(db, pricey, world.showtime)).available == 25
    above = await availability(db, pricey, matinee)
    assert (above.available, above.refusal) == (0, "BUNDLE_PRICE_ABOVE_PARTS")


async def test_pairs_of_different_films_are_left_out(db: Database, world: World) -> None:
    offer = await make_offer(db, world)
    other = await add_showtime(db, world, film_id=world.other_film.id)
    async with db.read_session() as session:
        found = await bundle_availability(session, [offer], [world.showtime, other], now=NOW)
    assert set(found) == {(offer.id, world.showtime.id)}


async def test_statements_do_not_grow_with_offers_and_showtimes(
    db: Database, world: World, query_counter: Any
) -> None:
    offers = [await make_offer(db, world, code=f"SH-{i}") for i in range(10)]
    for day in range(4):
        await add_showtime(db, world, starts_at=NOW + timedelta(days=3, hours=day))
    async with db.read_session() as session:
        showtimes = await showtimes_for_film(session, world.film.id, now=NOW)
        with query_counter() as one:
            small = await bundle_availability(session, offers[:1], showtimes[:1], now=NOW)
        with query_counter() as many:
            large = await bundle_availability(session, offers, showtimes, now=NOW)
    assert len(showtimes) == 5
    assert (len(small), len(large)) == (1, 50)
    assert one.count == many.count
    assert many.count <= 8  # showtimes, components with products, the agreement terms


async def test_bundle_merch_must_be_licensed_on_the_day_of_sale_too(
    db: Database, world: World
) -> None:
    """SPEC §3: the sale date counts. A term that starts after today but before the showtime
    does not allow selling the bundle today; once the term has begun, it does."""
    offer = await make_offer(db, world)
    showtime = await add_showtime(db, world)  # in three days
    async with db.session() as session:
        await session.execute(
            update(Agreement)
            .where(Agreement.id == world.agreement.id)
            .values(start_date=(NOW + timedelta(days=2)).date())
        )
    today = await availability(db, offer, showtime)
    assert (today.available, today.refusal) == (0, "OUTSIDE_TERM")
    later = await availability(db, offer, showtime, now=NOW + timedelta(days=2, hours=1))
    assert later == Availability(25)


async def test_a_bundle_is_sold_only_inside_its_own_window(db: Database, world: World) -> None:
    offer = await make_offer(db, world, valid_from=NOW + timedelta(days=1))
    early = await availability(db, offer, world.showtime)
    assert (early.available, early.refusal) == (0, "BUNDLE_NOT_ON_SALE")
    assert await availability(db, offer, world.showtime, now=NOW + timedelta(days=1)) == (
        Availability(25)
    )
