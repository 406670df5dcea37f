"""Money: integer minor units plus an ISO 4217 code. Never a float (SPEC §2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from kernel.errors import DomainError, ErrorCode

# ISO 4217 minor-unit exponents of the currencies tiein accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2,
    "PHP": 2, "PLN": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TRY": 2, "TWD": 2,
    "UGX": 0, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

# The smallest charge the payment provider (Stripe) accepts, in minor units, per currency
# (stripe.com/docs/currencies#minimum-and-maximum-charge-amounts). A currency not listed
# is taken as 50 minor units.
MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50, "AED": 200, "AUD": 50, "BRL": 50, "CAD": 50, "CHF": 50, "CZK": 1500,
    "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50, "JPY": 50,
    "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "SEK": 300, "SGD": 50,
    "THB": 1000,
}  # fmt: skip


def minimum_charge(currency: str) -> int:
    """The payment provider's minimum charge for `currency`, in minor units."""
    return MINIMUM_CHARGE.get(currency, 50)


_AMOUNT = re.compile(r"^\s*(-)?(\d{1,15})(?:\.(\d+))?\s*$", re.ASCII)  # 0-9 only


def exponent(currency: str) -> int:
    """The number of decimal places of `currency`; DomainError for an unknown code."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except (KeyError, TypeError):
        raise DomainError(
            ErrorCode.UNKNOWN_CURRENCY, f"Unknown currency {currency!r}.", field="currency"
        ) from None


def check_currency(currency: str) -> str:
    """Return the upper-cased code when it is a currency tiein knows."""
    code = (currency or "").strip().upper()
    exponent(code)
    return code


def parse_amount(text: str, currency: str, *, field: str = "amount") -> int:
    """Parse a user's "12.34" into minor units of `currency`.

    Refuses floats-in-disguise: exponents, thousands separators, more decimals than the
    currency has, and anything that is not a plain decimal number.
    """
    places = exponent(currency)
    match = _AMOUNT.match(text if isinstance(text, str) else "")
    if not match:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, f"{text!r} is not an amount like 12.34.", field=field
        )
    sign, whole, frac = match.groups()
    frac = frac or ""
    if len(frac) > places:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"{currency} amounts have {places} decimal places at most; got {text.strip()!r}.",
            field=field,
        )
    minor = int(whole) * 10**places + int(frac.ljust(places, "0") or 0)
    return -minor if sign else minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as a Decimal in major units (exact)."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string with the currency's places: 1234 → "12.34"."""
    places = exponent(currency)
    value = to_decimal(minor, currency)
    return f"{value:.{places}f}"


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """For display, as Babel's CLDR data writes a price in `locale` (a Babel identifier;
    English by default, as the staff pages show it): 123456 USD → "$1,234.56", 1200 JPY →
    "¥1,200". The places are ISO 4217's, which this module keeps: CLDR's own differ for HUF
    and IDR (0, their cash places), which would round 123.45 HUF to "123". The shop's pages
    and e-mails use `kernel.i18n.format_price` (the current language)."""
    value = to_decimal(minor, currency)
    exact = get_currency_precision(currency) == CURRENCY_EXPONENTS[currency]
    return format_currency(value, currency, locale=locale, currency_digits=exact)


def round_minor(value: Decimal) -> int:
    """Round an exact amount in minor units half-up to a whole minor unit (SPEC §2)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units over `weights` by the largest-remainder rule (SPEC §5).

    Each part is floor(total * w / W); the units left over go one each to the parts with the
    largest remainders (total * w) mod W, ties to the earlier part. The parts always add up
    to `total` exactly.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    whole = sum(weights)
    if whole == 0:
        raise ValueError("weights must not all be zero")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def parse_decimal(text: str, *, field: str) -> Decimal:
    """A Decimal from user text, with a clear error."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"{text!r} is not a number.", field) from None
    if not value.is_finite():
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"{text!r} is not a number.", field)
    return value
