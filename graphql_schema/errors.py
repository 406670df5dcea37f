"""GraphQL errors with a stable `extensions.code`, and the mapping of domain refusals.

Resolvers raise `ApiError` (or a subclass) for refusals that are part of the API contract;
anything else that escapes a resolver is unexpected and the endpoint turns it into a
generic INTERNAL_SERVER_ERROR (logged with the request id, never shown to the client).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import graphene
from graphql import GraphQLError

from catalog.codes import CatalogError
from catalog.images import ImageError
from kernel.errors import DomainError, ErrorCode
from kernel.parsing import INVALID_INPUT
from licensing.codes import LicensingError
from orders.codes import OrderError
from orders.promotions import PromoError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_REPEATS = "TOO_MANY_REPEATS"
BAD_REQUEST = "BAD_REQUEST"
THROTTLED = "THROTTLED"


class ApiError(GraphQLError):
    """A deliberate refusal with a code clients can rely on."""

    def __init__(self, message: str, code: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code, **extra})


def unauthenticated(message: str = "Sign in with an API token.") -> ApiError:
    return ApiError(message, UNAUTHENTICATED)


def forbidden(message: str = "You may not do this.") -> ApiError:
    return ApiError(message, FORBIDDEN)


def bad_user_input(message: str, **extra: Any) -> ApiError:
    return ApiError(message, BAD_USER_INPUT, **extra)


def from_domain(error: DomainError) -> ApiError:
    """A DomainError raised outside a mutation (e.g. a bad period argument) as BAD_USER_INPUT."""
    extra: dict[str, Any] = {"reason": error.code}
    if error.field:
        extra["field"] = error.field
    return ApiError(error.message, BAD_USER_INPUT, **extra)


# The codes of UserError.code: one GraphQL enum holding every domain's values, generated from
# the Python enums of each package, because one mutation's errors can come from several
# domains (createProduct checks money, licensing and catalog rules). Each value's description
# names the domains that use it.
CODE_ENUMS: tuple[tuple[str, type[Enum]], ...] = (
    ("input", ErrorCode),
    ("catalog", CatalogError),
    ("catalog", ImageError),
    ("licensing", LicensingError),
    ("orders", OrderError),
    ("promotions", PromoError),
)
EXTRA_CODES = {INVALID_INPUT: "input"}  # kernel.parsing's code, a plain constant

CODE_DESCRIPTIONS: dict[str, str] = {
    # images (catalog.images)
    "EMPTY_FILE": "The uploaded file is empty.",
    "FILE_TOO_LARGE": "The image is larger than 10 MB.",
    "UNSUPPORTED_IMAGE_TYPE": "The file is not a JPEG, PNG or WebP image (by its content).",
    "TOO_MANY_PIXELS": "The image has more than 40 megapixels (a decompression bomb).",
    "CORRUPT_IMAGE": "The image is damaged or truncated.",
    # input: money, periods, parsing, lookups
    "UNKNOWN_CURRENCY": "The currency is not an ISO 4217 code tiein knows.",
    "INVALID_AMOUNT": 'The amount is not a decimal like "12.34" with the currency\'s places.',
    "INVALID_PERIOD": "The period is not a quarter like 2026-Q3.",
    "INVALID": "The value breaks the field's rule; the message says which.",
    "NOT_FOUND": "No such object, or one you may not see (the same answer for both).",
    "INVALID_INPUT": "The value is not of the kind the field takes (text, number, ID).",
    # catalog
    "DUPLICATE": "The code, slug or SKU is taken already.",
    "INVALID_SLUG": "The slug is not lower-case letters, digits and dashes.",
    "INVALID_COUNTRY": "The country is not an ISO 3166-1 alpha-2 code.",
    "INVALID_PRICE": "The price is not a positive amount.",
    "INVALID_QUANTITY": "The quantity or stock is out of its range.",
    "INVALID_CAPACITY": "The capacity is not at least 1.",
    "INVALID_WINDOW": "The end of the window is not after its start.",
    "CURRENCY_MISMATCH": "The amount is not in the currency it must be in.",
    "INVALID_LANGUAGE": "The language is not one tiein keeps titles for (en, zh-Hans, ja).",
    "FILM_ARCHIVED": "The film is archived: hidden from the public, its merch not for sale.",
    "AGREEMENT_CLOSED": "The agreement is terminated or expired.",
    "FILM_NOT_COVERED": "The agreement does not cover the film.",
    "CATEGORY_NOT_ALLOWED": "The agreement does not allow the category.",
    "OUT_OF_STOCK": "Not enough units in stock.",
    "SOLD_OUT": "Not enough seats left.",
    "SHOWTIME_IN_PAST": "The showtime would start in the past.",
    "INVALID_TIMEZONE": "The time zone is not an IANA name like Europe/Paris.",
    "SHOWTIME_OVERLAP": "The screen is taken then (the film's runtime plus the cleaning gap).",
    "SCREEN_NOT_OF_CINEMA": "The screen is not one of the cinema's.",
    "SCREEN_REQUIRED": "Name the screen: the cinema has none, or more than one.",
    "CAPACITY_BELOW_SEATS_TAKEN": "Fewer seats than a coming showtime has sold or holds.",
    "NONEXISTENT_LOCAL_TIME": "The local time does not exist that day (clocks go forward).",
    "TOO_MANY_SHOWTIMES": "The schedule would make more showtimes than one batch may.",
    "EMPTY_BUNDLE": "A bundle needs at least one merch part.",
    "DUPLICATE_COMPONENT": "A product is listed twice in the bundle.",
    "COMPONENT_NOT_OF_FILM": "A merch part is not of the bundle's film.",
    "BUNDLE_PRICE_ABOVE_PARTS": "The bundle costs more than its parts bought alone.",
    "OFFER_NOT_VALID_FOR_SHOWTIME": "The offer is not valid for that showtime.",
    "BUNDLE_NOT_ON_SALE": "The bundle is not on sale now.",
    "COMPONENT_NOT_APPROVED": "A merch part of the bundle is not approved.",
    "SHOWTIME_NOT_OF_FILM": "The showtime is of another film.",
    "UNKNOWN_TICKET": "No such ticket.",
    "ALREADY_USED": "The ticket was used already.",
    "WRONG_SHOWTIME": "The ticket is for another showtime.",
    "TICKET_VOID": "The ticket was voided (refunded).",
    # licensing
    "INVALID_TERRITORY": "The territory is not an ISO 3166-1 alpha-2 code.",
    "SIGN_IN_FAILED": "Wrong username or password.",
    "SIGN_IN_THROTTLED": "Too many failed sign-ins; wait and try again.",
    "AGREEMENT_NOT_ACTIVE": "The agreement is not active.",
    "NOT_LICENSED_IN_TERRITORY": "The agreement does not license the territory.",
    "CHANNEL_NOT_LICENSED": "The agreement does not license the sales channel.",
    "OUTSIDE_TERM": "The date is outside the agreement's term and sell-off.",
    "CATEGORY_NOT_LICENSED": "The agreement does not license the product's category.",
    "NOT_APPROVED": "The product is not approved for sale.",
    "INVALID_TERM": "The term's dates are missing or the end comes before the start.",
    "INVALID_RATE": "A rate is missing or outside 0-10000 basis points.",
    "INVALID_TIERS": "The rate tiers do not ascend from 0.",
    "INVALID_CHANNEL": "A channel is not one of the sales channels.",
    "INVALID_CATEGORY": "A category is not one of the product categories.",
    "INVALID_STATUS_CHANGE": "The agreement cannot go from its status to that one.",
    "INVALID_TRANSITION": "The product's approval stage does not allow that step.",
    "PRODUCT_REJECTED": "The product was rejected; it cannot be submitted again.",
    "FORBIDDEN": "You may not do this to that object.",
    "INVALID_ENTRY": "A ledger entry would break a ledger rule.",
    "REFUND_EXCEEDS_SALE": "The refund is larger than what is left of the sale.",
    "PERIOD_NOT_ENDED": "The period has not ended yet.",
    "EARLIER_PERIOD_OPEN": "An earlier period is still open; close it first.",
    "REPORT_REJECTED": "The sales report was rejected; the other errors name each bad line.",
    "PERIOD_NOT_STARTED": "The period has not started yet.",
    "UNKNOWN_SKU": "The SKU is not a product of the agreement.",
    "UNITS_NOT_POSITIVE": "Units must be more than 0.",
    "NET_OUT_OF_RANGE": "Net sales must be between 0 and the gross amount.",
    "INVALID_GROUP_BY": "A report dimension is not one of ReportGroupBy.",
    "INVALID_URL": "The webhook URL is not an https URL without credentials, 2000 chars at most.",
    "URL_NOT_ALLOWED": "The webhook URL leads to a private, loopback or reserved address.",
    "UNKNOWN_EVENT": "An event is not one of the webhook events.",
    "SUBSCRIPTION_DISABLED": "The webhook subscription is disabled or deleted.",
    "REDELIVERY_REFUSED": "The event is pending or has been delivered the most times it can be.",
    "TOO_MANY_LABELS": "More labels than one batch may hold (100,000).",
    # orders
    "EMPTY_CART": "The cart is empty.",
    "CART_FULL": "The cart holds as many lines as it can.",
    "UNKNOWN_PRODUCT": "No such product on sale.",
    "UNKNOWN_SHOWTIME": "No such showtime on sale.",
    "UNKNOWN_BUNDLE": "No such bundle offer on sale.",
    "LIMIT_EXCEEDED": "More than the offer's per-order limit.",
    "SHOWTIME_STARTED": "The showtime has started.",
    "BUNDLE_NOT_AVAILABLE": "The bundle cannot be sold now.",
    "INVALID_EMAIL": "The e-mail address is not valid.",
    "SHIPPING_REQUIRED": "A part of the shipping address is missing.",
    "INVALID_ADDRESS": "A part of the shipping address is not valid in its country.",
    "ORDER_NOT_FOUND": "No such order.",
    "ORDER_NOT_PAYABLE": "The order cannot be paid in its status.",
    "CARD_DECLINED": "The card was declined.",
    "PAYMENT_UNAVAILABLE": "Payments are not available now.",
    "NOT_REFUNDABLE": "The order or line cannot be refunded.",
    "INVALID_REFUND": "The refund's lines or quantities are not valid.",
    "REFUND_FAILED": "Stripe refused the refund; nothing changed.",
    "REFUND_PENDING": "Stripe has not confirmed the refund yet (not a refusal).",
    "NO_LINES": "Choose at least one line.",
    "QUANTITY_EXCEEDS_REMAINING": "More units than are left to ship of the line.",
    "INVALID_CARRIER": "The carrier is empty or longer than 100 characters.",
    # promotions (orders.promotions)
    "INVALID_CODE": "A code is not 3 to 40 letters A-Z, digits, '-' or '_'.",
    "DUPLICATE_CODE": "The promo or referral code exists already (whatever its case).",
    "DATES_REVERSED": "The end does not come after the start.",
    "INVALID_PERCENT": "A percentage is not from 1 to 10000 bps (0.01% to 100%).",
    "UNKNOWN_FILM": "A film chosen does not exist, or none or too many were chosen.",
    "UNKNOWN_CAMPAIGN": "No such campaign.",
    "UNKNOWN_PROMO_CODE": "No such promo code.",
    "PROMO_CODE_EXPIRED": "The promo code (or its campaign) has ended.",
    "PROMO_CODE_NOT_YET_VALID": "The promo code (or its campaign) has not started yet.",
    "PROMO_CODE_USED_UP": "The promo code has been used as many times as it may.",
    "PROMO_CODE_EMAIL_LIMIT": "The promo code has been used as often as it may by this e-mail.",
    "BELOW_MINIMUM": "The eligible subtotal is below the code's minimum.",
    "NOTHING_ELIGIBLE": "No line of the order is eligible for the code.",
    "PROMO_CURRENCY_MISMATCH": "The code's currency is not the order's (or the input's).",
    "TOTAL_BELOW_PAYMENT_MINIMUM": "The total left is above zero but below the payment minimum.",
    "ONE_CODE_PER_ORDER": "An order takes one promo code.",
    "INVALID_TRACKING_NUMBER": "The tracking number is empty, too long or holds odd characters.",
}


def _code_domains() -> dict[str, list[str]]:
    domains: dict[str, list[str]] = {}
    for domain, enum in CODE_ENUMS:
        for member in enum:
            domains.setdefault(str(member.value), []).append(domain)
    for code, domain in EXTRA_CODES.items():
        domains.setdefault(code, []).append(domain)
    return domains


CODE_DOMAINS = _code_domains()
PyErrorCode = Enum("ErrorCode", {code: code for code in CODE_DOMAINS}, type=str)  # type: ignore[misc]


def _describe_code(member: Any) -> str:
    if member is None:
        return (
            "What rule refused a mutation's input: the codes of every domain (input, catalog, "
            "licensing, orders), generated from the Python enums, so clients can switch on it."
        )
    domains = ", ".join(CODE_DOMAINS[member.value])
    return f"{CODE_DESCRIPTIONS.get(member.value, member.value)} ({domains})"


ErrorCodeEnum = graphene.Enum.from_enum(PyErrorCode, name="ErrorCode", description=_describe_code)
