"""Authenticity label codes (SPEC §10): the format's properties, proved with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from licensing import labels as L

values = st.integers(min_value=0, max_value=(1 << L.RANDOM_BITS) - 1)


def test_a_new_code_holds_60_random_bits_grouped_for_reading_aloud() -> None:
    codes = {L.new_code() for _ in range(2000)}
    assert len(codes) == 2000  # no repeats: 60 random bits each
    for code in codes:
        assert len(code) == 13 and all(c in L.ALPHABET for c in code[:12])
        assert code[12] in L.CHECK_ALPHABET
        shown = L.display(code)
        assert len(shown) == 16 and shown[4] == shown[9] == shown[14] == "-"
        assert L.parse_code(shown) == code


@given(values, st.data())
def test_any_case_spacing_and_look_alikes_read_back_to_the_same_code(value, data) -> None:
    code = L.encode(value)
    typed = []
    for char in L.display(code):
        if char == "0":
            char = data.draw(st.sampled_from("0oO"))
        elif char == "1":
            char = data.draw(st.sampled_from("1iIlL"))
        elif char.isalpha():
            char = data.draw(st.sampled_from([char.lower(), char]))
        typed.append(char + data.draw(st.sampled_from(["", " ", "-", "  "])))
    assert L.parse_code("".join(typed)) == code


@given(values, st.integers(min_value=0, max_value=12), st.sampled_from(L.CHECK_ALPHABET))
def test_the_check_symbol_catches_every_single_substitution(value, position, symbol) -> None:
    code = L.encode(value)
    if code[position] == symbol:
        return
    changed = code[:position] + symbol + code[position + 1 :]
    assert L.parse_code(changed) is None


@given(values, st.integers(min_value=0, max_value=11))
def test_the_check_symbol_catches_every_swap_of_neighbours(value, position) -> None:
    code = L.encode(value)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert L.parse_code(swapped) is None


def test_every_single_substitution_of_one_code_exhaustively() -> None:
    code = L.encode(0x0123456789ABCDE)
    for position in range(13):
        for symbol in L.CHECK_ALPHABET:
            if symbol != code[position]:
                assert L.parse_code(code[:position] + symbol + code[position + 1 :]) is None


def test_what_is_not_a_code() -> None:
    good = L.new_code()
    digits = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in good)  # Arabic-Indic
    for bad in [
        "",
        "   ",
        good[:-1],
        good + "0",
        good[:5] + "\x00" + good[5:],
        good[:5] + "U" + good[6:],  # U is a check symbol only
        "X" * 10_000,
        "٠١٢٣٤٥٦٧٨٩٠١٢",
        "".join(chr(0xFF11 + i % 9) for i in range(13)),  # fullwidth digits
        None,
        12345,
    ]:
        assert L.parse_code(bad) is None, repr(bad)
    if digits != good:
        assert L.parse_code(digits) is None
