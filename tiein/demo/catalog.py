"""The demo's catalog and licensing side: films, cinemas, showtimes, agreements, approved
products and bundle offers, made through the app's own services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.bundles import create_bundle_offer
from catalog.film_admin import FilmInput, TitleInput, create_film
from catalog.films import create_cinema
from catalog.models import ApprovalStage, BundleOffer, Category, Cinema, Film, Product, Showtime
from catalog.products import create_product, merchant_sku
from catalog.scheduling import create_showtime
from catalog.screens import create_screen
from licensing.agreements import create_agreement
from licensing.approvals import review_product, submit_product
from licensing.merchants import create_merchant
from licensing.models import Agreement, AgreementStatus
from tiein.demo.data import (
    AGREEMENTS,
    BUNDLES,
    CINEMAS,
    FILMS,
    IN_APPROVAL,
    MERCHANTS,
    PRODUCTS,
    SYNOPSES,
)


def local_time(day: date, hour: int, minute: int = 0, zone: str = "UTC") -> datetime:
    """`hour:minute` on `day` as the clock shows it in `zone`, as a UTC moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass
class World:
    films: dict[str, Film]
    cinemas: list[Cinema]
    merchants: dict[str, int]
    agreements: dict[str, Agreement]
    products: dict[str, Product]
    bundles: list[BundleOffer]
    showtimes: list[Showtime]


async def build_catalog(session: AsyncSession, today: date) -> World:
    films = {}
    for slug, title, original, days, runtime, rating, franchise in FILMS:
        films[slug] = await create_film(
            session,
            FilmInput(
                slug=slug,
                original_title=original,
                titles=[TitleInput("en", title, SYNOPSES[slug])],
                release_date=today + timedelta(days=days),
                runtime_minutes=runtime,
                rating=rating,
                franchise_slug=franchise,
            ),
            now=datetime.combine(today, time(12), tzinfo=UTC),
        )
        films[slug].poster_url = f"/static/posters/{slug}.svg"
    cinemas = [
        await create_cinema(session, name=name, city=city, country=country, timezone=zone)
        for name, city, country, zone, _, _ in CINEMAS
    ]
    merchants = {}
    for slug, name, country, email in MERCHANTS:
        merchant = await create_merchant(
            session, slug=slug, name=name, country=country, contact_email=email
        )
        merchants[slug] = merchant.id
    return World(films, cinemas, merchants, {}, {}, [], [])


async def license_products(session: AsyncSession, world: World, today: date) -> None:
    now = datetime.now(UTC)
    for plan in AGREEMENTS:
        world.agreements[plan.code] = await create_agreement(
            session,
            code=plan.code,
            merchant_id=world.merchants[plan.merchant],
            film_ids=[world.films[s].id for s in plan.films],
            categories=plan.categories,
            territories=plan.territories,
            channels=["storefront", "bundle", "licensee_retail"],
            start_date=today + timedelta(days=plan.start_days),
            end_date=today + timedelta(days=plan.end_days),
            currency=plan.currency,
            rate_bps=plan.rate_bps,
            sell_off_days=plan.sell_off_days,
            per_unit_min_minor=plan.per_unit_min_minor,
            bundle_rate_bps=plan.bundle_rate_bps,
            tiers=plan.tiers,
            advance_minor=plan.advance_minor,
            minimum_guarantee_minor=plan.minimum_guarantee_minor,
            status=AgreementStatus.ACTIVE,
        )
    for index, (code, film, category, name, price, stock) in enumerate(PRODUCTS):
        product = await _product(session, world, index, code, film, category, name, price, stock)
        for comment in ("Concept art attached.", "Production sample shipped."):
            await submit_product(
                session, product.id, merchant_id=product.merchant_id, comment=comment, now=now
            )
            await review_product(
                session, product.id, decision="approve", reviewer="demo", comment="OK", now=now
            )
        world.products[name] = product
    for index, (code, film, category, name, price, stage) in enumerate(IN_APPROVAL, 100):
        product = await _product(session, world, index, code, film, category, name, price, 50)
        if stage != ApprovalStage.DRAFT:
            await submit_product(session, product.id, merchant_id=product.merchant_id, now=now)
        if stage == ApprovalStage.SAMPLE_SUBMITTED:
            await review_product(session, product.id, decision="approve", reviewer="demo", now=now)
            await submit_product(session, product.id, merchant_id=product.merchant_id, now=now)
        if stage == ApprovalStage.CHANGES_REQUESTED:
            await review_product(
                session,
                product.id,
                decision="request_changes",
                reviewer="demo",
                comment="The logo must use the approved star-gate lock-up.",
                now=now,
            )


