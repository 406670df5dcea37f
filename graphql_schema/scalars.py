"""Money and the enums of the API (money is an object of strings and integers, never a Float),
and the one rule on every String and ID the API takes: no control characters."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import graphene
from graphql import DocumentNode, StringValueNode, Visitor, visit

from catalog.models import ApprovalStage as ApprovalStageEnum
from catalog.models import Category as CategoryEnum
from graphql_schema.errors import bad_user_input
from kernel.money import format_amount
from kernel.parsing import find_unsafe_text, has_unsafe_characters
from licensing.models import AgreementStatus as AgreementStatusEnum
from licensing.models import Channel as ChannelEnum
from licensing.models import ReviewAction as ReviewActionEnum
from licensing.models import TokenScope as TokenScopeEnum
from orders.models import LineKind as LineKindEnum
from orders.models import OrderStatus as OrderStatusEnum


@functools.lru_cache(maxsize=8192)
def _amount(minor: int, currency: str) -> str:
    """format_amount, remembered: prices repeat across objects and requests."""
    return format_amount(minor, currency)


@dataclass(frozen=True)
class MoneyValue:
    minor: int
    currency: str

    @property
    def amount(self) -> str:
        return _amount(self.minor, self.currency)

    @property
    def minor_units(self) -> int:
        return self.minor


@functools.lru_cache(maxsize=8192)
def _money(minor: int, currency: str) -> MoneyValue:
    """One immutable MoneyValue per amount, shared (prices repeat across objects)."""
    return MoneyValue(minor, currency)


def money(minor: int | None, currency: str) -> MoneyValue | None:
    return None if minor is None else _money(int(minor), currency)


class Money(graphene.ObjectType):
    """An amount of one currency: exact, as a decimal string and as integer minor units."""

    amount = graphene.String(
        required=True,
        description='The amount in major units as a decimal string, e.g. "12.34" or "1200" '
        "for JPY. Never a float.",
    )
    currency = graphene.String(required=True, description="The ISO 4217 currency code.")
    minor_units = graphene.BigInt(
        required=True,
        description="The amount in the currency's minor units, e.g. 1234 cents (a 64-bit "
        "integer: report totals outgrow GraphQL's 32-bit Int).",
    )


def money_field(description: str, minor: str | None = None) -> graphene.Field:
    """A required Money field. Given `minor`, it resolves to `root.<minor>` in
    `root.currency`; without it, the type's own `resolve_<name>` does."""

    def resolve(root: Any, info: Any) -> MoneyValue | None:
        return money(getattr(root, minor), root.currency)

    return graphene.Field(
        graphene.NonNull(Money), description=description, resolver=resolve if minor else None
    )


def _enum(enum: type[StrEnum], description: str, values: dict[str, str]) -> type[graphene.Enum]:
    """A GraphQL enum of a model's enum, with a description for the type and each value (a
    value added to the model without one fails here, at import)."""
    missing = {m.name for m in enum} - set(values)
    assert not missing, f"{enum.__name__}: describe {sorted(missing)}"

    def describe(member: Any) -> str:
        return description if member is None else values[member.name]

    return graphene.Enum.from_enum(enum, description=describe)


Category = _enum(
    CategoryEnum,
    "A product category an agreement may allow.",
    {
        "APPAREL": "Clothing: T-shirts, hoodies, caps.",
        "TOYS": "Toys and plush.",
        "COLLECTIBLES": "Figures, replicas and limited editions.",
        "POSTERS": "Posters and prints.",
        "ACCESSORIES": "Bags, pins, keyrings and the like.",
        "HOME": "Mugs, homeware and decoration.",
        "STATIONERY": "Notebooks, pens and paper goods.",
        "DIGITAL": "Digital goods: wallpapers, soundtracks, downloads.",
    },
)
ApprovalStage = _enum(
    ApprovalStageEnum,
    "Where a product stands in approval: DRAFT → CONCEPT_SUBMITTED → CONCEPT_APPROVED → "
    "SAMPLE_SUBMITTED → APPROVED, or CHANGES_REQUESTED / REJECTED.",
    {
        "DRAFT": "Being prepared by its merchant; not submitted yet.",
        "CONCEPT_SUBMITTED": "The concept awaits review by licensing staff.",
        "CONCEPT_APPROVED": "The concept is approved; a sample is to be submitted.",
        "SAMPLE_SUBMITTED": "The sample awaits review by licensing staff.",
        "APPROVED": "Approved for sale (sold while its agreement allows).",
        "CHANGES_REQUESTED": "Sent back to its merchant for changes; can be submitted again.",
        "REJECTED": "Refused for good; never sold.",
    },
)
AgreementStatus = _enum(
    AgreementStatusEnum,
    "The status of a license agreement.",
    {
        "DRAFT": "Recorded, not in force yet.",
        "ACTIVE": "In force: its products sell within its term, territories and channels.",
        "TERMINATED": "Ended early; nothing more sells under it.",
        "EXPIRED": "Ended at the end of its term and sell-off.",
    },
)
Channel = _enum(
    ChannelEnum,
    "A sales channel an agreement may grant.",
    {
        "STOREFRONT": "Sold one by one in tiein's shop.",
        "BUNDLE": "Sold in tiein's shop as part of a ticket-plus-merch bundle.",
        "LICENSEE_RETAIL": "Sold by the licensee itself and reported in sales reports.",
    },
)
TokenScope = _enum(
    TokenScopeEnum,
    "What an API token may do (staff tokens hold every scope).",
    {
        "READ": "Read the merchant's own data: agreements, products in every stage, orders, "
        "reports, statements, fulfilments, webhooks. Without it a token reads what the "
        "public reads.",
        "WRITE": "Change the merchant's data: products, stock, approvals, sales reports, "
        "shipments, webhooks.",
        "TOKENS": "Issue and revoke the merchant's own API tokens, granting only scopes it "
        "holds itself, and list them.",
    },
)
ReviewAction = _enum(
    ReviewActionEnum,
    "What a step of a product's approval history did.",
    {
        "SUBMIT": "The merchant submitted the concept or sample.",
        "APPROVE": "Staff approved the submitted stage.",
        "REQUEST_CHANGES": "Staff sent the product back for changes.",
        "REJECT": "Staff rejected the product for good.",
    },
)
OrderStatus = _enum(
    OrderStatusEnum,
    "The status of a shopper's order.",
    {
        "PENDING_PAYMENT": "Placed; stock and seats held until it is paid or expires.",
        "PAID": "Paid; tickets issued and royalties posted.",
        "CANCELLED": "Cancelled before payment; what it held is released.",
        "EXPIRED": "Not paid in time; what it held is released.",
        "PARTIALLY_REFUNDED": "Paid, with some lines refunded.",
        "REFUNDED": "Paid, and every line refunded.",
    },
)
LineKind = _enum(
    LineKindEnum,
    "What an order line sells: a product, a ticket or a bundle.",
    {
        "PRODUCT": "A licensed product (merch).",
        "TICKET": "A seat at a showtime.",
        "BUNDLE": "A bundle offer: a ticket with its merch parts.",
    },
)


