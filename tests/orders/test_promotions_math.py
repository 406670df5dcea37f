"""The arithmetic of promo codes (SPEC §9): D, its split over the eligible lines by the
largest-remainder rule, and a discounted bundle line's net split over its parts (SPEC §5)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kernel.money import allocate, minimum_charge
from orders.models import LineKind
from orders.promotion_models import PromoKind, PromoScope
from orders.promotions_math import (
    LineFacts,
    bundle_part_nets,
    discount_of,
    eligible_lines,
    split_discount,
    total_refused_by_minimum,
)
from orders.refund_plan import share


def test_a_percentage_rounds_half_up_and_a_fixed_amount_stops_at_the_subtotal() -> None:
    assert discount_of(PromoKind.PERCENT, 10200, bps=1000) == 1020
    assert discount_of(PromoKind.PERCENT, 1005, bps=1000) == 101  # 100.5 → 101
    assert discount_of(PromoKind.PERCENT, 1004, bps=1000) == 100  # 100.4 → 100
    assert discount_of(PromoKind.PERCENT, 999, bps=10000) == 999
    assert discount_of(PromoKind.FIXED, 5000, amount=700) == 700
    assert discount_of(PromoKind.FIXED, 500, amount=700) == 500
    assert discount_of(PromoKind.FIXED, 0, amount=700) == 0


def test_ten_percent_of_the_full_cart_splits_by_line_totals() -> None:
    # given two shirts (5000), a ticket (1200) and a bundle (4000): D = 1020
    assert split_discount(1020, [5000, 1200, 4000], [True, True, True]) == [500, 120, 400]
    # a merch-only code: the shirts carry all of it
    assert split_discount(500, [5000, 1200, 4000], [True, False, False]) == [500, 0, 0]
    # remainders: 100 over 3 equal lines → 34, 33, 33 (ties to the earlier line)
    assert split_discount(100, [300, 300, 300], [True, True, True]) == [34, 33, 33]


def test_a_discounted_bundle_line_allocates_its_whole_net_over_its_parts() -> None:
    # the order shop's bundle: ticket 1200, shirt 2500 x1, posters 1500 x2; price 4000
    weights = [1200, 2500, 3000]
    per_bundle = allocate(4000, weights)
    assert per_bundle == [716, 1493, 1791]
    # undiscounted, each part is q times its share of one bundle
    assert bundle_part_nets(8000, weights, 2, per_bundle) == [1432, 2986, 3582]
    # with 400 off one bundle, the net 3600 is allocated afresh
    assert bundle_part_nets(3600, weights, 1, per_bundle) == [645, 1343, 1612]


def test_scope_and_films_decide_which_lines_are_eligible() -> None:
    lines = [
        LineFacts(LineKind.PRODUCT, 1, 2500),
        LineFacts(LineKind.TICKET, 2, 1200),
        LineFacts(LineKind.BUNDLE, 1, 4000),
        LineFacts(LineKind.TICKET, 1, 0),  # free: never eligible
    ]
    assert eligible_lines(lines, PromoScope.ANY, None) == [True, True, True, False]
    assert eligible_lines(lines, PromoScope.TICKETS, None) == [False, True, False, False]
    assert eligible_lines(lines, PromoScope.MERCH, None) == [True, False, False, False]
    assert eligible_lines(lines, PromoScope.BUNDLES, None) == [False, False, True, False]
    assert eligible_lines(lines, PromoScope.ANY, frozenset({1})) == [True, False, True, False]


def test_a_total_between_zero_and_the_payment_minimum_is_refused() -> None:
    assert minimum_charge("USD") == 50 and minimum_charge("JPY") == 50
    assert total_refused_by_minimum(49, 50)
    assert not total_refused_by_minimum(0, 50)
    assert not total_refused_by_minimum(50, 50)


lines_st = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(1, 5), st.booleans()), min_size=1, max_size=6
)


@given(
    lines=lines_st,
    percent=st.integers(1, 10000),
    fixed=st.integers(1, 200_000),
    use_percent=st.booleans(),
)
def test_shares_add_up_to_d_and_no_line_goes_below_zero(
    lines: list[tuple[int, int, bool]], percent: int, fixed: int, use_percent: bool
) -> None:
    totals = [unit * qty for unit, qty, _ in lines]
    eligible = [ok for _, _, ok in lines]
    subtotal = sum(t for t, ok in zip(totals, eligible, strict=True) if ok)
    if use_percent:
        d = discount_of(PromoKind.PERCENT, subtotal, bps=percent)
    else:
        d = discount_of(PromoKind.FIXED, subtotal, amount=fixed)
    shares = split_discount(d, totals, eligible)
    assert sum(shares) == d
    assert all(0 <= s <= t for s, t in zip(shares, totals, strict=True))
    assert all(s == 0 for s, ok in zip(shares, eligible, strict=True) if not ok)


@given(
    weights=st.lists(st.integers(1, 5000), min_size=2, max_size=5),
    price=st.integers(1, 20_000),
    quantity=st.integers(1, 6),
    off=st.integers(0, 10_000),
    cuts=st.lists(st.integers(1, 3), max_size=10),
)
def test_refunding_every_unit_in_pieces_pays_back_exactly_the_net(
    weights: list[int], price: int, quantity: int, off: int, cuts: list[int]
) -> None:
    per_bundle = allocate(price, weights)
    net = price * quantity - min(off, price * quantity)
    parts = bundle_part_nets(net, weights, quantity, per_bundle)
    assert sum(parts) == net and all(p >= 0 for p in parts)
    # refund the line's bundles in pieces: each part pays back share(...) per piece
    paid_back = 0
    done = 0
    for cut in [*cuts, quantity]:
        k = min(cut, quantity - done)
        if k <= 0:
            break
        paid_back += sum(share(p, quantity, done, k) for p in parts)
        done += k
    assert done == quantity
    assert paid_back == net
