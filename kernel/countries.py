"""Countries: the ISO 3166-1 alpha-2 codes and their names, from pycountry (no hand table).

A country code is accepted only when ISO assigns it to a country today; "ZZ", "XX" (codes
left for private use) and withdrawn codes are refused. Every input that takes a country
(cinemas, merchants, agreement territories, sales-report lines, the shopper's country and
checkout) goes through `country_code` / `check_country`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from functools import cache
from types import MappingProxyType

import pycountry

from kernel.errors import DomainError

# Words that make an English country name need "the" in a sentence ("sold in the United
# States", "in the Dominican Republic", "in the Cayman Islands"); it is grammar, not a table.
_TAKES_THE = ("United ", "Republic", "Kingdom", "Islands", "Federation", "Emirates", "States")
_PLURAL_NAMES = frozenset({"Netherlands", "Philippines", "Bahamas", "Gambia", "Maldives"})


@cache
def _names() -> dict[str, str]:
    return {
        c.alpha_2: getattr(c, "common_name", None) or c.name
        for c in pycountry.countries  # type: ignore[attr-defined]
    }


def country_codes() -> frozenset[str]:
    """Every assigned ISO 3166-1 alpha-2 code."""
    return frozenset(_names())


def country_code(value: object) -> str | None:
    """`value` as an upper-cased assigned alpha-2 code ("us " → "US"), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in _names() else None


def check_country(value: object, *, code: str | Enum, field: str) -> str:
    """The upper-cased alpha-2 code, or DomainError(`code`, …, `field`) for anything else."""
    country = country_code(value)
    if country is None:
        raise DomainError(code, f"{value!r} is not an ISO 3166-1 alpha-2 country code.", field)
    return country


def country_name(code: str) -> str:
    """The country's short English name ("South Korea", "United States"); an unknown code is
    returned as given, upper-cased."""
    key = (code or "").strip().upper()
    return _names().get(key, key)


def country_in_sentence(code: str) -> str:
    """The name as it reads after "in": "the United States", "Japan"."""
    name = country_name(code)
    if name == (code or "").strip().upper() or "," in name:
        return name
    if name in _PLURAL_NAMES or any(word in name for word in _TAKES_THE):
        return f"the {name}"
    return name


@cache
def country_choices() -> Mapping[str, str]:
    """Every country, code → name, sorted by name: the options of a country selector."""
    return MappingProxyType(dict(sorted(_names().items(), key=lambda item: item[1])))
