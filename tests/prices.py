"""Prices as tests expect to read them: Babel's CLDR formatting (kernel.i18n.format_price),
never a literal written by hand."""

from __future__ import annotations

from kernel.i18n import format_price


def usd(minor: int, language: str = "en") -> str:
    """`minor` US cents as a page or e-mail in `language` shows them."""
    return format_price(minor, "USD", language)


def price(minor: int, currency: str, language: str = "en") -> str:
    return format_price(minor, currency, language)
