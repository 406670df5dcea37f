"""Row builders: one row (or one agreement) each, with defaults a test may override.

Every builder takes the test's session, adds its row, flushes (so the id is set) and
returns it; committing is the caller's business. Rows are written directly, not through the
services, so that a world is data and not a test of the services that make it (their own
tests do that); agreements are the exception and go through `create_agreement`, which
writes their term tables. Defaults that must be unique (slugs, codes, SKUs, order numbers)
come from one counter; pass them explicitly when a test reads them back by name.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import (
    ApprovalStage,
    BundleComponent,
    BundleOffer,
    Category,
    Cinema,
    Film,
    Franchise,
    Product,
    Screen,
    Showtime,
)
from licensing.accounts import create_api_token, hash_password
from licensing.agreements import create_agreement
from licensing.models import (
    Agreement,
    AgreementFilm,
    AgreementStatus,
    ApiToken,
    Channel,
    Merchant,
    StaffUser,
    TokenScope,
)
from orders.addresses import ShippingAddress
from orders.models import LineKind, Order, OrderLine, OrderStatus

_seq = itertools.count(1)
T = TypeVar("T")


def at(text: str) -> datetime:
    """'2026-08-14T10:00' → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _added(session: AsyncSession, row: T) -> T:
    session.add(row)
    await session.flush()
    return row


async def make_film(
    session: AsyncSession,
    *,
    slug: str | None = None,
    title: str | None = None,
    release_date: date = date(2026, 5, 1),
    runtime_minutes: int = 120,
    franchise: str | None = None,
    **fields: Any,
) -> Film:
    """A film (`fields`: original_title, synopsis, rating, poster_url); `franchise` is a
    franchise slug, the franchise made when new."""
    n = next(_seq)
    franchise_id = None
    if franchise is not None:
        row = await session.scalar(select(Franchise).where(Franchise.slug == franchise))
        if row is None:
            name = franchise.replace("-", " ").title()
            row = await _added(session, Franchise(slug=franchise, name=name))
        franchise_id = row.id
    film = Film(
        slug=slug or f"film-{n}",
        title=title or f"Film {n}",
        release_date=release_date,
        runtime_minutes=runtime_minutes,
        franchise_id=franchise_id,
        **fields,
    )
    return await _added(session, film)


async def make_cinema(
    session: AsyncSession,
    *,
    name: str = "Grand Lumiere",
    city: str = "Springfield",
    country: str = "US",
    timezone: str = "UTC",
    screen_capacity: int = 500,
) -> Cinema:
    """A cinema with one screen, "Screen 1" (`screen_capacity` seats; 0: no screen)."""
    cinema = await _added(session, Cinema(name=name, city=city, country=country, timezone=timezone))
    if screen_capacity:
        await make_screen(session, cinema_id=cinema.id, capacity=screen_capacity)
    return cinema


async def make_screen(
    session: AsyncSession, *, cinema_id: int, name: str = "Screen 1", capacity: int = 500
) -> Screen:
    return await _added(session, Screen(cinema_id=cinema_id, name=name, capacity=capacity))


async def make_showtime(
    session: AsyncSession,
    *,
    film_id: int,
    cinema_id: int,
    starts_at: datetime,
    capacity: int = 100,
    price_minor: int = 1200,
    currency: str = "USD",
    seats_taken: int = 0,
    screen_id: int | None = None,
) -> Showtime:
    """A showtime on `screen_id`, or on the cinema's first screen (made when it has none).
    Rows are built directly: the overlap rule is not applied (catalog.scheduling does)."""
    if screen_id is None:
        screen_id = await session.scalar(
            select(Screen.id).where(Screen.cinema_id == cinema_id).order_by(Screen.id).limit(1)
        )
        if screen_id is None:
            screen_id = (await make_screen(session, cinema_id=cinema_id, capacity=capacity)).id
    showtime = Showtime(
        film_id=film_id,
        cinema_id=cinema_id,
        screen_id=screen_id,
        starts_at=starts_at,
        capacity=capacity,
        seats_taken=seats_taken,
        price_minor=price_minor,
        currency=currency,
    )
    return await _added(session, showtime)


async def make_merchant(
    session: AsyncSession,
    *,
    slug: str | None = None,
    name: str | None = None,
    country: str = "US",
    contact_email: str | None = None,
) -> Merchant:
    """A licensee; its name and e-mail follow its slug unless given."""
    slug = slug or f"merchant-{next(_seq)}"
    merchant = Merchant(
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        country=country,
        contact_email=contact_email or f"{slug}@example.com",
    )
    return await _added(session, merchant)


async def make_agreement(
    session: AsyncSession, *, merchant_id: int, film_ids: Sequence[int], **terms: Any
) -> Agreement:
    """An agreement signed through `create_agreement` (so its terms are validated): active,
    every category and channel, US/GB/JP, 2026-2027, USD, 10 % flat unless overridden."""
    values: dict[str, Any] = {
        "code": f"LA-2026-{next(_seq):04d}",
        "categories": [c.value for c in Category],
        "territories": ["US", "GB", "JP"],
        "channels": [c.value for c in Channel],
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "currency": "USD",
        "rate_bps": 1000,
        "status": AgreementStatus.ACTIVE,
    }
    values.update(terms)
    return await create_agreement(
        session, merchant_id=merchant_id, film_ids=list(film_ids), **values
    )


async def cover_film(session: AsyncSession, agreement_id: int, film_id: int) -> None:
    """Add a film to an agreement's films (as if it had been signed with it)."""
    await _added(session, AgreementFilm(agreement_id=agreement_id, film_id=film_id))


