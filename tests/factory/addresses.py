"""Valid shipping addresses for tests, one per country, as `check_address` takes them."""

from __future__ import annotations

ADDRESSES: dict[str, dict[str, str]] = {
    "US": {
        "name": "Ada Fan",
        "line1": "1 Harbor Road",
        "city": "Springfield",
        "area": "IL",
        "postcode": "62701",
    },
    "JP": {
        "name": "Hanako Yamada",
        "line1": "1-2-3 Ginza, Chuo-ku",
        "area": "Tokyo",
        "postcode": "104-0061",
    },
    "CN": {
        "name": "Li Wei",
        "line1": "1 Dongchang'an Street",
        "city": "Dongcheng Qu",
        "area": "Beijing Shi",
        "postcode": "100010",
    },
    "GB": {
        "name": "Ann Shopper",
        "line1": "10 Downing Street",
        "city": "London",
        "postcode": "SW1A 2AA",
    },
    "FR": {
        "name": "Amélie Poulain",
        "line1": "15 rue des Trois Frères",
        "city": "Paris",
        "postcode": "75018",
    },
    "DE": {
        "name": "Max Muster",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postcode": "10117",
    },
}


def shipping_address(country: str = "US", **changes: str) -> dict[str, str]:
    """A valid address in `country` with `changes` applied (the service's parts)."""
    return {**ADDRESSES[country], **changes}


def shipping_form(country: str = "US", **changes: str) -> dict[str, str]:
    """The same as checkout form fields (`shipping_<part>`)."""
    return {
        f"shipping_{part}": value for part, value in shipping_address(country, **changes).items()
    }
