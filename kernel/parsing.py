"""Turning untrusted text into values: one helper per kind of input, one error for all.

Every value that comes from outside — a form field, a path or query parameter, a JSON body,
a global ID, a cursor, a webhook field, the signed session — goes through one of these
helpers before it reaches a service or the database. Each refuses with `InvalidInput`, a
`DomainError` with the code INVALID_INPUT and the name of the field, which the front doors
turn into a 400 (pages, webhooks) or a coded GraphQL error; none lets a malformed value
through to become a 500.

The rules:

- Text (`clean_text`) is a `str` of at most `max_len` characters without control
  characters: the C0 controls other than tab, line feed and carriage return, DEL, and lone
  UTF-16 surrogates are refused (PostgreSQL cannot store NUL, the others are never typed by
  a person and only serve to hide or split text). Everything else of Unicode — accents,
  right-to-left marks, emoji — is text like any other.
- Names and address parts, which another party reads as given (a product name in the shop,
  a shipping address on a merchant's label), also refuse the bidirectional embedding,
  override and isolate controls (`has_bidi_controls`): they reorder what is shown (an
  address that reads differently from what is printed) and right-to-left text never needs
  them; the plain marks (LRM, RLM, ALM) stay allowed.
- Integers (`parse_int`) are ASCII digits only, with a leading '-' only where the range
  allows negatives: `str.isdigit()` also says yes to '²' and '٣', which `int()` then refuses
  or silently reads. No '+', no spaces inside, no '1e3', no '1_000', at most 19 digits.
- Database ids (`parse_id`) are integers from 1 to 2**31 - 1 (the primary-key columns are
  32-bit on PostgreSQL; a larger number would fail inside the driver).

This module imports nothing of ours but the error type, so any floor may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from kernel.errors import DomainError

INVALID_INPUT = "INVALID_INPUT"
MAX_ID = 2**31 - 1
MAX_DIGITS = 19

T = TypeVar("T")

# C0 controls except \t \n \r, DEL, and lone surrogates (which no UTF-8 text can hold).
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# LRE RLE PDF LRO RLO, LRI RLI FSI PDI: the controls that reorder text (Trojan Source).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_INT = re.compile(r"-?[0-9]+", re.ASCII)


class InvalidInput(DomainError):
    """A value from outside is not of the kind its field takes (INVALID_INPUT, with the field)."""

    def __init__(self, message: str, field: str, **params: Any) -> None:
        super().__init__(INVALID_INPUT, message, field, params)


def has_unsafe_characters(text: str) -> bool:
    """True when `text` holds a character `clean_text` refuses."""
    return _UNSAFE.search(text) is not None


def has_bidi_controls(text: str) -> bool:
    """True when `text` holds a bidirectional embedding, override or isolate control."""
    return _BIDI_CONTROLS.search(text) is not None


def clean_text(
    value: object,
    *,
    field: str,
    max_len: int,
    strip: bool = True,
    required: bool = False,
) -> str:
    """`value` as text: a `str` (None reads as ""), stripped unless `strip=False`, of at most
    `max_len` characters, without control characters (see the module's rules); non-empty when
    `required`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("Send this as text.", field, reason="not_text")
    if has_unsafe_characters(value):
        raise InvalidInput(
            "The text holds control characters (such as NUL).", field, reason="control"
        )
    text = value.strip() if strip else value
    if len(text) > max_len:
        raise InvalidInput(
            f"The text is longer than {max_len} characters.", field, reason="too_long", max=max_len
        )
    if required and not text:
        raise InvalidInput("This is required.", field, reason="required")
    return text


def parse_int(
    value: object,
    *,
    field: str,
    min: int | None = None,
    max: int | None = None,
) -> int:
    """A whole number written in ASCII digits (surrounding spaces allowed), with a leading
    '-' only when `min` allows negatives, within [`min`, `max`]. A JSON integer is taken as
    it is (never a bool or a float)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if not _INT.fullmatch(text) or len(digits) > MAX_DIGITS:
            raise InvalidInput(
                "Write a whole number with the digits 0-9.", field, reason="not_number"
            )
        if text.startswith("-") and (min is None or min >= 0):
            raise InvalidInput("Write a whole number of 0 or more.", field, reason="negative")
        number = int(text)
    else:
        raise InvalidInput("Send a whole number.", field, reason="not_number")
    if min is not None and number < min:
        raise InvalidInput(f"Give a number of {min} or more.", field, reason="below", min=min)
    if max is not None and number > max:
        raise InvalidInput(f"Give a number of {max} or less.", field, reason="above", max=max)
    return number


def parse_optional_int(
    value: object,
    *,
    field: str,
    min: int | None = None,
    max: int | None = None,
) -> int | None:
    """`parse_int`, with None or blank text read as None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, field=field, min=min, max=max)


def parse_id(value: object, *, field: str) -> int:
    """A database id: a whole number from 1 to 2**31 - 1."""
    return parse_int(value, field=field, min=1, max=MAX_ID)


def parse_choice(value: object, choices: Iterable[T], *, field: str) -> T:
    """One of `choices` (compared as text, so enum members match their values)."""
    text = clean_text(value, field=field, max_len=100)
    for choice in choices:
        if text == str(getattr(choice, "value", choice)):
            return choice
    raise InvalidInput("Choose one of the values offered.", field)


def find_unsafe_text(value: Any, path: str = "", depth: int = 0) -> str | None:
    """The path ("a.b.2") of the first string inside a JSON value — keys included — that
    `clean_text` would refuse for its characters, or None; nesting beyond 64 levels counts
    as unsafe (path "…")."""
    if depth > 64:
        return path or "…"
    if isinstance(value, str):
        return (path or ".") if has_unsafe_characters(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_unsafe_characters(key):
                return where
            found = find_unsafe_text(item, where, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_unsafe_text(item, f"{path}.{index}" if path else str(index), depth + 1)
            if found is not None:
                return found
    return None