async def make_product(
    session: AsyncSession,
    agreement: Agreement | int,
    film_id: int,
    *,
    sku: str | None = None,
    name: str = "Poster tee",
    category: Category | str = Category.APPAREL,
    price_minor: int = 2500,
    stock: int = 100,
    stage: ApprovalStage = ApprovalStage.APPROVED,
    **fields: Any,
) -> Product:
    """A product of `agreement` (the row or its id): its merchant's, in its currency unless
    `currency` is given, approved unless `stage` says otherwise."""
    if isinstance(agreement, int):
        found = await session.get(Agreement, agreement)
        assert found is not None, f"no agreement {agreement}"
        agreement = found
    fields.setdefault("currency", agreement.currency)
    product = Product(
        sku=sku or f"SKU-{next(_seq)}",
        merchant_id=agreement.merchant_id,
        agreement_id=agreement.id,
        film_id=film_id,
        name=name,
        category=Category(category),
        price_minor=price_minor,
        stock=stock,
        approval_stage=stage,
        **fields,
    )
    return await _added(session, product)


async def approve(session: AsyncSession, *products: Product) -> None:
    """Move `products` to approved, in the database and on the objects."""
    await session.execute(
        update(Product)
        .where(Product.id.in_([p.id for p in products]))
        .values(approval_stage=ApprovalStage.APPROVED)
    )
    for product in products:
        product.approval_stage = ApprovalStage.APPROVED


async def make_bundle(
    session: AsyncSession,
    *,
    film_id: int,
    components: Sequence[tuple[int, int]],
    valid_from: datetime,
    valid_to: datetime,
    code: str | None = None,
    name: str = "Premiere pack",
    price_minor: int = 4000,
    currency: str = "USD",
    per_order_limit: int = 4,
    description: str = "",
) -> BundleOffer:
    """A bundle offer of a film with `components` as (product id, qty), in that order."""
    offer = await _added(
        session,
        BundleOffer(
            code=code or f"bundle-{next(_seq)}",
            film_id=film_id,
            name=name,
            description=description,
            price_minor=price_minor,
            currency=currency,
            valid_from=valid_from,
            valid_to=valid_to,
            per_order_limit=per_order_limit,
        ),
    )
    for position, (product_id, qty) in enumerate(components, start=1):
        session.add(
            BundleComponent(offer_id=offer.id, position=position, product_id=product_id, qty=qty)
        )
    await session.flush()
    return offer


async def make_order(
    session: AsyncSession,
    *,
    now: datetime,
    number: str | None = None,
    status: OrderStatus = OrderStatus.PAID,
    total_minor: int = 0,
    email: str = "fan@example.com",
    country: str = "US",
    currency: str = "USD",
    address: dict[str, str] | None = None,
    **fields: Any,
) -> Order:
    """An order that expires at `now` and, when paid, was paid at `now` (`fields`:
    payment_intent_id, ...); `address` (the parts of `tests.factory.shipping_address`) adds
    its shipping address row."""
    if status == OrderStatus.PAID:
        fields.setdefault("paid_at", now)
    order = Order(
        number=number or f"T-{next(_seq):04d}",
        access_key_hash="0" * 64,
        email=email,
        country=country,
        currency=currency,
        status=status,
        total_minor=total_minor,
        expires_at=now,
        **fields,
    )
    order = await _added(session, order)
    if address is not None:
        await _added(session, ShippingAddress(order_id=order.id, country=country, **address))
    return order


async def make_order_line(
    session: AsyncSession,
    order_id: int,
    *,
    kind: LineKind,
    quantity: int = 1,
    unit_price_minor: int = 1000,
    total_minor: int | None = None,
    **fields: Any,
) -> OrderLine:
    """A line of an order (`fields`: product_id, showtime_id, bundle_offer_id, merchant_id,
    description, refunded_quantity); its total is quantity times unit price unless given."""
    line = OrderLine(
        order_id=order_id,
        kind=kind,
        quantity=quantity,
        unit_price_minor=unit_price_minor,
        total_minor=unit_price_minor * quantity if total_minor is None else total_minor,
        **fields,
    )
    return await _added(session, line)


async def make_ticket_line(
    session: AsyncSession,
    showtime: Showtime,
    quantity: int,
    *,
    now: datetime,
    number: str | None = None,
    **line_fields: Any,
) -> OrderLine:
    """A paid order of `quantity` tickets for `showtime` at its price; the order's one line."""
    total = showtime.price_minor * quantity
    order = await make_order(session, now=now, number=number, total_minor=total,
                             currency=showtime.currency)  # fmt: skip
    return await make_order_line(session, order.id, kind=LineKind.TICKET, quantity=quantity,
                                 showtime_id=showtime.id, unit_price_minor=showtime.price_minor,
                                 **line_fields)  # fmt: skip


async def make_staff_user(
    session: AsyncSession,
    *,
    username: str = "desk-officer",
    password: str | None = None,
    display_name: str = "",
    hasher: Any = None,
) -> StaffUser:
    """A staff user; without `password` it has no usable one (argon2 is slow, and an API
    caller only needs a token)."""
    password_hash = "!" if password is None else hash_password(password, hasher=hasher)
    user = StaffUser(
        username=username, display_name=display_name or username, password_hash=password_hash
    )
    return await _added(session, user)


async def make_api_token(
    session: AsyncSession,
    *,
    merchant: Merchant | None = None,
    staff_user: StaffUser | None = None,
    name: str = "test",
    scopes: frozenset[TokenScope] | None = None,
) -> tuple[ApiToken, str]:
    """A token for a merchant or a staff user, and its secret (issued by the service); a
    merchant token holds `scopes` (read,write unless told)."""
    return await create_api_token(
        session, merchant=merchant, staff_user=staff_user, name=name, scopes=scopes
    )