async def _product(
    session: AsyncSession,
    world: World,
    index: int,
    code: str,
    film: str,
    category: str,
    name: str,
    price: int,
    stock: int,
) -> Product:
    agreement = world.agreements[code]
    return await create_product(
        session,
        merchant_id=agreement.merchant_id,
        agreement_id=agreement.id,
        film_id=world.films[film].id,
        sku=merchant_sku(
            agreement.merchant_id, f"{Category(category).value[:3].upper()}-{index:03d}"
        ),
        name=name,
        category=category,
        price_minor=price if agreement.currency != "JPY" else price // 10,
        currency=agreement.currency,
        description=f"Official {world.films[film].title} merchandise, made under {code}.",
        stock=stock,
    )


async def offer_bundles(session: AsyncSession, world: World, today: date) -> None:
    start = local_time(today - timedelta(days=300), 0)
    for code, film, name, price, parts, limit in BUNDLES:
        offer = await create_bundle_offer(
            session,
            film_id=world.films[film].id,
            code=code,
            name=name,
            price_minor=price,
            currency="USD",
            valid_from=start,
            valid_to=local_time(today + timedelta(days=90), 0),
            per_order_limit=limit,
            components=[(world.products[p].id, qty) for p, qty in parts],
        )
        world.bundles.append(offer)
    ids = [b.id for b in world.bundles]
    world.bundles = list(
        (
            await session.scalars(
                select(BundleOffer)
                .where(BundleOffer.id.in_(ids))
                .options(selectinload(BundleOffer.components))
            )
        ).all()
    )


async def schedule_showtimes(session: AsyncSession, world: World, today: date) -> None:
    """Two weeks of showtimes around today in both cinemas, plus daily past screenings of
    every released film in New York (the history's tickets and bundles need them). Each
    cinema gives every film its own screen ("Screen 1", "Screen 2", …), so that no two
    showtimes overlap on one screen (catalog.scheduling's rule)."""
    showing = [f for f in world.films.values() if f.release_date <= today + timedelta(days=14)]
    showing = [f for f in showing if f.release_date >= today - timedelta(days=300)]
    screens: dict[tuple[int, int], int] = {}
    for cinema in world.cinemas:
        for n, film in enumerate(showing, start=1):
            seats = 400 if cinema is world.cinemas[0] else 90
            screen = await create_screen(
                session, cinema_id=cinema.id, name=f"Screen {n}", capacity=seats
            )
            screens[(cinema.id, film.id)] = screen.id
    for film in showing:
        for cinema, (_, _, _, zone, price, currency) in zip(world.cinemas, CINEMAS, strict=True):
            for offset in range(-3, 11):
                day = today + timedelta(days=offset)
                if day < film.release_date:
                    continue
                for hour in (14, 19) if cinema.country == "US" else (18,):
                    starts = local_time(day, hour + (film.id % 2), 30 if film.id % 3 else 0, zone)
                    world.showtimes.append(
                        await create_showtime(
                            session,
                            film_id=film.id,
                            screen_id=screens[(cinema.id, film.id)],
                            starts_at=starts,
                            capacity=140 if cinema.country == "US" else 90,
                            price_minor=price,
                            currency=currency,
                            now=starts - timedelta(days=7),
                        )
                    )
    # The past: a 19:00 screening every day since release (and a 14:00 one on Friday to
    # Sunday) in New York, written in one bulk insert (no two overlap: one screen per film).
    past = []
    for film in showing:
        day = max(film.release_date, today - timedelta(days=275))
        while day < today - timedelta(days=3):
            for hour in (14, 19) if day.weekday() >= 4 else (19,):
                past.append(
                    {
                        "film_id": film.id,
                        "cinema_id": world.cinemas[0].id,
                        "screen_id": screens[(world.cinemas[0].id, film.id)],
                        "starts_at": local_time(day, hour, 0, CINEMAS[0][3]),
                        "capacity": 400,
                        "seats_taken": 0,
                        "price_minor": CINEMAS[0][4],
                        "currency": "USD",
                    }
                )
            day += timedelta(days=1)
    if past:
        world.showtimes.extend(
            (await session.scalars(insert(Showtime).returning(Showtime), past)).all()
        )
