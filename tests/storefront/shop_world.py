"""A small, complete storefront world for the shopper page tests and the browser scenario:
one film now showing (one cinema, two showtimes), one coming soon, a licensee with an active
agreement (US and GB, storefront and bundle channels), approved and unapproved products and a
ticket-plus-T-shirt bundle. Rows are written directly so the pages are tested, not seeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from catalog.models import (
    ApprovalStage,
    BundleComponent,
    BundleOffer,
    Category,
    Cinema,
    Film,
    Product,
    Showtime,
)
from kernel.db import Database
from licensing.agreements import create_agreement
from licensing.models import (
    AgreementStatus,
    Channel,
    Merchant,
)


@dataclass(frozen=True)
class World:
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


async def build_world(db: Database, *, now: datetime | None = None, shirt_stock: int = 20) -> World:
    now = now or datetime.now(UTC)
    today = now.date()
    tomorrow_evening = datetime.combine(today + timedelta(days=1), time(19, 0), tzinfo=UTC)
    async with db.session() as s:
        film = Film(
            slug="night-harbor",
            title="Night Harbor",
            original_title="Port de nuit",
            synopsis="A lighthouse keeper finds a map.\n\nThe sea has other plans.",
            release_date=today - timedelta(days=20),
            runtime_minutes=118,
            rating="PG-13",
        )
        coming = Film(
            slug="star-fall",
            title="Star Fall",
            synopsis="Soon.",
            release_date=today + timedelta(days=40),
            runtime_minutes=101,
        )
        cinema = Cinema(name="Grand Lumiere", city="Springfield", country="US")
        merchant = Merchant(
            slug="acme-merch", name="Acme Merch Co", country="US", contact_email="ops@acme.test"
        )
        s.add_all([film, coming, cinema, merchant])
        await s.flush()
        agreement = await create_agreement(
            s,
            code="LA-2026-0042",
            merchant_id=merchant.id,
            film_ids=[film.id],
            categories=[Category.APPAREL, Category.POSTERS, Category.HOME],
            territories=["US", "GB"],
            channels=[Channel.STOREFRONT, Channel.BUNDLE],
            start_date=today - timedelta(days=60),
            end_date=today + timedelta(days=365),
            currency="USD",
            rate_bps=1000,
            status=AgreementStatus.ACTIVE,
        )
        common = {"merchant_id": merchant.id, "agreement_id": agreement.id, "film_id": film.id}
        shirt = Product(
            sku="NH-TEE-01", name="Night Harbor lighthouse tee", category=Category.APPAREL,
            price_minor=2500, currency="USD", stock=shirt_stock,
            approval_stage=ApprovalStage.APPROVED, **common,
        )  # fmt: skip
        poster = Product(
            sku="NH-POSTER-01", name="Night Harbor teaser poster", category=Category.POSTERS,
            price_minor=1500, currency="USD", stock=5, approval_stage=ApprovalStage.APPROVED,
            **common,
        )  # fmt: skip
        draft = Product(
            sku="NH-MUG-01", name="Night Harbor mug (prototype)", category=Category.HOME,
            price_minor=1800, currency="USD", stock=5,
            approval_stage=ApprovalStage.SAMPLE_SUBMITTED, **common,
        )  # fmt: skip
        st1 = Showtime(
            film_id=film.id, cinema_id=cinema.id, starts_at=tomorrow_evening, capacity=50,
            price_minor=1200, currency="USD",
        )  # fmt: skip
        st2 = Showtime(
            film_id=film.id, cinema_id=cinema.id, starts_at=tomorrow_evening + timedelta(days=1),
            capacity=2, price_minor=1200, currency="USD",
        )  # fmt: skip
        s.add_all([shirt, poster, draft, st1, st2])
        await s.flush()
        offer = BundleOffer(
            code="premiere-pack",
            film_id=film.id,
            name="Premiere pack",
            description="A seat and the lighthouse tee.",
            price_minor=3200,
            currency="USD",
            valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=30),
            per_order_limit=4,
        )
        s.add(offer)
        await s.flush()
        s.add(BundleComponent(offer_id=offer.id, position=0, product_id=shirt.id, qty=1))
        return World(
            film_slug=film.slug,
            coming_slug=coming.slug,
            shirt_sku=shirt.sku,
            poster_sku=poster.sku,
            draft_sku=draft.sku,
            bundle_code=offer.code,
            agreement_code=agreement.code,
            merchant_name=merchant.name,
            showtime_ids=(st1.id, st2.id),
            shirt_id=shirt.id,
            film_id=film.id,
            agreement_id=agreement.id,
            merchant_id=merchant.id,
        )
