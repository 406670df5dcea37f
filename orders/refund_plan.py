"""What a refund gives back: the lines and units asked for, checked, and the money and units
of the merch parts of bundle lines (SPEC §4, §5, §8).

Refunds pay back what was paid, never the list price (SPEC §9): a line's net is its total
minus its share of the order's discount, and k of its q units give back `share(net, q,
refunded so far, k)`, so refunding every unit pays back exactly the net.

A bundle line of q bundles holds, for each merch part i (a BundleAllocation row), U_i =
qty_i * q units whose net is N_i (`net_minor`: a_i * q without a discount, SPEC §5). Its
ticket part's net is refunded per bundle by the same `share` rule.
A part's units are refunded in two ways: a component refund (a merchant cancels units it
cannot ship; the tickets stay valid) or a refund of whole bundles. R_i, the part's units
refunded so far, is the sum of its RefundPart rows.

- The money of refunding r more units after R_i is `share(N_i, U_i, R_i, r)`: the
  difference of the rounded cumulative shares, so the pieces of a part always add up to
  exactly N_i, however it is cut (the same rule as the ledger's royalties).
- Refunding k bundles refunds, of each part, min(qty_i * k, U_i - R_i) units: the units of
  those bundles that no component refund took already (component refunds count from the
  line's last bundles, bundle refunds from its first). Refunding every bundle therefore
  refunds every unit once, and the line's whole net once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from orders.codes import OrderError
from orders.models import BundleAllocation, LineKind, OrderLine, RefundPart


@dataclass(frozen=True)
class PartRefund:
    """Units and money of one merch part given back by one refund line."""

    allocation: BundleAllocation
    units: int
    amount_minor: int


def part_units(line: OrderLine, part: BundleAllocation) -> int:
    """U_i: the units of the part in the whole line."""
    return part.qty * line.quantity


def part_net(line: OrderLine, part: BundleAllocation) -> int:
    """N_i: the part's allocated net in the whole line."""
    return part.net_minor


def line_net(line: OrderLine) -> int:
    """What the shopper paid for the whole line: its total less its share of a discount."""
    return line.total_minor - line.discount_minor


def line_refund(line: OrderLine, units: int) -> int:
    """The money of refunding `units` more units (tickets, products, bundles) of a line,
    after its `refunded_quantity`."""
    return share(line_net(line), line.quantity, line.refunded_quantity, units)


def _cumulative(net: int, units: int, done: int) -> int:
    # round_half_up(net * done / units), in integers
    return (2 * net * done + units) // (2 * units)


def share(net: int, units: int, done: int, more: int) -> int:
    """The money of refunding `more` of `units` units whose net is `net`, after `done`."""
    return _cumulative(net, units, done + more) - _cumulative(net, units, done)


async def refunded_units(session: AsyncSession, allocation_ids: Iterable[int]) -> dict[int, int]:
    """R_i of each part: its units refunded so far (pending refunds included)."""
    ids = sorted(set(allocation_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(RefundPart.bundle_allocation_id, func.sum(RefundPart.units))
        .where(RefundPart.bundle_allocation_id.in_(ids))
        .group_by(RefundPart.bundle_allocation_id)
    )
    return {part_id: int(total or 0) for part_id, total in rows.all()}


def bundle_refund(
    line: OrderLine, bundles: int, refunded: dict[int, int]
) -> tuple[int, list[PartRefund]]:
    """(money, merch parts) of refunding `bundles` bundles of a bundle line: the ticket
    part's share of each bundle plus each merch part's units still unrefunded among them.
    `refunded` (R_i by part id) is updated."""
    if not line.allocations:  # not split (no parts): the line's net is all there is
        return line_refund(line, bundles), []
    money = 0
    parts: list[PartRefund] = []
    for part in line.allocations:
        if part.product_id is None:
            money += share(part.net_minor, line.quantity, line.refunded_quantity, bundles)
            continue
        total = part_units(line, part)
        done = refunded.get(part.id, 0)
        units = min(part.qty * bundles, total - done)
        if units <= 0:
            continue
        amount = share(part_net(line, part), total, done, units)
        refunded[part.id] = done + units
        money += amount
        parts.append(PartRefund(part, units, amount))
    return money, parts


def component_refund(
    line: OrderLine, part: BundleAllocation, units: int, refunded: dict[int, int]
) -> PartRefund | None:
    """Units of one merch part of a bundle line, refunded on their own; None when fewer than
    `units` are left of it. `refunded` (R_i by part id) is updated."""
    total = part_units(line, part)
    done = refunded.get(part.id, 0)
    if units <= 0 or done + units > total:
        return None
    refunded[part.id] = done + units
    return PartRefund(part, units, share(part_net(line, part), total, done, units))


def _positive(qty: object) -> bool:
    return isinstance(qty, int) and not isinstance(qty, bool) and qty > 0


def plan_lines(
    lines: list[OrderLine], wanted: Sequence[tuple[int, int]] | None
) -> list[tuple[OrderLine, int]]:
    """The (line, units) to refund of `wanted` `(order_line_id, quantity)` pairs (repeats
    added up), or all that is left of every line when `wanted` is None; INVALID_REFUND for
    an unknown line, a quantity below 1 or above what is left."""
    by_id = {line.id: line for line in lines}
    if wanted is None:
        plan = [(line, line.quantity - line.refunded_quantity) for line in lines]
        plan = [(line, qty) for line, qty in plan if qty > 0]
        if not plan:
            raise DomainError(OrderError.NOT_REFUNDABLE, "Everything was refunded already.")
        return plan
    totals: dict[int, int] = {}
    for line_id, qty in wanted:
        if line_id not in by_id:
            raise DomainError(
                OrderError.INVALID_REFUND, f"No line {line_id} in this order.", "lines"
            )
        if not _positive(qty):
            raise DomainError(OrderError.INVALID_REFUND, "Refund one unit or more.", "lines")
        totals[line_id] = totals.get(line_id, 0) + qty
    plan = []
    for line_id, qty in totals.items():
        line = by_id[line_id]
        left = line.quantity - line.refunded_quantity
        if qty > left:
            raise DomainError(
                OrderError.INVALID_REFUND,
                f"{line.description}: only {left} of {line.quantity} can still be refunded.",
                "lines",
            )
        plan.append((line, qty))
    return sorted(plan, key=lambda p: p[0].id)


def plan_components(
    lines: list[OrderLine], wanted: Sequence[tuple[int, int]]
) -> list[tuple[OrderLine, BundleAllocation, int]]:
    """The (bundle line, merch part, units) of `wanted` `(bundle_allocation_id, units)`
    pairs (repeats added up); INVALID_REFUND for a part of no bundle line of the order, the
    ticket part, or a quantity below 1 (what is left is checked by `component_refund`)."""
    parts = {
        part.id: (line, part)
        for line in lines
        if line.kind == LineKind.BUNDLE
        for part in line.allocations
        if part.product_id is not None
    }
    totals: dict[int, int] = {}
    for part_id, units in wanted:
        if part_id not in parts:
            raise DomainError(
                OrderError.INVALID_REFUND, f"No merch part {part_id} in this order.", "lines"
            )
        if not _positive(units):
            raise DomainError(OrderError.INVALID_REFUND, "Refund one unit or more.", "lines")
        totals[part_id] = totals.get(part_id, 0) + units
    return [(*parts[part_id], units) for part_id, units in sorted(totals.items())]
