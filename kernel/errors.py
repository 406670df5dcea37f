"""The one error type services raise when a rule says no."""

from __future__ import annotations

from enum import Enum, StrEnum


class DomainError(Exception):
    """A rule refused an operation. `code` is stable and public; `field` names the input."""

    def __init__(self, code: str | Enum, message: str, field: str | None = None) -> None:
        self.code = code.value if isinstance(code, Enum) else code
        self.message = message
        self.field = field
        super().__init__(f"{self.code}: {message}")


class ErrorCode(StrEnum):
    """Codes of the shell's own rules (money, periods, input)."""

    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_PERIOD = "INVALID_PERIOD"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
