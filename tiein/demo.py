"""The demo data set: a studio slate, cinemas, partners, agreements, products, bundles and
three quarters of paid orders, so that every page and report has something to show.

Deterministic (one seeded random generator; dates relative to today) and idempotent (it
does nothing when films exist). It goes through the app's own services wherever one exists:
films, cinemas, showtimes, agreements, products and approvals, bundles, stock and seats,
tickets and the royalty ledger. Historical orders are written as already paid: they never
met Stripe, so they skip checkout and payment, and carry a `DEMO-` number.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.bundles import allocate_bundle, create_bundle_offer
from catalog.films import create_cinema, create_film
from catalog.models import ApprovalStage, BundleOffer, Category, Cinema, Film, Product, Showtime
from catalog.products import create_product, merchant_sku
from catalog.showtimes import create_showtime
from catalog.stock import take_seats, take_stock
from catalog.tickets import issue_tickets
from kernel.db import Database
from kernel.periods import period_bounds, period_of, periods_between, previous_period
from licensing.accounts import create_merchant, create_staff_user
from licensing.agreements import create_agreement
from licensing.approvals import review_product, submit_product
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Agreement, AgreementStatus, Channel
from orders.models import (
    BundleAllocation,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)

SEED = 20261122
DEMO_STAFF = ("staff", "tiein-demo-staff")

FILMS = [
    # slug, title, original title, days from today to release, runtime, rating, franchise
    ("starfall-rising", "Starfall Rising", "", -240, 128, "PG-13", "starfall"),
    ("the-lantern-keeper", "The Lantern Keeper", "", -150, 112, "PG", None),
    ("paper-tigers", "Paper Tigers", "紙の虎", -60, 96, "G", None),
    ("midnight-ferry", "Midnight Ferry", "", -20, 118, "R", None),
    ("harbor-lights", "Harbor Lights", "", -400, 104, "PG", None),
    ("starfall-echoes", "Starfall: Echoes", "", 45, 134, "PG-13", "starfall"),
    ("kaiju-summer", "Kaiju Summer", "怪獣の夏", 80, 101, "PG", None),
]
SYNOPSES = {
    "starfall-rising": "A salvage pilot finds a map to the last working star gate.",
    "the-lantern-keeper": "A girl inherits a lighthouse that guides ships between worlds.",
    "paper-tigers": "Three origami tigers come alive to save a paper shop in Osaka.",
    "midnight-ferry": "Twelve passengers, one ferry, and a crossing that never ends.",
    "harbor-lights": "A fishing town's last summer festival, told by its lighthouse.",
    "starfall-echoes": "The star gate opens again, and something answers back.",
    "kaiju-summer": "A gentle giant surfaces in a seaside town during summer break.",
}

MERCHANTS = [
    ("threadcraft", "Threadcraft Apparel", "US", "licensing@threadcraft.example"),
    ("vinyl-resin", "Vinyl & Resin Collectibles", "HK", "partners@vinylresin.example"),
    ("printhouse", "Printhouse Posters", "JP", "hello@printhouse.example"),
    ("kinoza-goods", "Kinoza Goods", "JP", "shop@kinoza.example"),
]


@dataclass(frozen=True)
class AgreementPlan:
    code: str
    merchant: str
    films: tuple[str, ...]
    categories: tuple[str, ...]
    territories: tuple[str, ...]
    currency: str
    rate_bps: int
    start_days: int  # from today
    end_days: int
    sell_off_days: int = 0
    per_unit_min_minor: int | None = None
    bundle_rate_bps: int | None = None
    tiers: tuple[tuple[int, int], ...] = ()
    advance_minor: int = 0
    minimum_guarantee_minor: int = 0


AGREEMENTS = [
    AgreementPlan(
        "LA-2026-0001", "threadcraft",
        ("starfall-rising", "paper-tigers", "midnight-ferry", "starfall-echoes"),
        ("apparel", "accessories"), ("US", "CA", "GB"), "USD", 1000, -300, 430,
        bundle_rate_bps=800, tiers=((0, 1000), (2_000_000, 1200)),
        advance_minor=300_000, minimum_guarantee_minor=2_500_000,
    ),
    AgreementPlan(
        "LA-2026-0002", "vinyl-resin",
        ("starfall-rising", "the-lantern-keeper", "kaiju-summer", "paper-tigers"),
        ("toys", "collectibles"), ("US", "HK", "CN", "JP"), "USD", 1200, -280, 450,
        per_unit_min_minor=150, minimum_guarantee_minor=1_500_000,
    ),
    AgreementPlan(
        "LA-2025-0003", "printhouse",
        tuple(f[0] for f in FILMS),
        ("posters", "stationery", "home"), ("US", "JP", "KR"), "USD", 1500, -420, -20,
        sell_off_days=120, advance_minor=100_000, minimum_guarantee_minor=900_000,
    ),
    AgreementPlan(
        "LA-2026-0004", "kinoza-goods",
        ("paper-tigers", "kaiju-summer", "the-lantern-keeper"),
        ("apparel", "toys", "stationery"), ("JP",), "JPY", 900, -200, 500,
    ),
]  # fmt: skip

# (agreement code, film slug, category, name, price in minor units, initial stock)
PRODUCTS = [
    ("LA-2026-0001", "starfall-rising", "apparel", "Starfall Rising Gate Logo Tee", 2900, 900),
    ("LA-2026-0001", "starfall-rising", "apparel", "Salvage Crew Hoodie", 6400, 400),
    ("LA-2026-0001", "starfall-rising", "accessories", "Star Map Enamel Pin", 1200, 900),
    ("LA-2026-0001", "paper-tigers", "apparel", "Paper Tigers Origami Tee", 2600, 800),
    ("LA-2026-0001", "paper-tigers", "accessories", "Paper Tigers Tote Bag", 1900, 500),
    ("LA-2026-0001", "midnight-ferry", "apparel", "Midnight Ferry Crew Jacket", 8900, 300),
    ("LA-2026-0001", "midnight-ferry", "accessories", "Ferry Ticket Keyring", 900, 700),
    ("LA-2026-0001", "midnight-ferry", "apparel", "Midnight Ferry Poster Tee", 2800, 600),
    ("LA-2026-0002", "starfall-rising", "toys", "Salvage Pilot Action Figure", 3499, 500),
    ("LA-2026-0002", "starfall-rising", "collectibles", "Star Gate 1:500 Replica", 12900, 150),
    ("LA-2026-0002", "starfall-rising", "toys", "Drone Buddy Plush", 1999, 600),
    ("LA-2026-0002", "the-lantern-keeper", "collectibles", "Lantern Music Box", 4500, 250),
    ("LA-2026-0002", "the-lantern-keeper", "toys", "Keeper Mira Figure", 2999, 400),
    ("LA-2026-0002", "paper-tigers", "toys", "Origami Tiger Plush Trio", 3999, 500),
    ("LA-2026-0002", "paper-tigers", "collectibles", "Paper Tigers Vinyl Figure", 2499, 450),
    ("LA-2026-0002", "kaiju-summer", "toys", "Kaiju Bath Toy", 999, 800),
    ("LA-2025-0003", "starfall-rising", "posters", "Starfall Rising Theatrical Poster", 2500, 700),
    ("LA-2025-0003", "starfall-rising", "posters", "Star Gate Art Print", 4000, 300),
    ("LA-2025-0003", "the-lantern-keeper", "posters", "Lantern Keeper Poster", 2200, 500),
    ("LA-2025-0003", "paper-tigers", "posters", "Paper Tigers Poster", 2200, 700),
    ("LA-2025-0003", "paper-tigers", "stationery", "Paper Tigers Notebook Set", 1500, 600),
    ("LA-2025-0003", "midnight-ferry", "posters", "Midnight Ferry One-Sheet", 2400, 600),
    ("LA-2025-0003", "harbor-lights", "posters", "Harbor Lights Festival Poster", 1800, 400),
    ("LA-2025-0003", "harbor-lights", "home", "Harbor Lights Lighthouse Mug", 1600, 500),
    ("LA-2025-0003", "starfall-echoes", "posters", "Starfall: Echoes Teaser Poster", 2500, 400),
    ("LA-2025-0003", "the-lantern-keeper", "home", "Lantern Keeper Night Light", 3200, 300),
    ("LA-2025-0003", "kaiju-summer", "stationery", "Kaiju Summer Sticker Sheet", 600, 900),
    ("LA-2026-0004", "paper-tigers", "apparel", "Paper Tigers Tenugui Towel", 1800, 400),
    ("LA-2026-0004", "paper-tigers", "toys", "Tiger Origami Kit", 1200, 600),
    ("LA-2026-0004", "kaiju-summer", "apparel", "Kaiju Summer Kids Tee", 2500, 300),
    ("LA-2026-0004", "the-lantern-keeper", "stationery", "Lantern Keeper Washi Tape", 600, 800),
    ("LA-2026-0004", "kaiju-summer", "toys", "Kaiju Soft Vinyl", 4800, 200),
]
# Products left in the approval pipeline, by stage reached.
IN_APPROVAL = [
    ("LA-2026-0001", "starfall-echoes", "apparel", "Echoes Signal Tee", 2900, "concept_submitted"),
    ("LA-2026-0002", "kaiju-summer", "collectibles", "Kaiju Statue", 15900, "sample_submitted"),
    ("LA-2026-0001", "starfall-echoes", "accessories", "Echoes Cap", 2400, "changes_requested"),
    ("LA-2025-0003", "kaiju-summer", "posters", "Kaiju Summer Teaser Poster", 2200, "draft"),
]  # fmt: skip

# (code, film, name, price, [(product name, qty)], per-order limit)
BUNDLES = [
    ("BND-STARFALL-TEE", "starfall-rising", "See it, wear it: ticket + Gate Logo Tee",
     3900, [("Starfall Rising Gate Logo Tee", 1)], 4),
    ("BND-STARFALL-COLLECTOR", "starfall-rising", "Collector's night: ticket, figure, poster",
     6900, [("Salvage Pilot Action Figure", 1), ("Starfall Rising Theatrical Poster", 1)], 2),
    ("BND-PAPER-TIGERS-FAMILY", "paper-tigers", "Family matinee: ticket + Origami Tiger plush trio",
     5200, [("Origami Tiger Plush Trio", 1)], 6),
    ("BND-MIDNIGHT-FERRY", "midnight-ferry", "Last crossing: ticket + One-Sheet + keyring",
     3800, [("Midnight Ferry One-Sheet", 1), ("Ferry Ticket Keyring", 1)], 4),
    ("BND-PAPER-TIGERS-TEE", "paper-tigers", "Paper Tigers ticket + Origami Tee",
     3700, [("Paper Tigers Origami Tee", 1)], 4),
]  # fmt: skip

CINEMAS = [
    ("Aurora Picturehouse", "New York", "US", "America/New_York", 1400, "USD"),
    ("Kinoza Shibuya", "Tokyo", "JP", "Asia/Tokyo", 1900, "JPY"),
]
EMAIL_NAMES = ["ana", "ben", "chen", "dara", "eli", "fumi", "gus", "hana", "ivo", "jae", "kim"]


def _at(day: date, hour: int, minute: int = 0, zone: str = "UTC") -> datetime:
    """`hour:minute` on `day` as the clock shows it in `zone`, as a UTC moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def demo_loaded(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count(Film.id))))


