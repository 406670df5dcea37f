"""The one error type services raise when a rule says no."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any


class DomainError(Exception):
    """A rule refused an operation. `code` is stable and public; `field` names the input.

    `message` is English (the API's words). `params` are the values the message names (a
    product, a quantity left, a country code, an amount in minor units with its currency,
    a `reason` telling apart refusals that share a code), so that a front door may say the
    same in another language (storefront.shop.refusals) without parsing the English."""

    def __init__(
        self,
        code: str | Enum,
        message: str,
        field: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code.value if isinstance(code, Enum) else code
        self.message = message
        self.field = field
        self.params: Mapping[str, Any] = MappingProxyType(dict(params or {}))
        super().__init__(f"{self.code}: {message}")


class ErrorCode(StrEnum):
    """Codes of the shell's own rules (money, periods, input)."""

    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_PERIOD = "INVALID_PERIOD"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


class DomainErrors(DomainError):
    """Several refusals of one input at once, each naming its field (`errors`, in the order
    found). Its own code, message and field are the first refusal's."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field, first.params)
        self.errors = errors


class Checks:
    """Runs independent checks and keeps their refusals, so that one answer names every bad
    field instead of the first:

        checks = Checks()
        with checks:
            name = check_name(name)
        with checks:
            price = check_price(price)
        checks.done()  # raises the one refusal, or DomainErrors with all of them

    A refusal inside a `with checks:` block ends that block only; a check that depends on
    another goes in the same block.
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def __enter__(self) -> Checks:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, DomainError):
            self.add(exc)
            return True
        return False

    def add(self, exc: DomainError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, DomainErrors) else [exc])

    def done(self) -> None:
        """Raise what was refused, if anything."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DomainErrors(list(self.errors))
