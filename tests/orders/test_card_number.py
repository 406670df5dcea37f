"""The card step takes the card number as the pay page prints it: "4242 4242 4242 4242"
(spaces) and "4242-4242-4242-4242" (dashes) work as the bare digits do; anything else is
refused with a message that says what to type. The real Stripe.js Card Element accepts both
forms itself; these tests hold the local stand-in (tiein.localstripe) to the same rule."""

from __future__ import annotations

import httpx
import pytest

from tiein.localstripe import CARD_NUMBER_MESSAGE, JS_DIGITS_TEST, card_digits


@pytest.mark.parametrize(
    "typed",
    ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", " 4242 4242-4242 4242 "],
)
def test_a_card_number_with_spaces_or_dashes_is_its_digits(typed: str) -> None:
    assert card_digits(typed) == "4242424242424242"


@pytest.mark.parametrize(
    "typed",
    ["", "4242 4242 4242 424", "4242 4242 4242 42424", "4242.4242.4242.4242",
     "4242 4242 4242 424x", "\uff14\uff12" * 8, "4242\x0042424242424242", "4" * 1000, None,
     4242424242424242],
)  # fmt: skip
def test_anything_else_is_not_a_card_number(typed: object) -> None:
    assert card_digits(typed) is None


def _token(localstripe, number: str) -> httpx.Response:
    card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
    return httpx.post(
        f"{localstripe.url}/v1/tokens",
        data={f"card[{k}]": v for k, v in card.items()} | {"key": localstripe.publishable_key},
    )


@pytest.mark.parametrize("typed", ["4242 4242 4242 4242", "4242-4242-4242-4242"])
def test_the_stand_in_takes_the_test_card_as_printed(localstripe, typed: str) -> None:
    # Given the test card typed as the pay page shows it, when Stripe.js asks for a token,
    response = _token(localstripe, typed)
    # then the token is for the card's 16 digits.
    assert response.status_code == 200, response.text
    assert response.json()["card"]["last4"] == "4242"


def test_the_stand_in_refuses_a_mistyped_number_in_words(localstripe) -> None:
    response = _token(localstripe, "4242 4242 4242 424x")
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["message"] == CARD_NUMBER_MESSAGE
    assert error["code"] == "invalid_number" and error["param"] == "card[number]"


def test_the_stand_in_card_element_moves_on_after_16_digits_not_16_characters(
    localstripe,
) -> None:
    script = httpx.get(f"{localstripe.url}/js.stripe.com/v3/").text
    assert JS_DIGITS_TEST in script
    assert "this.value.card.number.length >= 16" not in script