async def load_demo(
    db: Database,
    *,
    orders: int = 2000,
    today: date | None = None,
    progress: bool = True,
) -> str:
    """Load the demo data set once; returns a one-paragraph summary."""
    async with db.read_session() as session:
        if await demo_loaded(session):
            return "demo data already loaded: nothing to do"
    today = today or datetime.now(UTC).date()
    rng = random.Random(SEED)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("demo data", total=orders + 5)

        def step(n: int = 1) -> None:
            bar.advance(task, n)

        async with db.session() as session:
            world = await _catalog(session, today)
        step()
        async with db.session() as session:
            await _agreements_and_products(session, world, today)
        step()
        async with db.session() as session:
            await _bundles(session, world, today)
        step()
        async with db.session() as session:
            await _showtimes(session, world, today)
        step()
        placed = await _history(db, world, rng, today, orders, step)
        closed = await _close_past_periods(db, today)
        async with db.session() as session:
            await create_staff_user(
                session, username=DEMO_STAFF[0], password=DEMO_STAFF[1], display_name="Demo staff"
            )
        step()
    return (
        f"demo data loaded: {len(FILMS)} films, {len(CINEMAS)} cinemas, {len(MERCHANTS)} "
        f"merchants, {len(AGREEMENTS)} agreements, {len(PRODUCTS) + len(IN_APPROVAL)} products, "
        f"{len(BUNDLES)} bundle offers, {placed} paid orders; closed periods: "
        f"{', '.join(closed) or 'none'}. Staff login: "
        f"{DEMO_STAFF[0]} / {DEMO_STAFF[1]} at /staff/login"
    )


