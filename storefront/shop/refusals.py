"""Refusals in the shopper's language: the one table from a service's error code to the
shop's words.

Services refuse in English (`DomainError.message`, which the GraphQL API passes on as it is)
with a stable `code`, the `field` it is about and the values the message names (`params`).
The shop says the same in the shopper's language here, at its edge: `REFUSALS` maps a code,
or a (code, reason) pair where one code covers several refusals (`params["reason"]`), to
messages with placeholders; the first message whose placeholders the error's params all fill
is used. A code this table does not know, or params that fill none of its messages, keep the
service's English message: never a wrong sentence, at worst an English one.

Values are written for the language before they go in: a country code becomes the country's
name (CLDR), `<name>_minor` an amount in `currency`, a date or moment the language's form,
an address label its translation (`ADDRESS_LABELS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from starlette.requests import Request

from kernel import i18n
from kernel.countries import country_codes, country_in_sentence, country_name
from kernel.errors import DomainError, DomainErrors
from kernel.i18n import N_
from orders.cart_summary import CartSummary
from storefront.web import LOCALE_DIR, request_language, t

_GETTEXT, _ = i18n.gettext_callables(LOCALE_DIR)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# The address form's labels (orders.addresses), marked with the context "address" (Babel's
# `pgettext` keyword): "State" is also a label's state on the verify page.
ADDRESS = "address"


def pgettext(context: str, message: str) -> str:
    """Marks `message` in `context` for extraction; `address_label` translates it."""
    return message


ADDRESS_LABELS: frozenset[str] = frozenset(
    {
        pgettext("address", "Full name"),
        pgettext("address", "Address line 1"),
        pgettext("address", "Address line 2 (optional)"),
        pgettext("address", "Phone (optional, for the courier)"),
        pgettext("address", "City"),
        pgettext("address", "Post town"),
        pgettext("address", "Suburb"),
        pgettext("address", "District"),
        pgettext("address", "Region"),
        pgettext("address", "Province"),
        pgettext("address", "Oblast"),
        pgettext("address", "Prefecture"),
        pgettext("address", "State"),
        pgettext("address", "County"),
        pgettext("address", "Department"),
        pgettext("address", "Emirate"),
        pgettext("address", "Island"),
        pgettext("address", "Parish"),
        pgettext("address", "Area"),
        pgettext("address", "ZIP code"),
        pgettext("address", "Postal code"),
        pgettext("address", "PIN code"),
        pgettext("address", "Eircode"),
    }
)


def address_label(language: str, label: str) -> str:
    """An address form label in `language` (English, and labels not listed, as they are)."""
    if language == i18n.DEFAULT or label not in ADDRESS_LABELS:
        return label
    return i18n.translations(str(LOCALE_DIR), language).upgettext(ADDRESS, label)


_LICENCE = N_("%(product)s is not for sale here right now: its licence does not allow it.")
_NOT_ON_SALE = N_("This showtime is no longer on sale.")
_SOLD_OUT = (
    N_("Sorry, only %(left)s left of %(what)s."),
    N_("Sorry, %(what)s is sold out."),
    N_("Sorry, this showtime is sold out."),
)
_TOO_LONG = (N_("Please keep this to %(max)s characters."),)
_CONTROL = (N_("The text holds control characters that cannot be stored."),)

# code, or (code, reason) → messages, most specific first.
REFUSALS: Mapping[str | tuple[str, str], tuple[str, ...]] = {
    # cart, product and bundle choices
    "UNKNOWN_PRODUCT": (N_("This product is not available."),),
    "UNKNOWN_SHOWTIME": (_NOT_ON_SALE,),
    "UNKNOWN_BUNDLE": (N_("This bundle is no longer offered."),),
    "VARIANT_REQUIRED": (
        N_("Please choose a size or colour of %(product)s."),
        N_("Please choose a size or colour first."),
    ),
    "INVALID_QUANTITY": (N_("Choose a quantity between 1 and %(max)s."),),
    "LIMIT_EXCEEDED": (N_("%(offer)s: at most %(limit)s per order."),),
    "CART_FULL": (N_("A cart holds %(max)s lines at most."),),
    "CURRENCY_MISMATCH": (
        N_(
            "An order is paid in one currency; your cart mixes %(currencies)s. "
            "Please buy them in separate orders."
        ),
        N_(
            "Tickets for this showtime are sold in %(showtime_currency)s, the bundle in "
            "%(offer_currency)s."
        ),
    ),
    "OUT_OF_STOCK": _SOLD_OUT,
    "SOLD_OUT": _SOLD_OUT,
    "SHOWTIME_STARTED": (N_("This showtime has already started."),),
    "SHOWTIME_IN_PAST": (N_("This showtime has already started."),),
    "BUNDLE_NOT_AVAILABLE": (N_("This bundle is not available for this showtime."),),
    "BUNDLE_NOT_ON_SALE": (N_("This bundle is not on sale right now."),),
    "OFFER_NOT_VALID_FOR_SHOWTIME": (N_("This bundle is not offered for this showtime's date."),),
    "BUNDLE_PRICE_ABOVE_PARTS": (
        N_("At this showtime the bundle would cost more than its parts bought separately."),
    ),
    "SHOWTIME_NOT_OF_FILM": (N_("This showtime is of another film."),),
    # licensing (licensing.sellable.Refusal)
    "NOT_LICENSED_IN_TERRITORY": (
        N_("%(product)s is not licensed for sale in %(country)s."),
        N_("This item is not licensed for sale in %(country)s."),
    ),
    "OUTSIDE_TERM": (N_("%(product)s is not licensed for sale on %(date)s."),),
    "AGREEMENT_NOT_ACTIVE": (_LICENCE,),
    "CHANNEL_NOT_LICENSED": (_LICENCE,),
    "CATEGORY_NOT_LICENSED": (_LICENCE,),
    "FILM_NOT_COVERED": (_LICENCE,),
    "FILM_ARCHIVED": (_LICENCE,),
    "NOT_APPROVED": (N_("%(product)s is not for sale yet: its design is still being approved."),),
    # checkout
    "EMPTY_CART": (N_("Your cart is empty."),),
    "INVALID_EMAIL": (N_("Please give a valid e-mail address."),),
    "INVALID_COUNTRY": (
        N_("The shipping address must be in %(order_country)s, the order's country."),
        N_("Please choose a country from the list."),
    ),
    "SHIPPING_REQUIRED": (N_("Please fill in: %(label)s."), N_("Please fill in this field.")),
    ("INVALID_ADDRESS", "not_text"): (N_("Please write this as text."),),
    ("INVALID_ADDRESS", "control"): _CONTROL,
    ("INVALID_ADDRESS", "bidi"): (
        N_("The text holds a direction override, which would print it in another order."),
    ),
    ("INVALID_ADDRESS", "too_long"): _TOO_LONG,
    ("INVALID_ADDRESS", "phone"): (
        N_("Please give a phone number in digits (a leading + is fine)."),
    ),
    ("INVALID_ADDRESS", "postcode_of_area"): (
        N_("This %(label)s does not belong to the %(area_label)s given."),
    ),
    ("INVALID_ADDRESS", "postcode"): (
        N_("This is not a valid %(label)s in %(country)s (for example %(example)s)."),
        N_("This is not a valid %(label)s in %(country)s."),
    ),
    ("INVALID_ADDRESS", "area"): (N_("Please choose a %(label)s of %(country)s."),),
    ("INVALID_ADDRESS", "city"): (N_("This %(label)s is not known in the area given."),),
    ("INVALID_ADDRESS", "invalid"): (N_("This %(label)s is not valid in %(country)s."),),
    # the card step
    "ORDER_NOT_FOUND": (N_("We could not find this order."),),
    "ORDER_NOT_PAYABLE": (
        N_("This order can no longer be paid: it was already paid or its time to pay ran out."),
    ),
    "PAYMENT_UNAVAILABLE": (
        N_("We could not reach the payment service; you were not charged. Please try again."),
    ),
    ("INVALID", "token"): (N_("The card details did not arrive. Please try again."),),
    # promo codes
    "INVALID_CODE": (N_("A code is 3 to 40 letters A-Z, digits, '-' or '_'."),),
    "UNKNOWN_PROMO_CODE": (N_("We do not know this promo code."),),
    "PROMO_CODE_NOT_YET_VALID": (N_("This promo code is valid from %(valid_from)s."),),
    "PROMO_CODE_EXPIRED": (N_("This promo code has expired."),),
    "PROMO_CURRENCY_MISMATCH": (
        N_(
            "This promo code is for orders in %(promo_currency)s; your cart is in "
            "%(cart_currency)s."
        ),
    ),
    "PROMO_CODE_USED_UP": (N_("This promo code has been used up."),),
    "PROMO_CODE_EMAIL_LIMIT": (
        N_("This promo code has been used as often as it may be with this e-mail address."),
    ),
    "NOTHING_ELIGIBLE": (N_("Nothing in your cart is eligible for this promo code."),),
    "BELOW_MINIMUM": (N_("This promo code needs eligible items worth at least %(minimum)s."),),
    "TOTAL_BELOW_PAYMENT_MINIMUM": (
        N_(
            "With this promo code the total (%(total)s) would be below the smallest payment "
            "we can take (%(least)s)."
        ),
    ),
    # a form value not of its field's kind (kernel.parsing)
    ("INVALID_INPUT", "required"): (N_("This field is required."),),
    ("INVALID_INPUT", "too_long"): (N_("Please keep this to %(max)s characters."),),
    ("INVALID_INPUT", "control"): _CONTROL,
    ("INVALID_INPUT", "not_text"): (N_("Please write this as text."),),
    ("INVALID_INPUT", "not_number"): (N_("Please write a whole number with the digits 0-9."),),
    ("INVALID_INPUT", "negative"): (N_("Please write a whole number of 0 or more."),),
    ("INVALID_INPUT", "below"): (N_("Please give a number of %(min)s or more."),),
    ("INVALID_INPUT", "above"): (N_("Please give a number of %(max)s or less."),),
}

# Stripe's decline codes (CardStep.code) the pay page says in the shopper's language.
DECLINES: Mapping[str, str] = {
    "card_declined": N_("Your card was declined."),
    "generic_decline": N_("Your card was declined."),
    "insufficient_funds": N_("Your card has insufficient funds."),
    "lost_card": N_("Your card was declined."),
    "stolen_card": N_("Your card was declined."),
    "expired_card": N_("Your card has expired."),
    "incorrect_cvc": N_("Your card's security code is incorrect."),
    "invalid_cvc": N_("Your card's security code is invalid."),
    "incorrect_number": N_("Your card number is incorrect."),
    "invalid_number": N_("Your card number is invalid."),
    "invalid_expiry_month": N_("Your card's expiration month is invalid."),
    "invalid_expiry_year": N_("Your card's expiration year is invalid."),
    "processing_error": N_("An error occurred while processing your card. Try again."),
}


@cache
def country_names(language: str) -> Mapping[str, str]:
    """Every country tiein knows, code → name in `language` (CLDR), sorted for reading in
    that language; English keeps pycountry's short names. No collation library is at hand,
    so the order is the names' own (case-folded code points): alphabetical in English, kana
    order in Japanese (names in kanji after those in kana), radical order in Chinese."""
    cldr = i18n.locale_of(language).territories
    names = {
        code: country_name(code) if language == i18n.DEFAULT else cldr.get(code) or code
        for code in country_codes()
    }
    return dict(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))


def country_words(language: str, code: str) -> str:
    """A country as a sentence of `language` names it ("the United States", "美国")."""
    if language == i18n.DEFAULT:
        return country_in_sentence(code)
    return country_names(language).get(code.upper(), code)


def _gettext(language: str, message: str, values: Mapping[str, Any] | None = None) -> str:
    """`message` in `language`, its placeholders filled from `values` (a mapping, not
    keywords: a param may be named anything, "message" too)."""
    with i18n.using(language):
        text = _GETTEXT(message)
    return text % values if values is not None else text


def _value(language: str, name: str, value: Any) -> Any:
    if name in ("country", "order_country") and isinstance(value, str):
        return country_words(language, value)
    if name in ("label", "area_label") and isinstance(value, str):
        return address_label(language, value)
    if isinstance(value, datetime):
        return i18n.format_moment(value, "UTC", language, with_year=True)
    if isinstance(value, date):
        return i18n.format_day(value, language)
    return value


def _filled(language: str, params: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: _value(language, name, value) for name, value in params.items()}
    currency = params.get("currency")
    for name, value in params.items():
        if name.endswith("_minor") and isinstance(value, int) and isinstance(currency, str):
            values[name.removesuffix("_minor")] = i18n.format_price(value, currency, language)
    return values


def say(language: str, code: str | None, params: Mapping[str, Any], english: str) -> str:
    """A refusal (its code and params) in `language`; `english` when the table has no words
    for it (see the module)."""
    if language == i18n.DEFAULT:
        return english  # the service's own words
    reason = params.get("reason")
    messages = REFUSALS.get((code or "", str(reason))) or REFUSALS.get(code or "")
    if not messages:
        return english
    values = _filled(language, params)
    for message in messages:
        if set(_PLACEHOLDER.findall(message)) <= values.keys():
            return (
                _gettext(language, message, values)
                if "%(" in message
                else _gettext(language, message)
            )
    return english


def refusal_words(request: Request, error: DomainError) -> str:
    """What the shopper reads for `error`, in the request's language."""
    return say(request_language(request), error.code, error.params, error.message)


def refusals_of(error: DomainError) -> list[DomainError]:
    """Each refusal of `error` (DomainErrors holds several)."""
    return list(error.errors) if isinstance(error, DomainErrors) else [error]


def summary_words(request: Request, summary: CartSummary) -> CartSummary:
    """The cart's summary with each line's refusal and the list of them in the request's
    language (the summary is the request's own: changed in place)."""
    for line in summary.lines:
        if line.refusal is not None:
            line.error = refusal_words(request, line.refusal)
    summary.errors = [refusal_words(request, error) for error in summary.refusals]
    return summary


def decline_words(request: Request, code: str, english: str) -> str:
    """A card decline in the request's language; Stripe's English for codes not listed."""
    message = DECLINES.get(code)
    if request_language(request) == i18n.DEFAULT or not message:
        return english  # Stripe's own words
    return t(request, message)