class FilmStatus(graphene.Enum):
    """Where a film stands in cinemas, as of now (computed from its dates), or ARCHIVED."""

    COMING_SOON = "coming_soon"
    NOW_SHOWING = "now_showing"
    OUT_OF_CINEMAS = "out_of_cinemas"
    ARCHIVED = "archived"

    @property
    def description(self) -> str:
        return {
            FilmStatus.COMING_SOON: "Not released yet.",
            FilmStatus.NOW_SHOWING: "Released, with showtimes still to come.",
            FilmStatus.OUT_OF_CINEMAS: "Released, and no showtime to come.",
            FilmStatus.ARCHIVED: "Archived by staff: hidden from the public, its merch not "
            "for sale (staff only see it).",
        }.get(self, "")


class RefundStatus(graphene.Enum):
    """How a refund made by `refundOrderLines` stands."""

    COMPLETED = "completed"
    PENDING = "pending"

    @property
    def description(self) -> str:
        return {
            RefundStatus.COMPLETED: "Paid back; tickets voided, stock and ledger updated.",
            RefundStatus.PENDING: (
                "Pending confirmation from Stripe: its answer did not come, so the money may "
                "or may not have gone back. The lines count as refunded meanwhile (they cannot "
                "be refunded twice); `tiein payments reconcile` or Stripe's event completes "
                "the refund, or undoes it if Stripe refused."
            ),
        }.get(self, "")


class ReviewDecision(graphene.Enum):
    """A reviewer's answer to a submitted product stage."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @property
    def description(self) -> str:
        return {
            ReviewDecision.APPROVE: "Approve the stage: the concept (then a sample is due) "
            "or the sample (then the product may be sold).",
            ReviewDecision.REQUEST_CHANGES: "Send it back; the merchant may submit again.",
            ReviewDecision.REJECT: "Refuse the product for good.",
        }.get(self, "")


class ReportGroupBy(graphene.Enum):
    """A dimension the royalty report can be grouped by."""

    FILM = "film"
    MERCHANT = "merchant"
    TERRITORY = "territory"
    CHANNEL = "channel"

    @property
    def description(self) -> str:
        return {
            ReportGroupBy.FILM: "One row per film.",
            ReportGroupBy.MERCHANT: "One row per merchant (licensee).",
            ReportGroupBy.TERRITORY: "One row per country of sale.",
            ReportGroupBy.CHANNEL: "One row per sales channel.",
        }.get(self, "")


class ViewerKind(graphene.Enum):
    """Who is asking."""

    PUBLIC = "public"
    MERCHANT = "merchant"
    STAFF = "staff"

    @property
    def description(self) -> str:
        return {
            ViewerKind.PUBLIC: "No token: sees what is on sale now.",
            ViewerKind.MERCHANT: "A merchant's token: sees and changes its own objects.",
            ViewerKind.STAFF: "A licensing staff token: sees and changes everything.",
        }.get(self, "")


class _UnsafeLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if has_unsafe_characters(node.value):
            self.found = True
            return Visitor.BREAK
        return None


def check_text_inputs(source: str, document: DocumentNode, variables: dict[str, Any]) -> None:
    """Refuse, before execution, an operation whose string inputs — literals in the document
    or the values of its variables — hold characters `kernel.parsing.clean_text` refuses (NUL
    and the other control characters): BAD_USER_INPUT, with the variable's path if one holds
    it. graphql-core takes a raw NUL inside a string literal, and "\\u0000" escapes, so the
    document is walked when its text has either."""
    if has_unsafe_characters(source) or "\\u" in source:
        visitor = _UnsafeLiterals()
        visit(document, visitor)
        if visitor.found:
            raise bad_user_input("A string argument holds control characters (such as NUL).")
    where = find_unsafe_text(variables)
    if where is not None:
        raise bad_user_input(
            "A variable holds control characters (such as NUL).", variable=where.split(".")[0]
        )
