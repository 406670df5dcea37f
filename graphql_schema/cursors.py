"""Connection cursors: opaque offsets. `first` (1-100) is required on every connection; the
limits rule refuses a missing or oversized `first` before execution, and `page_window` checks
again for values that arrive through variables.
"""

from __future__ import annotations

import base64
import binascii

from graphql_schema.errors import bad_user_input
from kernel.parsing import InvalidInput, parse_int

# SPEC §7: `first ≤ 100` on every connection; the limits rule and the schema read it here.
MAX_PAGE = 100
MAX_OFFSET = 999_999_999
_CURSOR_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) of a page; BAD_USER_INPUT for a missing or out-of-range `first` or a
    cursor this API did not hand out."""
    if first is None or not 1 <= first <= MAX_PAGE:
        raise bad_user_input(f"`first` must be between 1 and {MAX_PAGE}.", argument="first")
    if after is None:
        return 0, first
    try:
        text = base64.urlsafe_b64decode(after[:64].encode()).decode() if len(after) <= 64 else ""
        if not text.startswith(_CURSOR_PREFIX):
            raise InvalidInput("not a cursor", "after")
        offset = parse_int(text.removeprefix(_CURSOR_PREFIX), field="after", min=0, max=MAX_OFFSET)
    except (ValueError, binascii.Error, UnicodeError, InvalidInput):
        raise bad_user_input(
            "`after` is not a cursor of this connection.", argument="after"
        ) from None
    return offset + 1, first
