"""The demo's past: paid orders over three quarters (the plan of `tiein.demo.demand`), with
their tickets, bundle allocations, fulfilments, shipments, ledger entries and some refunds,
the demo campaign's attributed orders, code uses and referral visits (tiein.demo.campaign),
and the closed periods.

Written in bulk, 500 orders to a transaction: multi-row INSERTs into the same tables the
services write (orders, shipping addresses, order lines, bundle allocations, tickets), the
ledger through its one writer (`licensing.ledger.post_sales`, a batch at a time, so tiers
and the per-unit minimum apply as in the shop), and stock and seats set once at the end.
Historical orders never met Stripe, so they skip checkout and payment and carry a `DEMO-`
number; refunds go through `post_refund`, as the refund service would post them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.bundles import allocate_bundle, bundle_weights
from catalog.models import Product, Showtime, Ticket
from catalog.tickets import new_ticket_code
from kernel.db import Database
from kernel.periods import period_bounds, period_of, periods_between, previous_period
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel
from orders.addresses import CleanAddress, ShippingAddress
from orders.fulfilment_models import Fulfilment, FulfilmentStatus
from orders.models import (
    BundleAllocation,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)
from orders.promotions_math import bundle_part_nets
from tiein.demo.campaign import Attribution, DemoCampaign, attribute, record_uses, record_visits
from tiein.demo.catalog import World, local_time
from tiein.demo.data import SEED
from tiein.demo.demand import Catalogue, PlannedOrder, Slot, plan_history
from tiein.demo.shipping import ship_batch

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
BATCH = 500


def history_start(today: date) -> date:
    """The first day of the history: the start of the quarter before the previous one."""
    return period_bounds(previous_period(previous_period(period_of(today))))[0].date()


def catalogue_of(world: World) -> Catalogue:
    usd = [p for p in world.products.values() if p.currency == "USD"]
    slots = [
        Slot(s.id, s.film_id, s.starts_at, s.capacity, s.price_minor)
        for s in world.showtimes
        if s.currency == "USD"
    ]
    return Catalogue(
        films={f.id: (f.slug, f.release_date) for f in world.films.values()},
        products=usd,
        slots=slots,
        offers=[b for b in world.bundles if b.currency == "USD"],
        stock={p.id: p.stock for p in usd},
        seats={s.id: s.capacity for s in slots},
    )


async def place_history(
    db: Database,
    world: World,
    rng: random.Random,
    today: date,
    count: int,
    step: Callable[[int], None],
    campaign: DemoCampaign,
) -> int:
    """`count` paid USD orders (fewer only if everything sold out) since `history_start`,
    some of them brought by the demo `campaign` (tiein.demo.campaign)."""
    cat = catalogue_of(world)
    plan = plan_history(rng, cat, history_start(today), today, count)
    marks = attribute(plan, campaign, _unit_price)
    shipped_before = local_time(today - timedelta(days=3), 0)
    for start in range(0, len(plan), BATCH):
        async with db.session() as session:
            await _write_batch(session, plan[start : start + BATCH], start, shipped_before, marks)
        step(min(BATCH, len(plan) - start))
    async with db.session() as session:
        await record_visits(session, campaign, plan, marks, today)
        sold = {pid: 0 for pid in cat.stock}
        for product in cat.products:
            sold[product.id] = product.stock - cat.stock[product.id]
        if sold:
            await session.execute(
                update(Product),
                [{"id": pid, "stock": cat.stock[pid]} for pid, n in sold.items() if n],
            )
        taken = [
            {"id": s.id, "seats_taken": s.capacity - cat.seats[s.id]}
            for s in cat.slots
            if cat.seats[s.id] != s.capacity
        ]
        if taken:
            await session.execute(update(Showtime), taken)
    return len(plan)


async def _write_batch(
    session: AsyncSession,
    plan: list[PlannedOrder],
    offset: int,
    shipped_before: object,
    marks: dict[int, Attribution],
) -> None:
    # The campaign's orders (by index in the batch): attributed, some with the code's
    # discount split over their lines (nets after it go to the ledger and the bundle parts).
    mark = {i: marks[offset + i] for i in range(len(plan)) if offset + i in marks}
    orders = [
        {
            "number": f"DEMO-{offset + i + 1:06d}",
            "access_key_hash": hashlib.sha256(f"demo-{SEED}-{offset + i}".encode()).hexdigest(),
            "email": o.email,
            "country": "US",
            "currency": "USD",
            "status": OrderStatus.PAID,
            "total_minor": sum(_unit_price(x) * x.qty for x in o.lines)
            - (mark[i].discount_minor if i in mark else 0),
            "refunded_minor": 0,
            "created_at": o.paid_at - timedelta(minutes=3),
            "expires_at": o.paid_at + timedelta(minutes=12),
            "paid_at": o.paid_at,
            "campaign_id": mark[i].campaign_id if i in mark else None,
            "promo_code_id": mark[i].promo_code_id if i in mark else None,
            "discount_minor": mark[i].discount_minor if i in mark else 0,
        }
        for i, o in enumerate(plan)
    ]
    order_ids = list(
        await session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True), orders
        )
    )
    addresses = [
        DEMO_ADDRESS.__dict__ | {"order_id": oid}
        for oid, o in zip(order_ids, plan, strict=True)
        if o.has_merch
    ]
    if addresses:
        await session.execute(insert(ShippingAddress), addresses)
    await record_uses(session, [(order_ids[i], plan[i], a) for i, a in mark.items()])
    rows = []
    share_of = {}  # (order id, line index) -> the line's share of the discount
    for i, (oid, o) in enumerate(zip(order_ids, plan, strict=True)):
        for n, x in enumerate(o.lines):
            share_of[oid, n] = mark[i].shares[n] if i in mark else 0
            rows.append(
                {
                    "order_id": oid,
                    "kind": x.kind,
                    "product_id": x.product.id if x.product else None,
                    "showtime_id": x.slot.id if x.slot else None,
                    "bundle_offer_id": x.offer.id if x.offer else None,
                    "merchant_id": x.product.merchant_id if x.product else None,
                    "description": _description(x),
                    "quantity": x.qty,
                    "unit_price_minor": _unit_price(x),
                    "total_minor": _unit_price(x) * x.qty,
                    "discount_minor": share_of[oid, n],
                    "refunded_quantity": 0,
                }
            )
    line_ids = list(
        await session.scalars(
            insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True), rows
        )
    )
    # Walk the lines again with their ids: allocations, tickets, ledger lines.
    flat = [
        (oid, o, x, share_of[oid, n])
        for oid, o in zip(order_ids, plan, strict=True)
        for n, x in enumerate(o.lines)
    ]
    parts, part_keys, tickets, sales = [], [], [], []
    for line_id, (_, o, x, share) in zip(line_ids, flat, strict=True):
        if x.slot is not None:
            tickets += [
                {"code": new_ticket_code(), "order_line_id": line_id, "showtime_id": x.slot.id,
                 "issued_at": o.paid_at}
                for _ in range(x.qty)
            ]  # fmt: skip
        if x.kind == LineKind.PRODUCT:
            assert x.product is not None
            sales.append(
                SaleLine(f"order_line:{line_id}", x.product.id, x.qty,
                         _unit_price(x) * x.qty - share, Channel.STOREFRONT, "US", o.paid_at)
            )  # fmt: skip
        if x.kind == LineKind.BUNDLE:
            assert x.offer is not None and x.slot is not None
            merchants = {c.product_id: c.product.merchant_id for c in x.offer.components}
            split = allocate_bundle(x.offer, x.slot)  # type: ignore[arg-type]
            nets = bundle_part_nets(
                _unit_price(x) * x.qty - share, bundle_weights(x.offer, x.slot),  # type: ignore[arg-type]
                x.qty, [part.amount_minor for part in split],
            )  # fmt: skip
            for part, net in zip(split, nets, strict=True):
                parts.append(
                    {"order_line_id": line_id, "position": part.position,
                     "product_id": part.product_id, "merchant_id": merchants.get(part.product_id),
                     "qty": part.qty, "amount_minor": part.amount_minor, "net_minor": net}
                )  # fmt: skip
                part_keys.append((o, x, part, net))
    part_ids = []
    if parts:
        part_ids = list(
            await session.scalars(
                insert(BundleAllocation).returning(
                    BundleAllocation.id, sort_by_parameter_order=True
                ),
                parts,
            )
        )
    for part_id, (o, x, part, net) in zip(part_ids, part_keys, strict=True):
        if part.product_id is not None:
            sales.append(
                SaleLine(f"bundle_part:{part_id}", part.product_id, part.qty * x.qty,
                         net, Channel.BUNDLE, "US", o.paid_at)
            )  # fmt: skip
    if tickets:
        await session.execute(insert(Ticket), tickets)
    sales.sort(key=lambda s: s.occurred_at)
    await post_sales(session, sales, now=plan[-1].paid_at)
    lines_of = {}
    for line_id, (oid, _, x, _) in zip(line_ids, flat, strict=True):
        lines_of.setdefault(oid, []).append((line_id, x))
    allocations = {}
    for part_id, row in zip(part_ids, parts, strict=True):
        allocations.setdefault(row["order_line_id"], []).append((part_id, row))
    refunded = await _refund(session, plan, order_ids, lines_of)
    pairs = zip(order_ids, plan, strict=True)
    to_ship = [(oid, o.paid_at, lines_of[oid]) for oid, o in pairs if o.has_merch]
    await ship_batch(
        session, [t for t in to_ship if t[0] not in refunded], allocations, shipped_before
    )


def _unit_price(line: object) -> int:
    if line.offer is not None:  # type: ignore[attr-defined]
        return line.offer.price_minor  # type: ignore[attr-defined]
    if line.product is not None:  # type: ignore[attr-defined]
        return line.product.price_minor  # type: ignore[attr-defined]
    return line.slot.price_minor  # type: ignore[attr-defined]


def _description(line: object) -> str:
    if line.offer is not None:  # type: ignore[attr-defined]
        return line.offer.name  # type: ignore[attr-defined]
    if line.product is not None:  # type: ignore[attr-defined]
        return line.product.name  # type: ignore[attr-defined]
    return "Ticket"


async def _refund(
    session: AsyncSession,
    plan: list[PlannedOrder],
    order_ids: list[int],
    lines_of: dict[int, list],
) -> set[int]:
    """Refund one unit of the first merchandise line of the planned orders; returns the ids
    of orders refunded whole (they are not shipped)."""
    whole = set()
    for oid, o in zip(order_ids, plan, strict=True):
        if o.refund_at is None:
            continue
        line_id, line = next((i, x) for i, x in lines_of[oid] if x.kind == LineKind.PRODUCT)
        amount = _unit_price(line)
        total = sum(_unit_price(x) * x.qty for _, x in lines_of[oid])
        refund = Refund(
            order_id=oid, idempotency_key=f"demo-refund-{oid}", amount_minor=amount,
            reason="Arrived damaged", created_by="demo", created_at=o.refund_at,
        )  # fmt: skip
        session.add(refund)
        await session.flush()
        refund_line = RefundLine(
            refund_id=refund.id, order_line_id=line_id, quantity=1, amount_minor=amount
        )
        session.add(refund_line)
        await session.flush()
        everything = amount == total
        await session.execute(
            update(OrderLine).where(OrderLine.id == line_id).values(refunded_quantity=1)
        )
        await session.execute(
            update(Order)
            .where(Order.id == oid)
            .values(
                refunded_minor=amount,
                status=OrderStatus.REFUNDED if everything else OrderStatus.PARTIALLY_REFUNDED,
            )
        )
        if everything:
            whole.add(oid)
        await post_refund(
            session,
            original_source_ref=f"order_line:{line_id}",
            refund_source_ref=f"refund_line:{refund_line.id}",
            units=1,
            net_minor=amount,
            occurred_at=o.refund_at,
            now=o.refund_at,
        )
    return whole


async def count_deliveries(db: Database) -> tuple[int, int]:
    """How many fulfilments the history made, and how many of them shipped."""
    async with db.read_session() as session:
        made = await session.scalar(select(func.count(Fulfilment.id)))
        shipped = await session.scalar(
            select(func.count(Fulfilment.id)).where(Fulfilment.status == FulfilmentStatus.SHIPPED)
        )
    return made or 0, shipped or 0


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
