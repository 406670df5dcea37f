"""Authenticity label codes (SPEC §10): the format, made and read here and nowhere else.

A label code is 60 random bits (`secrets`) written as 12 symbols of Crockford's base32
(`0123456789ABCDEFGHJKMNPQRSTVWXYZ`: no I, L, O or U), followed by Crockford's check symbol,
grouped by four for reading aloud:

    0EJZ-1GNQ-T6F4-A        12 data symbols + 1 check symbol, 13 in all

The check symbol is the 60-bit number modulo 37, written with the 32 data symbols followed
by `*`, `~`, `$`, `=` and `U` for 32-36. Because 37 is a prime larger than 32, it catches
every change of one symbol and every swap of two neighbouring symbols (tests prove it with
hypothesis); a code whose check symbol does not match is "not an official code".

Reading is forgiving, as Crockford intends for codes people type: any case, any spaces or
hyphens, and the look-alikes O → 0, I and L → 1. Anything else — another character, a
non-ASCII digit, a NUL, more than MAX_INPUT characters — is not a code. `parse_code` returns
the *normal form* (13 upper-case symbols, no separators): that is what the database keeps,
under a unique index, so a lookup is one indexed equality.

Codes are stored as they are, not hashed: they are public (printed on every hangtag), and
the batch's CSV must be downloadable again for reprinting; a hash would protect nothing a
reader of the database could not see on the goods themselves.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_SYMBOLS = 12
RANDOM_BITS = 5 * DATA_SYMBOLS  # 60
CODE_LENGTH = DATA_SYMBOLS + 1
GROUP = 4
MAX_INPUT = 64  # longer input is not a code, whatever it holds

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = frozenset(" -")


def check_symbol(value: int) -> str:
    """Crockford's check symbol of a number: `value mod 37` in CHECK_ALPHABET."""
    return CHECK_ALPHABET[value % 37]


def encode(value: int) -> str:
    """A 60-bit number as its normal-form code (12 data symbols and the check symbol)."""
    if not 0 <= value < 1 << RANDOM_BITS:
        raise ValueError("A label code holds a number of 60 bits.")
    symbols = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(DATA_SYMBOLS))]
    return "".join(symbols) + check_symbol(value)


def new_code() -> str:
    """A fresh random code in normal form."""
    return encode(secrets.randbits(RANDOM_BITS))


def display(code: str) -> str:
    """A normal-form code grouped for reading aloud: `0EJZ-1GNQ-T6F4-A`."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def parse_code(text: object) -> str | None:
    """The normal form of a typed code, or None when it is not an official code: the wrong
    characters or length, or a check symbol that does not match."""
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        return None
    symbols = []
    for char in text:
        if char in _SEPARATORS:
            continue
        char = char.upper() if char.isascii() else char
        symbols.append(_ALIASES.get(char, char))
    if len(symbols) != CODE_LENGTH:
        return None
    value = 0
    for symbol in symbols[:DATA_SYMBOLS]:
        digit = _VALUES.get(symbol)
        if digit is None:
            return None
        value = value << 5 | digit
    if symbols[-1] != check_symbol(value):
        return None
    return "".join(symbols)
