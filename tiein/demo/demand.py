"""The demo's demand model: how many orders each film draws on each day, and what is in them.

Pure and seeded (the caller's `random.Random(SEED)`): the same catalogue and day give the
same plan. `plan_history` returns the orders; `tiein.demo.history` writes them in bulk.

The model, per film f with release date R and day d:

- **Ticket demand** `tickets(f, d) = POPULARITY[f] * lifecycle(d - R) * WEEKLY[d.weekday()]`.
  `lifecycle(t)`: nothing until three weeks before release, then presales rising as
  `0.35 * exp(t / 5)` (shoppers book the opening weekend), 1.0 on the opening weekend
  (t = 0..3), then a decay `exp(-(t - 3) / TAIL_DAYS[f])` down to a floor of 3 % (the long
  tail of a film still showing). `WEEKLY` is the week's shape: Friday to Sunday sell most.
- A ticket order books a showtime of f between one hour and ten days ahead, the sooner the
  likelier (weight `exp(-days_ahead / 2.5)`), so presales land on the opening days; 1-4
  tickets (family films buy more); a quarter of them take the film's bundle offer instead,
  when it has one. It adds merch units ~ Poisson(0.6 * ATTACH[f] * tickets).
- **Merch-only orders** come at `0.3 * ATTACH[f] * tickets(f, d)` plus a small floor for
  every released film (its fans keep buying posters long after the film has left cinemas),
  with 1-3 units. Products are drawn by their appeal: cheaper goods sell more
  (`(3000 / price) ** 0.6`), times a fixed per-product taste factor (log-normal, seeded),
  so attach rates differ per film and per product.
- Sold-out goods and full showtimes are skipped, as the shop would refuse them; about 3 %
  of the orders with merch get one unit refunded one to twenty days later.

The total number of orders is fixed (`count`): days and films are drawn in proportion to
the model's intensities. Orders are USD and American, as the New York cinema's are.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from catalog.models import BundleOffer, Product
from orders.models import LineKind
from tiein.demo.data import EMAIL_NAMES

# Relative ticket volume at the opening weekend, decay time in days, merch units per ticket.
POPULARITY = {
    "starfall-rising": 1.0,
    "the-lantern-keeper": 0.55,
    "paper-tigers": 0.8,
    "midnight-ferry": 0.7,
    "harbor-lights": 0.3,
    "starfall-echoes": 1.2,
    "kaiju-summer": 0.6,
}
TAIL_DAYS = {"starfall-rising": 35, "the-lantern-keeper": 45, "paper-tigers": 28}
DEFAULT_TAIL_DAYS = 18
ATTACH = {
    "starfall-rising": 0.55,
    "the-lantern-keeper": 0.3,
    "paper-tigers": 0.65,
    "midnight-ferry": 0.2,
    "harbor-lights": 0.4,
}
DEFAULT_ATTACH = 0.3
FAMILY_FILMS = {"paper-tigers", "the-lantern-keeper", "kaiju-summer"}
WEEKLY = (0.75, 0.7, 0.8, 0.95, 1.35, 1.6, 1.25)  # Monday .. Sunday
MERCH_FLOOR = 0.02  # merch-only intensity of a released film, whatever its lifecycle
BUNDLE_SHARE = 0.25
REFUND_SHARE = 0.03


def lifecycle(days_since_release: int, tail_days: float) -> float:
    """Ticket demand relative to the opening weekend (see the module's docstring)."""
    t = days_since_release
    if t < -21:
        return 0.0
    if t < 0:
        return 0.35 * math.exp(t / 5)
    if t <= 3:
        return 1.0
    return max(0.03, math.exp(-(t - 3) / tail_days))


def ticket_intensity(slug: str, release: date, day: date) -> float:
    tail = TAIL_DAYS.get(slug, DEFAULT_TAIL_DAYS)
    shape = lifecycle((day - release).days, tail)
    return POPULARITY.get(slug, 0.5) * shape * WEEKLY[day.weekday()]


@dataclass(frozen=True)
class Slot:
    """A showtime as the plan sees it (duck-types `Showtime` for `allocate_bundle`)."""

    id: int
    film_id: int
    starts_at: datetime
    capacity: int
    price_minor: int
    currency: str = "USD"


@dataclass
class PlannedLine:
    kind: LineKind
    qty: int
    product: Product | None = None
    slot: Slot | None = None
    offer: BundleOffer | None = None


@dataclass
class PlannedOrder:
    paid_at: datetime
    email: str
    lines: list[PlannedLine] = field(default_factory=list)
    refund_at: datetime | None = None  # one unit of the first product line, then

    @property
    def has_merch(self) -> bool:
        return any(line.kind != LineKind.TICKET for line in self.lines)


@dataclass
class Catalogue:
    """What the plan sells: films (id -> slug, release), USD products, slots, offers."""

    films: dict[int, tuple[str, date]]
    products: list[Product]
    slots: list[Slot]
    offers: list[BundleOffer]
    stock: dict[int, int] = field(default_factory=dict)
    seats: dict[int, int] = field(default_factory=dict)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _appeal(rng: random.Random, products: list[Product]) -> dict[int, float]:
    return {
        p.id: (3000 / max(p.price_minor, 100)) ** 0.6 * rng.lognormvariate(0, 0.45)
        for p in products
    }


def plan_history(
    rng: random.Random, cat: Catalogue, first_day: date, today: date, count: int
) -> list[PlannedOrder]:
    """`count` orders between `first_day` and yesterday, by the model above, in time order."""
    appeal = _appeal(rng, cat.products)
    by_film: dict[int, list[Product]] = {}
    for product in cat.products:
        by_film.setdefault(product.film_id, []).append(product)
    slots_of: dict[int, list[Slot]] = {}
    for slot in sorted(cat.slots, key=lambda s: s.starts_at):
        slots_of.setdefault(slot.film_id, []).append(slot)
    offers_of: dict[int, list[BundleOffer]] = {}
    for offer in cat.offers:
        offers_of.setdefault(offer.film_id, []).append(offer)

    cells: list[tuple[date, int, bool]] = []  # (day, film, with tickets)
    weights: list[float] = []
    day = first_day
    while day < today:
        for film_id, (slug, release) in cat.films.items():
            tickets = ticket_intensity(slug, release, day) if slots_of.get(film_id) else 0.0
            if tickets:
                cells.append((day, film_id, True))
                weights.append(tickets)
            if by_film.get(film_id):
                merch = 0.3 * ATTACH.get(slug, DEFAULT_ATTACH) * tickets
                merch += MERCH_FLOOR * WEEKLY[day.weekday()] if day >= release else 0.0
                if merch:
                    cells.append((day, film_id, False))
                    weights.append(merch)
        day += timedelta(days=1)
    drawn = rng.choices(cells, weights=weights, k=count)
    moments = sorted(
        (
            datetime.combine(d, datetime.min.time()).replace(tzinfo=UTC)
            + timedelta(hours=rng.choice((10, 12, 13, 15, 17, 18, 19, 20, 21, 22)),
                        minutes=rng.randrange(60)),
            film_id,
            with_tickets,
        )
        for d, film_id, with_tickets in drawn
    )  # fmt: skip
    orders = []
    for index, (paid_at, film_id, with_tickets) in enumerate(moments):
        slug = cat.films[film_id][0]
        order = PlannedOrder(paid_at, f"{rng.choice(EMAIL_NAMES)}{index}@shoppers.example")
        units = 1 + _poisson(rng, 0.6)
        if with_tickets:
            slot = _pick_slot(rng, cat, slots_of[film_id], paid_at)
            if slot is not None:
                qty = rng.choice((2, 2, 3, 4) if slug in FAMILY_FILMS else (1, 1, 2, 2, 3))
                qty = min(qty, cat.seats[slot.id])
                cat.seats[slot.id] -= qty
                offers = offers_of.get(film_id, [])
                if offers and rng.random() < BUNDLE_SHARE:
                    offer = rng.choice(offers)
                    qty = min(qty, offer.per_order_limit)
                    if all(cat.stock[c.product_id] >= c.qty * qty for c in offer.components):
                        for c in offer.components:
                            cat.stock[c.product_id] -= c.qty * qty
                        order.lines.append(
                            PlannedLine(LineKind.BUNDLE, qty, slot=slot, offer=offer)
                        )
                if not order.lines:
                    order.lines.append(PlannedLine(LineKind.TICKET, qty, slot=slot))
                units = _poisson(rng, 0.6 * ATTACH.get(slug, DEFAULT_ATTACH) * qty)
        _add_merch(rng, cat, order, by_film.get(film_id) or cat.products, appeal, units)
        if not order.lines:  # everything sold out: a poster of any film instead
            _add_merch(rng, cat, order, cat.products, appeal, 1)
        if not order.lines:
            continue
        has_product = any(x.kind == LineKind.PRODUCT for x in order.lines)
        if has_product and rng.random() < REFUND_SHARE:
            order.refund_at = min(
                paid_at + timedelta(days=rng.randint(1, 20)),
                datetime.combine(today, datetime.min.time()).replace(tzinfo=UTC),
            )
        orders.append(order)
    return orders


def _pick_slot(rng: random.Random, cat: Catalogue, slots: list[Slot], at: datetime) -> Slot | None:
    ahead = [
        s
        for s in slots
        if at + timedelta(hours=1) <= s.starts_at <= at + timedelta(days=10) and cat.seats[s.id]
    ]
    if not ahead:
        return None
    weights = [math.exp(-(s.starts_at - at).total_seconds() / 86400 / 2.5) for s in ahead]
    return rng.choices(ahead, weights=weights)[0]


def _add_merch(
    rng: random.Random,
    cat: Catalogue,
    order: PlannedOrder,
    products: list[Product],
    appeal: dict[int, float],
    units: int,
) -> None:
    if units <= 0 or not products:
        return
    taken: dict[int, PlannedLine] = {}
    for product in rng.choices(products, weights=[appeal[p.id] for p in products], k=units):
        if cat.stock[product.id] <= 0:
            continue
        cat.stock[product.id] -= 1
        if product.id in taken:
            taken[product.id].qty += 1
        else:
            taken[product.id] = PlannedLine(LineKind.PRODUCT, 1, product=product)
            order.lines.append(taken[product.id])
