"""Money is integer minor units; parsing, formatting and allocation are exact (SPEC §2, §5)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import DomainError
from kernel.money import (
    CURRENCY_EXPONENTS,
    allocate,
    exponent,
    format_amount,
    format_money,
    parse_amount,
    round_minor,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.3", "USD", 1230),
        ("12", "USD", 1200),
        ("0.01", "EUR", 1),
        (" 7.50 ", "GBP", 750),
        ("1200", "JPY", 1200),
        ("-3.05", "USD", -305),
        ("999999999999.99", "USD", 99999999999999),
    ],
)
def test_parse_amount_gives_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    "text", ["", "abc", "12,34", "1e3", "12.345", "1.2.3", "NaN", "inf", "12. 3", "$12"]
)
def test_parse_amount_refuses_malformed_input_naming_the_field(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_amount(text, "USD", field="price")
    assert caught.value.code == "INVALID_AMOUNT"
    assert caught.value.field == "price"


def test_zero_decimal_currencies_refuse_decimals() -> None:
    assert exponent("JPY") == 0 and exponent("KRW") == 0
    with pytest.raises(DomainError) as caught:
        parse_amount("1200.5", "JPY")
    assert "0 decimal places" in caught.value.message


def test_unknown_currency_is_refused_clearly() -> None:
    with pytest.raises(DomainError) as caught:
        parse_amount("1.00", "XXX")
    assert caught.value.code == "UNKNOWN_CURRENCY"
    assert caught.value.field == "currency"


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (123456, "USD", Decimal("1234.56")),
        (1200, "JPY", Decimal(1200)),
        (5, "EUR", Decimal("0.05")),
        (-250, "GBP", Decimal("-2.50")),
        (1999, "SEK", Decimal("19.99")),
        (1500000, "KRW", Decimal(1500000)),
    ],
)
def test_format_money_is_babels_english_cldr(minor: int, currency: str, shown: Decimal) -> None:
    assert format_money(minor, currency) == format_currency(shown, currency, locale="en")


def test_format_money_keeps_iso_places_where_cldr_rounds_cash() -> None:
    # CLDR writes HUF with 0 places (its cash rounding); tiein's amounts have ISO's 2.
    shown = format_money(12345, "HUF")
    assert shown == format_currency(Decimal("123.45"), "HUF", locale="en", currency_digits=False)
    assert "123.45" in shown


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_format_then_parse_round_trips(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


def test_round_minor_is_half_up() -> None:
    assert round_minor(Decimal("2.5")) == 3
    assert round_minor(Decimal("2.4999")) == 2
    assert round_minor(Decimal("-2.5")) == -3


def test_allocate_worked_examples() -> None:
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]
    # A 199.00 bundle: ticket 60.00, T-shirt 129.00, poster 39.00 (W = 228.00).
    # 19900*6000/22800 = 5236.84 → 5236 r 19200; 19900*12900/22800 = 11259.21 → 11259 r 4800;
    # 19900*3900/22800 = 3403.94 → 3403 r 21600: two units left go to the poster, then ticket.
    assert allocate(19900, [6000, 12900, 3900]) == [5237, 11259, 3404]
    assert allocate(0, [5, 7]) == [0, 0]
    assert allocate(7, [0, 3]) == [0, 7]


def test_allocate_refuses_degenerate_weights() -> None:
    for weights in ([], [0, 0], [1, -1]):
        with pytest.raises(ValueError):
            allocate(100, weights)


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(any),
)
def test_allocate_parts_sum_exactly_and_stay_within_one_unit(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, whole)
        assert abs(part - exact) < 1
    assert allocate(total, weights) == parts  # deterministic


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=2, max_value=9))
def test_allocate_ties_go_to_the_earlier_part(total: int, n: int) -> None:
    parts = allocate(total, [1] * n)
    assert parts == sorted(parts, reverse=True)
    assert max(parts) - min(parts) <= 1
