"""Countries come from pycountry: assigned ISO 3166-1 alpha-2 codes only, with their names."""

from __future__ import annotations

import pytest

from kernel.countries import (
    check_country,
    country_choices,
    country_code,
    country_in_sentence,
    country_name,
)
from kernel.errors import DomainError


@pytest.mark.parametrize(("given", "code"), [("US", "US"), (" gb ", "GB"), ("jp", "JP")])
def test_assigned_codes_are_accepted_upper_cased(given, code):
    assert country_code(given) == code
    assert check_country(given, code="INVALID_COUNTRY", field="country") == code


# Two letters are not enough: "ZZ" and "XX" are left for private use, "UK" and "EU" are
# reserved but name no ISO country, "YU" was withdrawn.
@pytest.mark.parametrize("given", ["ZZ", "XX", "UK", "EU", "YU", "USA", "U", "", "  ", None, 12])
def test_anything_else_is_refused_with_the_code_and_the_field(given):
    assert country_code(given) is None
    with pytest.raises(DomainError) as refused:
        check_country(given, code="INVALID_TERRITORY", field="territories")
    assert (refused.value.code, refused.value.field) == ("INVALID_TERRITORY", "territories")


def test_names_are_the_short_english_names():
    assert country_name("JP") == "Japan"
    assert country_name("kr") == "South Korea"  # pycountry's common name, not "Korea, Republic of"
    assert country_name("TW") == "Taiwan"
    assert country_name("ZZ") == "ZZ"  # an unknown code is shown as it is


@pytest.mark.parametrize(
    ("code", "words"),
    [("US", "the United States"), ("GB", "the United Kingdom"), ("NL", "the Netherlands"),
     ("DO", "the Dominican Republic"), ("KY", "the Cayman Islands"), ("JP", "Japan"),
     ("FR", "France"), ("ZZ", "ZZ")],
)  # fmt: skip
def test_names_read_well_after_in(code, words):
    assert country_in_sentence(code) == words


def test_the_selector_offers_every_country_sorted_by_name():
    choices = country_choices()
    assert len(choices) == 249  # ISO 3166-1 as pycountry ships it
    assert set(choices) >= {"US", "GB", "JP", "KR", "CI", "AX"}
    names = list(choices.values())
    assert names == sorted(names)
    with pytest.raises(TypeError):
        choices["ZZ"] = "Nowhere"  # type: ignore[index]  # shared: read-only
