"""Royalty arithmetic (SPEC §4), pure: values in, values out, no database.

Exact royalties are integers in millionths of a minor unit (`ROYALTY_SCALE`): `n * r / 10000`
is `n * r * 100` micros, exact for every integer net and rate, so sums stay exact integers and
the only rounding is the ROUND_HALF_UP to a whole minor unit where SPEC §4 names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from licensing.models import ROYALTY_SCALE

BPS = 10_000
MICROS_PER_BPS = ROYALTY_SCALE // BPS  # n * r / 10000 minor units == n * r * 100 micros

Tier = tuple[int, int]  # (threshold in minor units of net, rate in bps)


def div_round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up (ties away from zero), in integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def micros_to_minor(micros: int) -> int:
    """round_half_up of an exact royalty to a whole minor unit (SPEC §2)."""
    return div_round_half_up(micros, ROYALTY_SCALE)


def flat_micros(net_minor: int, rate_bps: int) -> int:
    """`n * r / 10000` in micros (exact)."""
    return net_minor * rate_bps * MICROS_PER_BPS


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers ascend strictly, start at threshold 0, rates within 0..10000 bps."""
    if not tiers:
        return
    if tiers[0][0] != 0:
        raise ValueError("the first tier starts at 0")
    for (low, _), (high, _) in pairwise(tiers):
        if high <= low:
            raise ValueError("tier thresholds must ascend strictly")
    for _, rate in tiers:
        if not 0 <= rate <= BPS:
            raise ValueError("tier rates lie between 0 and 10000 bps")


def tier_rate_at(cumulative: int, tiers: Sequence[Tier]) -> int:
    """The rate of the tier that a cumulative net has reached (below 0: the first tier)."""
    rate = tiers[0][1]
    for threshold, tier_rate in tiers:
        if cumulative >= threshold:
            rate = tier_rate
    return rate


def tiered_micros(net_minor: int, cumulative_before: int, tiers: Sequence[Tier]) -> int:
    """The royalty of a net amount whose parts fall in different tiers (SPEC §4).

    The net covers [cumulative_before, cumulative_before + net) of the contract year's
    cumulative net; each part is charged at the rate of the tier it lies in. A negative net
    (a reduction) covers the same range downwards and earns the negative of that range.
    Example: tiers [(0, 800), (100000, 1200)], cumulative 90000, net 30000 →
    10000 at 8% + 20000 at 12% = 3200 minor units.
    """
    if net_minor == 0:
        return 0
    low, high = sorted((cumulative_before, cumulative_before + net_minor))
    sign = 1 if net_minor > 0 else -1
    total = 0
    for i, (threshold, rate) in enumerate(tiers):
        tier_low = threshold if i > 0 else min(low, threshold)
        tier_high = tiers[i + 1][0] if i + 1 < len(tiers) else max(high, threshold)
        part = min(high, tier_high) - max(low, tier_low)
        if part > 0:
            total += flat_micros(part, rate)
    return sign * total


@dataclass(frozen=True)
class EntryRoyalty:
    micros: int  # the exact royalty
    rate_bps: int  # the rate applied (with tiers: the rate in force after the entry)


def entry_royalty(
    units: int,
    net_minor: int,
    *,
    rate_bps: int,
    per_unit_min_minor: int | None = None,
    tiers: Sequence[Tier] = (),
    cumulative_before: int = 0,
) -> EntryRoyalty:
    """Exact royalty of one ledger entry: `max(n * r / 10000, u * m)` (SPEC §4).

    With tiers, `n * r / 10000` becomes the sum over the entry's parts split at the
    thresholds. The per-unit minimum applies only when set; for a decrease (units and net
    both negative, e.g. an amended report) it mirrors: `min(n * r / 10000, u * m)`.
    """
    if tiers:
        base = tiered_micros(net_minor, cumulative_before, tiers)
        rate = tier_rate_at(cumulative_before + max(net_minor, 0) - (net_minor > 0), tiers)
    else:
        base, rate = flat_micros(net_minor, rate_bps), rate_bps
    if per_unit_min_minor is not None:
        floor = units * per_unit_min_minor * ROYALTY_SCALE
        if units >= 0 and net_minor >= 0:
            base = max(base, floor)
        elif units <= 0 and net_minor <= 0:
            base = min(base, floor)
    return EntryRoyalty(base, rate)


def refund_royalty_micros(
    original_micros: int, original_units: int, refunded_before: int, refunded_now: int
) -> int:
    """The (negative) royalty of refunding `refunded_now` of a line's q units (SPEC §4).

    `-(R * k / q)`, rounded to whole micros by the cumulative-difference rule, so that
    refunding all q units in any number of pieces sums to exactly -R.
    """
    q = original_units
    if q <= 0 or refunded_now <= 0 or refunded_before < 0 or refunded_before + refunded_now > q:
        raise ValueError("a refund takes between 1 and the remaining units of a line")
    after = div_round_half_up(original_micros * (refunded_before + refunded_now), q)
    before = div_round_half_up(original_micros * refunded_before, q)
    return -(after - before)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def contract_year(start: date, on: date) -> tuple[date, date]:
    """[from, to) of the contract year holding `on`: 12 months from the start date and its
    anniversaries. Days before the start belong to the first year."""
    years = max(0, on.year - start.year)
    while years > 0 and add_years(start, years) > on:
        years -= 1
    return add_years(start, years), add_years(start, years + 1)


@dataclass(frozen=True)
class StatementMath:
    royalty_earned: int
    cumulative_earned: int
    previous_cumulative: int
    advance_recouped: int
    royalty_payable: int
    mg_shortfall: int


def mg_shortfall(minimum_guarantee: int, advance: int, cumulative_earned: int) -> int:
    """The minimum-guarantee shortfall on the final statement (SPEC §4):
    max(0, minimum_guarantee - max(advance, cumulative_earned))."""
    return max(0, minimum_guarantee - max(advance, cumulative_earned))


def statement_math(
    *,
    royalty_micros: int,
    previous_cumulative: int,
    advance: int,
    minimum_guarantee: int,
    is_final: bool,
) -> StatementMath:
    """The money figures of one statement (SPEC §4), all in minor units.

    - royalty_earned = round_half_up(sum of exact royalties of the period)
    - cumulative_earned = previous cumulative + royalty_earned
    - royalty_payable = max(0, cum - advance) - max(0, prev - advance)   (may be negative)
    - advance_recouped (this period) = min(advance, max(0, cum)) - min(advance, max(0, prev)),
      so that earned == recouped + payable whenever both cumulatives are non-negative
    - mg_shortfall, on the period holding the end date only,
      = max(0, minimum_guarantee - max(advance, cum)); 0 otherwise
    """
    earned = micros_to_minor(royalty_micros)
    cumulative = previous_cumulative + earned
    payable = max(0, cumulative - advance) - max(0, previous_cumulative - advance)
    recouped = min(advance, max(0, cumulative)) - min(advance, max(0, previous_cumulative))
    shortfall = mg_shortfall(minimum_guarantee, advance, cumulative) if is_final else 0
    return StatementMath(earned, cumulative, previous_cumulative, recouped, payable, shortfall)
