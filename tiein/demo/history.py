"""The demo's past: paid orders over three quarters, with their tickets, ledger entries and
some refunds, and the closed periods."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.bundles import allocate_bundle
from catalog.models import Product, Showtime
from catalog.stock import take_seats, take_stock
from catalog.tickets import issue_tickets
from kernel.db import Database
from kernel.periods import period_bounds, period_of, periods_between, previous_period
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel
from orders.addresses import CleanAddress
from orders.models import (
    BundleAllocation,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)
from tiein.demo.catalog import World, local_time
from tiein.demo.data import (
    EMAIL_NAMES,
    SEED,
)

# Where the demo's merch ships (already in the form `orders.addresses.check_address` gives).
DEMO_ADDRESS = CleanAddress(
    name="Demo Shopper",
    line1="1 Film Row",
    line2="",
    city="NEW YORK",
    area="NY",
    postcode="10001",
    country="US",
)


async def place_history(
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
        local_time(
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


async def close_past_periods(db: Database, today: date) -> list[str]:
    """Close the quarters of the history that have ended, oldest first, as staff would."""
    current = period_of(today)
    first = previous_period(previous_period(current))
    closed = []
    for period in periods_between(first, previous_period(current)):
        async with db.session() as session:
            await close_period(session, period, now=local_time(today, 0), closed_by="demo")
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
        shipping=DEMO_ADDRESS.row() if any(k != LineKind.TICKET for k, _, _ in lines) else None,
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
            net_minor=part.amount_minor * qty,
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
