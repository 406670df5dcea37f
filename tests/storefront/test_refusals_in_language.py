"""What the shop says when it refuses, in the shopper's language (issue 14).

Rules protected: services refuse in English with a code, a field and the values they name;
the storefront says the same in Chinese or Japanese from one table (storefront.shop.refusals)
— cart and checkout refusals, form field errors, promo codes, the card step's JSON — and
falls back to the service's English for codes it does not know. The pay page's script gets
its words from the page. Country names and address labels on checkout are CLDR's and the
catalogue's. Error pages (404, a refused form, unreadable input) speak the language too.
Expected words come from the compiled catalogue, never from literals, and differ from the
English."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from babel import Locale

from kernel import i18n
from kernel.config import Settings
from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from storefront.shop.refusals import REFUSALS, address_label, country_names, say
from storefront.web import LOCALE_DIR
from tests.factory import shop_world
from tests.storefront.test_shop_checkout import CONTACT, check_out, fill_cart, token_of

HEADERS = {"zh-Hans": "zh-CN,zh;q=0.9", "ja": "ja-JP,ja;q=0.9,en;q=0.5"}


def words(language: str, message: str, **values: Any) -> str:
    """`message` as the catalogue of `language` says it; it must be translated."""
    text = i18n.translations(str(LOCALE_DIR), language).ugettext(message)
    assert text != message, (language, message)
    return text % values if values else text


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


@pytest.fixture
async def world(db: Database):
    return await shop_world(db, shirt_stock=3)


@pytest.mark.parametrize("language", list(HEADERS))
async def test_cart_refusals_are_in_the_shoppers_language(shop, world, language) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = token_of((await shop.get("/")).text)
    base = {"csrf_token": token, "kind": "product"}
    await shop.post("/cart/add", data={**base, "sku": "NO-SUCH-1", "qty": "1"})
    gone = (await shop.get("/cart")).text
    assert words(language, "This product is not available.") in gone
    await shop.post("/cart/add", data={**base, "sku": world.shirt_sku, "qty": "5"})
    short = (await shop.get("/cart")).text
    expected = words(
        language,
        "Sorry, only %(left)s left of %(what)s.",
        left=3,
        what="Night Harbor lighthouse tee",
    )
    assert expected in short
    assert "Sorry, only 3 left" not in short


@pytest.mark.parametrize("language", list(HEADERS))
async def test_checkout_field_errors_labels_and_countries_are_in_the_shoppers_language(
    shop, world, language
) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = await fill_cart(shop, world)
    form = (await shop.get("/checkout")).text
    state = i18n.translations(str(LOCALE_DIR), language).upgettext("address", "State")
    assert state != "State" and f'<label for="f-shipping_area">{state}</label>' in form
    # Countries by CLDR's names in the language, in the order country_names gives
    names = Locale.parse(i18n.BABEL[language]).territories
    assert f'<option value="JP">{names["JP"]}</option>' in form
    assert f'<option value="US" selected>{names["US"]}</option>' in form
    shown = re.findall(r'<option value="([A-Z]{2})"', form.split('id="f-country"', 1)[1])
    assert shown[:20] == list(country_names(language))[:20]
    bad = {**CONTACT, "email": "nope", "shipping_city": "", "shipping_postcode": "ABCDE"}
    refused = await shop.post("/checkout", data={"csrf_token": token, **bad})
    assert refused.status_code == 400
    html = refused.text
    email = words(language, "Please give a valid e-mail address.")
    assert f'<p class="error" id="e-email">{email}</p>' in html
    city = i18n.translations(str(LOCALE_DIR), language).upgettext("address", "City")
    required = words(language, "Please fill in: %(label)s.", label=city)
    assert f'<p class="error" id="e-shipping_city">{required}</p>' in html
    postcode = words(
        language,
        "This is not a valid %(label)s in %(country)s (for example %(example)s).",
        label=address_label(language, "ZIP code"),
        country=names["US"],
        example="95014",
    )
    assert f'<p class="error" id="e-shipping_postcode">{postcode}</p>' in html
    assert "Please give the city." not in html


@pytest.mark.parametrize("language", list(HEADERS))
async def test_a_refused_promo_code_is_in_the_shoppers_language(shop, world, language) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = await fill_cart(shop, world)
    applied = await shop.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "NOSUCH", "apply": "1"}
    )
    assert escaped(words(language, "We do not know this promo code.")) in applied.text
    assert "We do not know this promo code." not in applied.text


@pytest.mark.parametrize("language", list(HEADERS))
async def test_the_pay_page_gives_its_script_the_words_and_refusals_are_translated(
    shop, world, language
) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = await fill_cart(shop, world)
    number, key = await check_out(shop, token)
    page = (await shop.get(f"/pay/{number}", params={"key": key})).text
    block = re.search(
        r'<script type="application/json" id="pay-words">(.*?)</script>', page, re.S
    ).group(1)
    said = json.loads(block)
    assert said["paying"] == words(language, "Paying…")
    assert said["stillOpen"] == words(
        language, "Your order is still open: try again or use another card."
    )
    assert said["network"] == words(
        language, "We could not reach our server; you were not charged. Please try again."
    )
    answer = await shop.post(
        f"/pay/{number}/confirm",
        json={"token": "not-a-token", "key": key},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 409
    assert answer.json()["message"] == words(
        language, "The card details did not arrive. Please try again."
    )


async def test_the_pay_script_has_no_english_of_its_own_but_fallbacks() -> None:
    script = (LOCALE_DIR.parent / "static" / "pay.js").read_text()
    said = re.findall(r'(?:say|fail|busy)\(\s*"[A-Za-z]', script)
    assert said == []  # every message goes through w(name, english)


@pytest.mark.parametrize("language", list(HEADERS))
async def test_error_pages_speak_the_shoppers_language(shop, world, language) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    missing = await shop.get("/no-such-page")
    assert missing.status_code == 404
    assert f'<html lang="{language}">' in missing.text
    assert words(language, "We could not find that page") in missing.text
    # A form without its CSRF token: a page in the language, not English text
    forged = await shop.post("/cart/add", data={"kind": "product", "sku": world.shirt_sku})
    assert forged.status_code == 403 and forged.headers["content-type"].startswith("text/html")
    assert words(language, "This was refused") in forged.text
    assert (
        words(language, "The form expired or did not come from this site. Try again.")
        in forged.text
    )
    # Input that is not of its kind: the field's refusal in the language
    token = token_of((await shop.get("/")).text)
    unreadable = await shop.post(
        "/cart/update", data={"csrf_token": token, "index": "0", "qty": "lots"}
    )
    assert unreadable.status_code == 400
    assert words(language, "Please write a whole number with the digits 0-9.") in unreadable.text
    assert words(language, "This request could not be read") in unreadable.text


async def test_the_staff_console_keeps_plain_english_refusals(shop, world) -> None:
    forged = await shop.post(
        "/staff/login", data={"username": "x"}, headers={"Accept-Language": "ja"}
    )
    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/plain")
    assert forged.text == "The form expired or did not come from this site. Try again."


def test_the_table_falls_back_to_the_services_english() -> None:
    unknown = DomainError("SOMETHING_NEW", "Something new went wrong.", "x")
    assert say("ja", unknown.code, unknown.params, unknown.message) == unknown.message
    # Params that fill no message of the code: English, never a sentence with a hole
    bare = DomainError("LIMIT_EXCEEDED", "Bundle: at most 2 per order.", "quantity")
    assert say("zh-Hans", bare.code, bare.params, bare.message) == bare.message
    # English is always the service's own words
    short = DomainError(
        "OUT_OF_STOCK", "Sorry, only 2 left of Tee.", "qty", {"left": 2, "what": "Tee"}
    )
    assert say("en", short.code, short.params, short.message) == short.message
    # The first message whose placeholders are filled
    sold = DomainError("SOLD_OUT", "Sorry, Tee is sold out.", "qty", {"what": "Tee"})
    assert say("ja", sold.code, sold.params, sold.message) == words(
        "ja", "Sorry, %(what)s is sold out.", what="Tee"
    )
    # Several refusals keep each one's params
    both = DomainErrors([short, sold])
    assert both.params == short.params and both.errors[1].params["what"] == "Tee"
    # Every message of the table is translated in both languages, placeholders kept
    for messages in REFUSALS.values():
        for message in messages:
            for language in HEADERS:
                text = i18n.translations(str(LOCALE_DIR), language).ugettext(message)
                assert text != message, (language, message)
                assert sorted(re.findall(r"%\((\w+)\)s", text)) == sorted(
                    re.findall(r"%\((\w+)\)s", message)
                ), (language, message)


def test_country_names_are_cldrs_in_the_language() -> None:
    ja = country_names("ja")
    assert ja["JP"] == Locale.parse("ja").territories["JP"] == "日本"
    assert country_names("zh-Hans")["US"] == "美国"
    assert country_names("en")["US"] == "United States"
    assert list(ja.values()) == sorted(ja.values(), key=str.casefold)


@pytest.mark.parametrize("language", list(HEADERS))
async def test_the_order_links_form_refuses_and_throttles_in_the_shoppers_language(
    shop, world, language
) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = token_of((await shop.get("/my-orders")).text)
    bad = await shop.post("/my-orders", data={"csrf_token": token, "email": "not an address"})
    assert bad.status_code == 400
    assert words(language, "Enter the e-mail address you gave at checkout.") in bad.text
    for _ in range(3):  # the address's allowance (my_orders.PER_ADDRESS)
        sent = await shop.post("/my-orders", data={"csrf_token": token, "email": "a@example.test"})
        assert sent.status_code == 200
    throttled = await shop.post("/my-orders", data={"csrf_token": token, "email": "a@example.test"})
    assert throttled.status_code == 429 and "retry-after" in throttled.headers
    assert words(language, "Too many requests for now. Please try again later.") in throttled.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", list(HEADERS))
async def test_the_server_error_page_speaks_the_shoppers_language(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    from tiein.app import create_app

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("storefront.shop.cart.cart_summary", broken)
    transport = httpx.ASGITransport(
        app=create_app(settings, database=db), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/cart", headers={"Accept-Language": HEADERS[language]})
    assert page.status_code == 500
    assert f'<html lang="{language}">' in page.text
    assert words(language, "Something went wrong on our side") in page.text


@pytest.mark.parametrize("language", list(HEADERS))
async def test_the_verify_page_names_states_in_the_shoppers_language(shop, world, language) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    draft = (await shop.get(f"/verify/{world.draft_sku}")).text
    assert words(language, "Its design has not been approved by the studio.") in draft
    assert f"({words(language, 'active')})" in draft
    assert "(active)" not in draft


@pytest.mark.parametrize("language", list(HEADERS))
async def test_a_product_not_licensed_in_the_shoppers_country_says_why_in_the_language(
    shop, world, language
) -> None:
    shop.headers["Accept-Language"] = HEADERS[language]
    token = token_of((await shop.get("/")).text)
    chosen = await shop.post("/country", data={"csrf_token": token, "country": "DE", "next": "/"})
    assert chosen.status_code == 303
    page = (await shop.get(f"/products/{world.shirt_sku}")).text
    germany = Locale.parse(i18n.BABEL[language]).territories["DE"]
    expected = words(
        language,
        "%(product)s is not licensed for sale in %(country)s.",
        product="Night Harbor lighthouse tee",
        country=germany,
    )
    assert expected in page and "not licensed for sale in Germany" not in page


@pytest.mark.parametrize("language", list(HEADERS))
def test_a_param_of_any_name_fills_its_message_or_is_left_alone(language: str) -> None:
    # params are values, never keywords of the table's own functions: a "message" or a
    # "language" beside the message's placeholders neither breaks nor changes the words
    extra = {"product": "Tee 100% <b>%(x)s</b>", "message": "x", "language": "en", "values": 1}
    said = say(language, "VARIANT_REQUIRED", extra, "English")
    assert said == words(
        language, "Please choose a size or colour of %(product)s.", product=extra["product"]
    )
    plain = say(language, "UNKNOWN_PRODUCT", {"message": "x"}, "English")
    assert plain == words(language, "This product is not available.")


@pytest.mark.parametrize("language", list(HEADERS))
async def test_a_refusal_without_a_heading_of_its_own_is_not_the_server_error_page(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    from starlette.exceptions import HTTPException

    from tiein.app import create_app

    async def gone(*args: Any, **kwargs: Any) -> None:
        raise HTTPException(410)

    monkeypatch.setattr("storefront.shop.cart.cart_summary", gone)
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/cart", headers={"Accept-Language": HEADERS[language]})
    assert page.status_code == 410
    assert words(language, "This was refused") in page.text
    assert words(language, "Something went wrong on our side") not in page.text
