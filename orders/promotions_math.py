"""The arithmetic of a promo code (SPEC §9): the discount D, its split over the eligible
lines, and the split of a discounted bundle line's net over its parts (SPEC §5). Pure
functions of values; `orders.promo_checkout` applies them to a cart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kernel.money import allocate, round_minor
from orders.models import LineKind
from orders.promotion_models import PromoKind, PromoScope


@dataclass(frozen=True)
class LineFacts:
    """What the rules need to know of one line: its kind, its film and its total."""

    kind: LineKind
    film_id: int
    total_minor: int


def in_scope(scope: PromoScope, kind: LineKind) -> bool:
    """Whether a line of `kind` is in the code's scope."""
    return (
        scope == PromoScope.ANY
        or {
            PromoScope.TICKETS: LineKind.TICKET,
            PromoScope.MERCH: LineKind.PRODUCT,
            PromoScope.BUNDLES: LineKind.BUNDLE,
        }[scope]
        == kind
    )


def eligible_lines(
    lines: Sequence[LineFacts], scope: PromoScope, film_ids: frozenset[int] | None
) -> list[bool]:
    """Per line, whether the code applies to it: in scope and, when `film_ids` is given
    (a code for the campaign's films only), of one of those films; a free line never is."""
    return [
        in_scope(scope, line.kind)
        and (film_ids is None or line.film_id in film_ids)
        and line.total_minor > 0
        for line in lines
    ]


def discount_of(
    kind: PromoKind, eligible_subtotal: int, *, bps: int | None = None, amount: int | None = None
) -> int:
    """D: round_half_up(eligible_subtotal * bps / 10000) for a percentage, min(amount,
    eligible_subtotal) for a fixed amount. Never above the eligible subtotal."""
    if eligible_subtotal <= 0:
        return 0
    if kind == PromoKind.PERCENT:
        assert bps is not None and 0 < bps <= 10000
        return round_minor(Decimal(eligible_subtotal) * bps / 10000)
    assert amount is not None and amount > 0
    return min(amount, eligible_subtotal)


def split_discount(discount: int, totals: Sequence[int], eligible: Sequence[bool]) -> list[int]:
    """Each line's share of D: D split over the eligible lines by their totals with the
    largest-remainder rule (SPEC §5), 0 for the others. No share exceeds its line's total
    when D does not exceed the eligible subtotal."""
    shares = [0] * len(totals)
    chosen = [i for i, ok in enumerate(eligible) if ok]
    if discount == 0 or not chosen:
        return shares
    for i, part in zip(chosen, allocate(discount, [totals[i] for i in chosen]), strict=True):
        shares[i] = part
    return shares


def bundle_part_nets(
    line_net: int, weights: Sequence[int], quantity: int, per_bundle: Sequence[int]
) -> list[int]:
    """The net of each part of a bundle line of `quantity` bundles whose whole net is
    `line_net`, stored per line (SPEC §5): q times each part's share of one bundle
    (`per_bundle`, summing to the price P) when the net is q * P; otherwise (a discount)
    the whole net allocated with weights w_i * q."""
    if line_net == sum(per_bundle) * quantity:
        return [amount * quantity for amount in per_bundle]
    return allocate(line_net, [w * quantity for w in weights])


def total_refused_by_minimum(total: int, minimum: int) -> bool:
    """A code may not leave a total above zero but below the payment minimum (SPEC §9)."""
    return 0 < total < minimum
