"""The two shops: the small one of the order tests and the storefront of the page tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from catalog.models import ApprovalStage, Category
from kernel.db import Database
from licensing.models import Channel
from tests.factory.builders import (
    make_agreement,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_product,
    make_showtime,
)

SHIRT_PRICE = 2500
POSTER_PRICE = 1500
TICKET_PRICE = 1200
BUNDLE_PRICE = 4000


@dataclass(frozen=True)
class Shop:
    film_id: int
    shirt_id: int
    poster_id: int
    showtime_id: int
    offer_id: int
    agreement_id: int
    shirt_sku: str = "TEE-1"
    poster_sku: str = "POSTER-1"


async def order_shop(
    db: Database, *, now: datetime, shirt_stock: int = 50, poster_stock: int = 50, seats: int = 100
) -> Shop:
    """One film, a US cinema and a showtime in two days, a licensee whose agreement covers
    the US and GB (storefront and bundle channels), a T-shirt, a poster and a
    ticket-plus-shirt-plus-two-posters bundle; committed."""
    today = now.date()
    async with db.session() as s:
        film = await make_film(s, slug="night-harbor", title="Night Harbor", release_date=today,
                               runtime_minutes=110)  # fmt: skip
        cinema = await make_cinema(s)
        merchant = await make_merchant(s, slug="acme", name="Acme", contact_email="a@acme.test")
        agreement = await make_agreement(
            s, merchant_id=merchant.id, film_ids=[film.id], code="LA-2026-0001",
            categories=[Category.APPAREL, Category.POSTERS], territories=["US", "GB"],
            channels=[Channel.STOREFRONT, Channel.BUNDLE], start_date=today - timedelta(days=30),
            end_date=today + timedelta(days=365),
        )  # fmt: skip
        shirt = await make_product(s, agreement, film.id, sku="TEE-1", name="Lighthouse tee",
                                   price_minor=SHIRT_PRICE, stock=shirt_stock)  # fmt: skip
        poster = await make_product(s, agreement, film.id, sku="POSTER-1", name="Teaser poster",
                                    category=Category.POSTERS, price_minor=POSTER_PRICE,
                                    stock=poster_stock)  # fmt: skip
        showtime = await make_showtime(s, film_id=film.id, cinema_id=cinema.id,
                                       starts_at=now + timedelta(days=2), capacity=seats,
                                       price_minor=TICKET_PRICE)  # fmt: skip
        offer = await make_bundle(
            s, film_id=film.id, code="premiere", price_minor=BUNDLE_PRICE,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
            components=[(shirt.id, 1), (poster.id, 2)],
        )  # fmt: skip
        return Shop(film.id, shirt.id, poster.id, showtime.id, offer.id, agreement.id)


@dataclass(frozen=True)
class ShopWorld:
    film_slug: str
    coming_slug: str
    shirt_sku: str
    poster_sku: str
    draft_sku: str
    bundle_code: str
    agreement_code: str
    merchant_name: str
    showtime_ids: tuple[int, int]
    shirt_id: int
    film_id: int
    agreement_id: int
    merchant_id: int


async def shop_world(
    db: Database, *, now: datetime | None = None, shirt_stock: int = 20
) -> ShopWorld:
    """The storefront: one film now showing (one cinema, showtimes tomorrow and the day after
    at 19:00, the second with two seats), one coming soon, a licensee with an active agreement
    (US and GB, storefront and bundle channels), an approved tee and poster, a mug still in
    approval and a ticket-plus-tee bundle; committed."""
    now = now or datetime.now(UTC)
    today = now.date()
    tomorrow_evening = datetime.combine(today + timedelta(days=1), time(19, 0), tzinfo=UTC)
    async with db.session() as s:
        film = await make_film(
            s, slug="night-harbor", title="Night Harbor", original_title="Port de nuit",
            synopsis="A lighthouse keeper finds a map.\n\nThe sea has other plans.",
            release_date=today - timedelta(days=20), runtime_minutes=118, rating="PG-13",
        )  # fmt: skip
        coming = await make_film(s, slug="star-fall", title="Star Fall", synopsis="Soon.",
                                 release_date=today + timedelta(days=40),
                                 runtime_minutes=101)  # fmt: skip
        cinema = await make_cinema(s)
        merchant = await make_merchant(s, slug="acme-merch", name="Acme Merch Co",
                                       contact_email="ops@acme.test")  # fmt: skip
        agreement = await make_agreement(
            s, merchant_id=merchant.id, film_ids=[film.id], code="LA-2026-0042",
            categories=[Category.APPAREL, Category.POSTERS, Category.HOME],
            territories=["US", "GB"], channels=[Channel.STOREFRONT, Channel.BUNDLE],
            start_date=today - timedelta(days=60), end_date=today + timedelta(days=365),
        )  # fmt: skip
        shirt = await make_product(s, agreement, film.id, sku="NH-TEE-01", stock=shirt_stock,
                                   name="Night Harbor lighthouse tee")  # fmt: skip
        poster = await make_product(s, agreement, film.id, sku="NH-POSTER-01",
                                    name="Night Harbor teaser poster", category=Category.POSTERS,
                                    price_minor=1500, stock=5)  # fmt: skip
        draft = await make_product(s, agreement, film.id, sku="NH-MUG-01",
                                   name="Night Harbor mug (prototype)", category=Category.HOME,
                                   price_minor=1800, stock=5,
                                   stage=ApprovalStage.SAMPLE_SUBMITTED)  # fmt: skip
        shows = [
            await make_showtime(
                s, film_id=film.id, cinema_id=cinema.id, starts_at=starts, capacity=n
            )
            for starts, n in ((tomorrow_evening, 50), (tomorrow_evening + timedelta(days=1), 2))
        ]
        offer = await make_bundle(
            s, film_id=film.id, code="premiere-pack", description="A seat and the lighthouse tee.",
            price_minor=3200, valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30), components=[(shirt.id, 1)],
        )  # fmt: skip
        return ShopWorld(
            film_slug=film.slug,
            coming_slug=coming.slug,
            shirt_sku=shirt.sku,
            poster_sku=poster.sku,
            draft_sku=draft.sku,
            bundle_code=offer.code,
            agreement_code=agreement.code,
            merchant_name=merchant.name,
            showtime_ids=(shows[0].id, shows[1].id),
            shirt_id=shirt.id,
            film_id=film.id,
            agreement_id=agreement.id,
            merchant_id=merchant.id,
        )
