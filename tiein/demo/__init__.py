"""The demo data set: a studio slate, cinemas, partners, agreements, products, bundles and
three quarters of paid orders and a campaign with its referral visits and promo code
(`tiein.demo.campaign`), so that every page and report has something to show. The
orders follow a documented demand model (`tiein.demo.demand`: launches, opening weekends,
tails, weekly seasonality, attach rates per film and product) and are written in bulk.

Deterministic (one seeded random generator; dates relative to today) and idempotent (it
does nothing when films exist). It goes through the app's own services wherever one exists:
films, cinemas, showtimes, agreements, products and approvals, bundles, stock and seats,
and the royalty ledger. Historical orders are written as already paid: they never
met Stripe, so they skip checkout and payment, and carry a `DEMO-` number.
"""

import random
import time
from datetime import UTC, date, datetime

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film
from kernel.db import Database
from kernel.media import media_store
from licensing.accounts import create_staff_user
from tiein.demo.campaign import NAME as CAMPAIGN_NAME
from tiein.demo.campaign import PROMO_CODE, REFERRAL_CODE, open_campaign
from tiein.demo.catalog import build_catalog, license_products, offer_bundles, schedule_showtimes
from tiein.demo.data import (
    AGREEMENTS,
    BUNDLES,
    CINEMAS,
    DEMO_STAFF,
    FILMS,
    IN_APPROVAL,
    MERCHANTS,
    PRODUCTS,
    SEED,
)
from tiein.demo.history import close_past_periods, count_deliveries, place_history
from tiein.demo.images import illustrate
from tiein.demo.variants import size_a_tee


async def demo_loaded(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count(Film.id))))


async def load_demo(
    db: Database,
    *,
    orders: int = 2000,
    today: date | None = None,
    progress: bool = True,
    media_dir: str | None = None,
) -> str:
    """Load the demo data set once; returns a one-paragraph summary. With `media_dir` (the
    media store's, TIEIN_MEDIA_DIR) its products, a film and the submissions get pictures."""
    async with db.read_session() as session:
        if await demo_loaded(session):
            return "demo data already loaded: nothing to do"
    today = today or datetime.now(UTC).date()
    started = time.perf_counter()
    rng = random.Random(SEED)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("demo data", total=orders + 5)

        def step(n: int = 1) -> None:
            bar.advance(task, n)

        async with db.session() as session:
            world = await build_catalog(session, today)
        step()
        async with db.session() as session:
            await license_products(session, world, today)
        step()
        async with db.session() as session:
            await offer_bundles(session, world, today)
        step()
        async with db.session() as session:
            await schedule_showtimes(session, world, today)
        step()
        async with db.session() as session:
            campaign = await open_campaign(session, world, today)
        placed = await place_history(db, world, rng, today, orders, step, campaign)
        fulfilled, shipped = await count_deliveries(db)
        closed = await close_past_periods(db, today)
        async with db.session() as session:
            await size_a_tee(session, world)
        pictures = 0
        if media_dir is not None:  # after the last product is made: every one has a photo
            async with db.session() as session:
                pictures = await illustrate(session, media_store(media_dir), now=datetime.now(UTC))
        async with db.session() as session:
            await create_staff_user(
                session, username=DEMO_STAFF[0], password=DEMO_STAFF[1], display_name="Demo staff"
            )
        step()
    return (
        f"demo data loaded: {len(FILMS)} films, {len(CINEMAS)} cinemas, {len(MERCHANTS)} "
        f"merchants, {len(AGREEMENTS)} agreements, "
        f"{len(PRODUCTS) + len(IN_APPROVAL) + 1} products (a tee in four sizes), "
        f"{len(BUNDLES)} bundle offers, {placed} paid orders ({fulfilled} fulfilments, {shipped} "
        f"shipped), {pictures} pictures; campaign {CAMPAIGN_NAME!r} (/r/{REFERRAL_CODE}, "
        f"code {PROMO_CODE}); closed periods: "
        f"{', '.join(closed) or 'none'}. Staff login: "
        f"{DEMO_STAFF[0]} / {DEMO_STAFF[1]} at /staff/login. Loaded in "
        f"{time.perf_counter() - started:.1f} s."
    )
