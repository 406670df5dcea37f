"""SPEC §5 allocation: a bundle's price split over its ticket and merch by standalone value."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.bundles import BundlePart, allocate_bundle, allocate_bundle_price
from catalog.models import BundleComponent, BundleOffer, Product, Showtime
from kernel.errors import DomainError


def offer_of(price: int, currency: str, *merch: tuple[int, int, int]) -> BundleOffer:
    """An in-memory offer of film 1; merch as (product id, unit price, qty)."""
    offer = BundleOffer(
        id=1, film_id=1, code="B", name="B", price_minor=price, currency=currency,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_to=datetime(2027, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    offer.components = [
        BundleComponent(
            position=i,
            product_id=pid,
            qty=qty,
            product=Product(id=pid, price_minor=unit, currency=currency, merchant_id=7),
        )
        for i, (pid, unit, qty) in enumerate(merch, start=1)
    ]
    return offer


def showtime_of(price: int, currency: str, film_id: int = 1) -> Showtime:
    return Showtime(id=9, film_id=film_id, price_minor=price, currency=currency)


def test_worked_example_usd_ticket_tshirt_poster() -> None:
    # Given a 199.00 bundle of a 60.00 ticket, a 129.00 T-shirt and a 39.00 poster (W = 228.00):
    #   ticket  19900*6000  = 119_400_000 = 5236*22800 + 19200
    #   T-shirt 19900*12900 = 256_710_000 = 11259*22800 + 4800
    #   poster  19900*3900  =  77_610_000 = 3403*22800 + 21600
    # floors sum to 19898; the 2 units left go to the largest remainders: poster, ticket.
    offer = offer_of(19900, "USD", (11, 12900, 1), (12, 3900, 1))
    parts = allocate_bundle(offer, showtime_of(6000, "USD"))
    assert parts == [
        BundlePart(0, None, 1, 5237),
        BundlePart(1, 11, 1, 11259, 7),
        BundlePart(2, 12, 1, 3404, 7),
    ]
    assert sum(p.amount_minor for p in parts) == 19900


def test_worked_example_zero_decimal_jpy_with_a_quantity() -> None:
    # Given ¥5000 for a ¥1900 ticket, a ¥3000 figure and two ¥500 keychains (w = 1000), W = 5900:
    #   ticket 9_500_000 = 1610*5900 + 1000; figure 15_000_000 = 2542*5900 + 2200;
    #   keychains 5_000_000 = 847*5900 + 2700 → the one unit left goes to the keychains.
    offer = offer_of(5000, "JPY", (21, 3000, 1), (22, 500, 2))
    parts = allocate_bundle(offer, showtime_of(1900, "JPY"))
    assert [p.amount_minor for p in parts] == [1610, 2542, 848]
    assert [p.qty for p in parts] == [1, 1, 2]


def test_a_free_ticket_gets_nothing_and_the_merch_gets_the_whole_price() -> None:
    parts = allocate_bundle(offer_of(5000, "USD", (11, 4000, 1)), showtime_of(0, "USD"))
    assert [p.amount_minor for p in parts] == [0, 5000]


def test_ties_go_to_the_earlier_component() -> None:
    assert allocate_bundle_price(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate_bundle_price(200, [1, 1, 1]) == [67, 67, 66]


def test_a_showtime_in_another_currency_or_of_another_film_is_refused() -> None:
    offer = offer_of(19900, "USD", (11, 12900, 1))
    with pytest.raises(DomainError) as refused:
        allocate_bundle(offer, showtime_of(6000, "EUR"))
    assert refused.value.code == "CURRENCY_MISMATCH"
    with pytest.raises(DomainError) as refused:
        allocate_bundle(offer, showtime_of(6000, "USD", film_id=2))
    assert refused.value.code == "SHOWTIME_NOT_OF_FILM"


prices = st.integers(min_value=1, max_value=10**9)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=8).filter(
    lambda ws: sum(ws) > 0
)


@given(prices, weight_lists)
def test_parts_always_add_up_to_the_price(price: int, weights: list[int]) -> None:
    assert sum(allocate_bundle_price(price, weights)) == price


@given(prices, weight_lists)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    price: int, weights: list[int]
) -> None:
    total = sum(weights)
    for part, weight in zip(allocate_bundle_price(price, weights), weights, strict=True):
        exact = Fraction(price * weight, total)
        assert exact - 1 < part < exact + 1
        assert part >= 0


@given(prices, weight_lists)
def test_allocation_is_deterministic(price: int, weights: list[int]) -> None:
    assert allocate_bundle_price(price, weights) == allocate_bundle_price(price, list(weights))


@given(prices, st.integers(min_value=1, max_value=10**6), st.integers(min_value=2, max_value=8))
def test_equal_weights_never_give_a_later_component_more(price: int, w: int, n: int) -> None:
    parts = allocate_bundle_price(price, [w] * n)
    assert parts == sorted(parts, reverse=True)
    assert parts[0] - parts[-1] <= 1


@given(
    prices,
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 5)), min_size=1, max_size=5),
)
def test_bundle_parts_add_up_for_any_showtime_price(
    price: int, ticket: int, merch: list[tuple[int, int]]
) -> None:
    offer = offer_of(price, "USD", *[(100 + i, unit, qty) for i, (unit, qty) in enumerate(merch)])
    parts = allocate_bundle(offer, showtime_of(ticket, "USD"))
    assert sum(p.amount_minor for p in parts) == price
    assert parts[0].product_id is None
    assert [p.position for p in parts] == list(range(len(merch) + 1))