@dataclass
class World:
    films: dict[str, Film]
    cinemas: list[Cinema]
    merchants: dict[str, int]
    agreements: dict[str, Agreement]
    products: dict[str, Product]
    bundles: list[BundleOffer]
    showtimes: list[Showtime]


async def _catalog(session: AsyncSession, today: date) -> World:
    films = {}
    for slug, title, original, days, runtime, rating, franchise in FILMS:
        films[slug] = await create_film(
            session,
            slug=slug,
            title=title,
            original_title=original,
            synopsis=SYNOPSES[slug],
            release_date=today + timedelta(days=days),
            runtime_minutes=runtime,
            rating=rating,
            poster_url=f"/static/posters/{slug}.svg",
            franchise_slug=franchise,
        )
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


async def _agreements_and_products(session: AsyncSession, world: World, today: date) -> None:
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


async def _bundles(session: AsyncSession, world: World, today: date) -> None:
    start = _at(today - timedelta(days=300), 0)
    for code, film, name, price, parts, limit in BUNDLES:
        offer = await create_bundle_offer(
            session,
            film_id=world.films[film].id,
            code=code,
            name=name,
            price_minor=price,
            currency="USD",
            valid_from=start,
            valid_to=_at(today + timedelta(days=90), 0),
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


async def _showtimes(session: AsyncSession, world: World, today: date) -> None:
    """Two weeks of showtimes around today in both cinemas, plus weekly past screenings of
    every released film in New York (the history's tickets and bundles need them)."""
    showing = [f for f in world.films.values() if f.release_date <= today + timedelta(days=14)]
    showing = [f for f in showing if f.release_date >= today - timedelta(days=300)]
    for film in showing:
        for cinema, (_, _, _, zone, price, currency) in zip(world.cinemas, CINEMAS, strict=True):
            for offset in range(-3, 11):
                day = today + timedelta(days=offset)
                if day < film.release_date:
                    continue
                for hour in (14, 19) if cinema.country == "US" else (18,):
                    starts = _at(day, hour + (film.id % 2), 30 if film.id % 3 else 0, zone)
                    world.showtimes.append(
                        await create_showtime(
                            session,
                            film_id=film.id,
                            cinema_id=cinema.id,
                            starts_at=starts,
                            capacity=140 if cinema.country == "US" else 90,
                            price_minor=price,
                            currency=currency,
                            now=starts - timedelta(days=7),
                        )
                    )
        day = max(film.release_date, today - timedelta(days=275))
        while day < today - timedelta(days=3):
            starts = _at(day, 19, 0, CINEMAS[0][3])
            world.showtimes.append(
                await create_showtime(
                    session,
                    film_id=film.id,
                    cinema_id=world.cinemas[0].id,
                    starts_at=starts,
                    capacity=400,
                    price_minor=CINEMAS[0][4],
                    currency="USD",
                    now=starts - timedelta(days=7),
                )
            )
            day += timedelta(days=3)


async def _history(
    db: Database,
    world: World,
    rng: random.Random,
    today: date,
    count: int,
    step: Callable[[int], None],
) -> int:
    """`count` paid USD orders spread over the last three quarters, a few refunded."""
    first_day = period_bounds(previous_period(previous_period(period_of(today))))[0].date()
    span = (today - first_day).days
    moments = sorted(
        _at(
            first_day + timedelta(days=rng.randrange(span)), rng.randrange(9, 23), rng.randrange(60)
        )
        for _ in range(count)
    )
    usd_products = [p for p in world.products.values() if p.currency == "USD"]
    us_showtimes = [s for s in world.showtimes if s.currency == "USD"]
    placed = 0
    batch = 100
    for start in range(0, count, batch):
        async with db.session() as session:
            for index in range(start, min(start + batch, count)):
                if await _one_order(
                    session, world, rng, moments[index], index, usd_products, us_showtimes
                ):
                    placed += 1
        step(min(batch, count - start))
    return placed


async def _close_past_periods(db: Database, today: date) -> list[str]:
    """Close the quarters of the history that have ended, oldest first, as staff would."""
    current = period_of(today)
    first = previous_period(previous_period(current))
    closed = []
    for period in periods_between(first, previous_period(current)):
        async with db.session() as session:
            await close_period(session, period, now=_at(today, 0), closed_by="demo")
        closed.append(period)
    return closed


async def _one_order(
    session: AsyncSession,
    world: World,
    rng: random.Random,
    paid_at: datetime,
    index: int,
    products: list[Product],
    showtimes: list[Showtime],
) -> bool:
    past = [
        s
        for s in showtimes
        if paid_at - timedelta(days=6) <= s.starts_at <= paid_at + timedelta(days=6)
    ]
    past = [s for s in past if s.starts_at > paid_at] or past
    kind = rng.random()
    lines: list[tuple[LineKind, object, int]] = []
    if kind < 0.30 and past:
        lines.append((LineKind.TICKET, rng.choice(past), rng.randint(1, 3)))
    elif kind < 0.50 and past:
        showtime = rng.choice(past)
        offers = [b for b in world.bundles if b.film_id == showtime.film_id]
        if offers:
            lines.append((LineKind.BUNDLE, (rng.choice(offers), showtime), rng.randint(1, 2)))
        else:
            lines.append((LineKind.TICKET, showtime, rng.randint(1, 2)))
        if rng.random() < 0.3:
            lines.append((LineKind.PRODUCT, rng.choice(products), 1))
    else:
        for product in rng.sample(products, rng.randint(1, 3)):
            lines.append((LineKind.PRODUCT, product, rng.randint(1, 2)))
        if kind < 0.6 and past:
            lines.append((LineKind.TICKET, rng.choice(past), rng.randint(1, 2)))
    country = "US"
    order = Order(
        number=f"DEMO-{index + 1:06d}",
        access_key_hash=hashlib.sha256(f"demo-{SEED}-{index}".encode()).hexdigest(),
        email=f"{rng.choice(EMAIL_NAMES)}{index}@shoppers.example",
        country=country,
        currency="USD",
        status=OrderStatus.PAID,
        total_minor=0,
        shipping_name="Demo Shopper",
        shipping_address="1 Film Row, New York, NY 10001, US",
        created_at=paid_at - timedelta(minutes=3),
        expires_at=paid_at + timedelta(minutes=12),
        paid_at=paid_at,
    )
    session.add(order)
    await session.flush()
    sales: list[SaleLine] = []
    order_lines: list[OrderLine] = []
    for kind_, target, qty in lines:
        line = await _line(session, order, kind_, target, qty, paid_at, sales)
        order_lines.append(line)
        order.total_minor += line.total_minor
    await post_sales(session, sales, now=paid_at)
    if rng.random() < 0.04:
        await _refund(
            session, order, order_lines, rng, paid_at + timedelta(days=rng.randint(1, 20))
        )
    return True


async def _line(
    session: AsyncSession,
    order: Order,
    kind: LineKind,
    target: object,
    qty: int,
    paid_at: datetime,
    sales: list[SaleLine],
) -> OrderLine:
    if kind == LineKind.PRODUCT:
        assert isinstance(target, Product)
        await take_stock(session, target.id, qty)
        line = OrderLine(
            order_id=order.id, kind=kind, product_id=target.id, merchant_id=target.merchant_id,
            description=target.name, quantity=qty, unit_price_minor=target.price_minor,
            total_minor=target.price_minor * qty,
        )  # fmt: skip
        session.add(line)
        await session.flush()
        sales.append(
            SaleLine(f"order_line:{line.id}", target.id, qty, line.total_minor,
                     Channel.STOREFRONT, order.country, paid_at)
        )  # fmt: skip
        return line
    if kind == LineKind.TICKET:
        assert isinstance(target, Showtime)
        await take_seats(session, target.id, qty)
        line = OrderLine(
            order_id=order.id, kind=kind, showtime_id=target.id, description="Ticket",
            quantity=qty, unit_price_minor=target.price_minor,
            total_minor=target.price_minor * qty,
        )  # fmt: skip
        session.add(line)
        await session.flush()
        await issue_tickets(
            session, order_line_id=line.id, showtime_id=target.id, count=qty, now=paid_at
        )
        return line
    offer, showtime = target  # type: ignore[misc]
    await take_seats(session, showtime.id, qty)
    products = {c.product_id: c for c in offer.components}
    for component in offer.components:
        await take_stock(session, component.product_id, component.qty * qty)
    line = OrderLine(
        order_id=order.id, kind=kind, showtime_id=showtime.id, bundle_offer_id=offer.id,
        description=offer.name, quantity=qty, unit_price_minor=offer.price_minor,
        total_minor=offer.price_minor * qty,
    )  # fmt: skip
    session.add(line)
    await session.flush()
    for part in allocate_bundle(offer, showtime):
        merchant_id = None
        if part.product_id is not None:
            merchant_id = (await session.get(Product, part.product_id)).merchant_id  # type: ignore[union-attr]
        allocation = BundleAllocation(
            order_line_id=line.id, position=part.position, product_id=part.product_id,
            merchant_id=merchant_id, qty=part.qty, amount_minor=part.amount_minor,
        )  # fmt: skip
        session.add(allocation)
        await session.flush()
        if part.product_id is not None and part.product_id in products:
            sales.append(
                SaleLine(f"bundle_part:{allocation.id}", part.product_id, part.qty * qty,
                         part.amount_minor * qty, Channel.BUNDLE, "US", paid_at)
            )  # fmt: skip
    await issue_tickets(
        session, order_line_id=line.id, showtime_id=showtime.id, count=qty, now=paid_at
    )
    return line


async def _refund(
    session: AsyncSession,
    order: Order,
    lines: list[OrderLine],
    rng: random.Random,
    when: datetime,
) -> None:
    """Refund one unit of the first merchandise line (or the whole order when it has none)."""
    merch = [line for line in lines if line.kind == LineKind.PRODUCT]
    if not merch:
        return
    line = merch[0]
    units = 1
    amount = line.total_minor * units // line.quantity
    refund = Refund(
        order_id=order.id, idempotency_key=f"demo-refund-{order.number}", amount_minor=amount,
        reason="Arrived damaged", created_by="demo", created_at=when,
    )  # fmt: skip
    session.add(refund)
    await session.flush()
    refund_line = RefundLine(
        refund_id=refund.id, order_line_id=line.id, quantity=units, amount_minor=amount
    )
    session.add(refund_line)
    await session.flush()
    line.refunded_quantity = units
    order.refunded_minor = amount
    everything = amount == order.total_minor
    order.status = OrderStatus.REFUNDED if everything else OrderStatus.PARTIALLY_REFUNDED
    await post_refund(
        session,
        original_source_ref=f"order_line:{line.id}",
        refund_source_ref=f"refund_line:{refund_line.id}",
        units=units,
        net_minor=amount,
        occurred_at=when,
        now=when,
    )
