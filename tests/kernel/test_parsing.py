"""The parsing helpers: one kind of input each, one refusal (INVALID_INPUT with the field)."""

from __future__ import annotations

import pytest

from kernel.parsing import (
    MAX_ID,
    InvalidInput,
    clean_text,
    find_unsafe_text,
    parse_choice,
    parse_id,
    parse_int,
    parse_optional_int,
)


@pytest.mark.parametrize(
    "text",
    [
        "²",
        "٣",
        "١٢",
        "1e3",
        "1_000",
        "+1",
        "1.0",
        "0x1",
        "",
        " ",
        "1 2",
        "99999999999999999999",
        "\x001",
        True,
        1.0,
        None,
    ],
)
def test_integers_are_ascii_digits_only(text: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_int(text, field="qty", min=0)
    assert refused.value.code == "INVALID_INPUT" and refused.value.field == "qty"


def test_integers_in_range_with_a_minus_only_where_negatives_are_allowed() -> None:
    assert parse_int(" 42 ", field="n", min=0, max=99) == 42
    assert parse_int("-5", field="n", min=-10) == -5
    assert parse_int(7, field="n") == 7
    for text, low in (("-1", 0), ("-1", None), ("100", 0)):
        with pytest.raises(InvalidInput):
            parse_int(text, field="n", min=low, max=99)
    assert parse_optional_int(" ", field="n") is None
    assert parse_id("12", field="id") == 12
    for text in ("0", str(MAX_ID + 1), "-3"):
        with pytest.raises(InvalidInput):
            parse_id(text, field="id")


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f", "\ud800"])
def test_text_refuses_control_characters(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(text, field="name", max_len=100)
    assert refused.value.field == "name"
    assert find_unsafe_text({"input": {"lines": [{"sku": text}]}}) == "input.lines.0.sku"


def test_text_keeps_tabs_newlines_and_any_unicode_within_its_length() -> None:
    text = "Zoë\t🎬\n\u202eabc\r\n٣"
    assert clean_text(text, field="t", max_len=100, strip=False) == text
    assert clean_text("  x  ", field="t", max_len=1) == "x"
    assert clean_text(None, field="t", max_len=1) == ""
    assert find_unsafe_text({"a": [text, 1, None]}) is None
    with pytest.raises(InvalidInput):
        clean_text("x" * 101, field="t", max_len=100)
    with pytest.raises(InvalidInput):
        clean_text(12, field="t", max_len=100)
    with pytest.raises(InvalidInput):
        clean_text(" ", field="t", max_len=100, required=True)


def test_choices_compare_as_text() -> None:
    assert parse_choice("b", ("a", "b"), field="k") == "b"
    with pytest.raises(InvalidInput):
        parse_choice("c\x00", ("a", "b"), field="k")
