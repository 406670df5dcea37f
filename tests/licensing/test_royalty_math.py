"""The royalty arithmetic of SPEC §4, as pure functions: worked examples and invariants."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.models import ROYALTY_SCALE
from licensing.royalty import (
    contract_year,
    div_round_half_up,
    entry_royalty,
    micros_to_minor,
    refund_royalty_micros,
    statement_math,
    tiered_micros,
)

TIERS = [(0, 800), (100000, 1200)]
M = ROYALTY_SCALE  # one minor unit in micros


def test_flat_rate_is_net_times_rate_over_10000_exactly():
    # 7,501 minor units at 10.25% = 768.8525 minor units: exact, not rounded.
    assert entry_royalty(3, 7501, rate_bps=1025).micros == 768_852_500


def test_per_unit_minimum_wins_on_cheap_items_and_not_on_dear_ones():
    # 4 units for 10.00 at 10% = 1.00, but the minimum is 1.50 a unit: 6.00.
    assert entry_royalty(4, 1000, rate_bps=1000, per_unit_min_minor=150).micros == 600 * M
    # 2 units for 50.00 at 10% = 5.00 beats 2 x 1.50 = 3.00.
    assert entry_royalty(2, 5000, rate_bps=1000, per_unit_min_minor=150).micros == 500 * M


def test_tier_crossed_in_the_middle_of_an_entry_is_split_at_the_threshold():
    # SPEC example: cumulative 90000, entry 30000 → 10000 at 8% + 20000 at 12% = 3200.
    royalty = entry_royalty(1, 30000, rate_bps=0, tiers=TIERS, cumulative_before=90000)
    assert royalty.micros == 3200 * M
    assert royalty.rate_bps == 1200
    # Wholly inside a tier: 8% below, 12% above.
    assert tiered_micros(10000, 0, TIERS) == 800 * M
    assert tiered_micros(10000, 100000, TIERS) == 1200 * M


def test_a_negative_net_gives_back_the_same_tier_range():
    assert tiered_micros(-30000, 120000, TIERS) == -3200 * M


def test_per_unit_minimum_mirrors_for_a_decrease():
    # A reduction of 4 units / 10.00 gives back the 6.00 the minimum earned.
    assert entry_royalty(-4, -1000, rate_bps=1000, per_unit_min_minor=150).micros == -600 * M


def test_refund_pieces_of_an_indivisible_royalty_sum_to_exactly_minus_the_royalty():
    royalty = 100_100_000  # 100.1 minor units over 3 units
    pieces = [refund_royalty_micros(royalty, 3, before, 1) for before in range(3)]
    assert pieces == [-33_366_667, -33_366_666, -33_366_667]
    assert sum(pieces) == -royalty


def test_refund_beyond_the_line_is_refused():
    with pytest.raises(ValueError):
        refund_royalty_micros(1000, 3, 2, 2)


def test_contract_year_runs_twelve_months_from_the_start_date():
    start = date(2026, 3, 15)
    assert contract_year(start, date(2026, 3, 15)) == (date(2026, 3, 15), date(2027, 3, 15))
    assert contract_year(start, date(2027, 3, 14)) == (date(2026, 3, 15), date(2027, 3, 15))
    assert contract_year(start, date(2027, 3, 15)) == (date(2027, 3, 15), date(2028, 3, 15))
    assert contract_year(date(2024, 2, 29), date(2025, 3, 1))[0] == date(2025, 2, 28)


def test_statement_math_recoups_the_advance_then_pays_then_credits():
    # advance 10.00; earned 6.00, 7.00, then -6.00 after a refund.
    q1 = statement_math(
        royalty_micros=600 * M, previous_cumulative=0, advance=1000, minimum_guarantee=0,
        is_final=False,
    )  # fmt: skip
    assert (q1.royalty_earned, q1.advance_recouped, q1.royalty_payable) == (600, 600, 0)
    q2 = statement_math(
        royalty_micros=700 * M, previous_cumulative=600, advance=1000, minimum_guarantee=0,
        is_final=False,
    )  # fmt: skip
    assert (q2.cumulative_earned, q2.advance_recouped, q2.royalty_payable) == (1300, 400, 300)
    q3 = statement_math(
        royalty_micros=-600 * M, previous_cumulative=1300, advance=1000, minimum_guarantee=0,
        is_final=False,
    )  # fmt: skip
    assert (q3.cumulative_earned, q3.royalty_payable) == (700, -300)


def test_mg_shortfall_only_on_the_final_statement():
    kwargs = {"royalty_micros": 2000 * M, "previous_cumulative": 1000, "advance": 500,
              "minimum_guarantee": 5000}  # fmt: skip
    assert statement_math(**kwargs, is_final=False).mg_shortfall == 0
    assert statement_math(**kwargs, is_final=True).mg_shortfall == 2000


def test_earned_rounds_half_up():
    assert micros_to_minor(1_500_000) == 2
    assert micros_to_minor(1_499_999) == 1
    assert micros_to_minor(-1_500_000) == -2


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**7))
def test_div_round_half_up_agrees_with_decimal(numerator, denominator):
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert div_round_half_up(numerator, denominator) == int(expected)


tier_lists = st.lists(
    st.tuples(st.integers(1, 10**6), st.integers(0, 10000)), max_size=4, unique_by=lambda t: t[0]
).map(lambda extra: [(0, 500), *sorted(extra)])


@given(tier_lists, st.integers(0, 10**6), st.integers(0, 10**6), st.integers(-(10**5), 10**6))
def test_splitting_an_entry_in_two_never_changes_its_tiered_royalty(tiers, a, b, cumulative):
    whole = tiered_micros(a + b, cumulative, tiers)
    assert whole == tiered_micros(a, cumulative, tiers) + tiered_micros(b, cumulative + a, tiers)


@given(st.integers(0, 10**7), st.integers(0, 10000), st.integers(0, 10**6))
def test_one_tier_is_the_flat_rate(net, rate, cumulative):
    assert (
        tiered_micros(net, cumulative, [(0, rate)]) == entry_royalty(1, net, rate_bps=rate).micros
    )


@given(st.integers(0, 10**12), st.integers(1, 50), st.data())
def test_refunding_every_unit_in_pieces_sums_to_minus_the_royalty(royalty, units, data):
    pieces, before = [], 0
    while before < units:
        k = data.draw(st.integers(1, units - before))
        pieces.append(refund_royalty_micros(royalty, units, before, k))
        before += k
    assert sum(pieces) == -royalty
    assert all(p <= 0 for p in pieces)


@given(st.integers(-(10**9), 10**9), st.integers(0, 10**7), st.integers(0, 10**7))
def test_earned_is_recouped_plus_payable_while_cumulatives_stay_positive(micros, prev, advance):
    math = statement_math(
        royalty_micros=micros, previous_cumulative=prev, advance=advance, minimum_guarantee=0,
        is_final=False,
    )  # fmt: skip
    if math.cumulative_earned >= 0:
        assert math.royalty_earned == math.advance_recouped + math.royalty_payable
