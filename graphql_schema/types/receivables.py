"""Money collected as the API shows it (SPEC §10): an agreement's receivables with what was
paid, the balance, days overdue and aging, and a recorded remittance. None of these is a
Node: receivables are derived (`licensing.receivables`), reached through `receivables`."""

from __future__ import annotations

from typing import Any

import graphene

from graphql_schema import scalars as sc
from graphql_schema.relay import connection
from graphql_schema.types.base import _lazy, _load
from licensing import models as lm
from licensing.receivables import Receivable as ReceivableValue
from licensing.receivables import ReceivableKind as KindEnum
from licensing.remittances import AgreementReceivables as AgreementReceivablesValue

_KINDS = {
    "ADVANCE": "The advance, due on the agreement's start date.",
    "ROYALTY": "A closed statement's royalty payable, due 30 days after its period ends.",
    "MG_SHORTFALL": "The minimum-guarantee shortfall, due with the final statement.",
}
ReceivableKind = graphene.Enum.from_enum(
    KindEnum,
    name="ReceivableKind",
    description=lambda m: "What a receivable is for." if m is None else _KINDS[m.name],
)


class Receivable(graphene.ObjectType):
    """One amount an agreement owes, and how much of it is paid."""

    kind = graphene.Field(graphene.NonNull(ReceivableKind), description="What it is for.")
    period = graphene.String(description="The statement's period; null for the advance.")
    due_on = graphene.Date(required=True, description="When it is due.")
    charged = sc.money_field("What the terms or the statement say is owed.")
    credited = sc.money_field("Taken off by an earlier statement's credit (negative payable).")
    amount = sc.money_field("What is owed: charged less credited.")
    paid = sc.money_field("Paid by remittances, applied oldest receivable first.")
    balance = sc.money_field("Still owed: amount less paid.")
    days_overdue = graphene.Int(
        required=True, description="Days since the due date while a balance is left; else 0."
    )

    @staticmethod
    def resolve_kind(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return root[0].kind

    @staticmethod
    def resolve_period(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return root[0].period

    @staticmethod
    def resolve_due_on(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return root[0].due_on

    @staticmethod
    def resolve_charged(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return sc.money(root[0].charged_minor, root[1])

    @staticmethod
    def resolve_credited(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return sc.money(root[0].credited_minor, root[1])

    @staticmethod
    def resolve_amount(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return sc.money(root[0].amount_minor, root[1])

    @staticmethod
    def resolve_paid(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return sc.money(root[0].paid_minor, root[1])

    @staticmethod
    def resolve_balance(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return sc.money(root[0].balance_minor, root[1])

    @staticmethod
    def resolve_days_overdue(root: tuple[ReceivableValue, str], info: Any) -> Any:
        return root[0].days_overdue


class Aging(graphene.ObjectType):
    """Open balances by how long each is overdue (every receivable's balance in its own
    bucket, so the buckets add up to the balance)."""

    current = sc.money_field("Not due yet, or due today.")
    days_1_to_30 = sc.money_field("1 to 30 days overdue.")
    days_31_to_60 = sc.money_field("31 to 60 days overdue.")
    days_61_to_90 = sc.money_field("61 to 90 days overdue.")
    over_90_days = sc.money_field("More than 90 days overdue.")


class AgreementReceivables(graphene.ObjectType):
    """What one agreement owes and has paid, as of today (UTC)."""

    agreement = graphene.Field(graphene.NonNull(_lazy("Agreement")), description="The agreement.")
    currency = graphene.String(required=True, description="The agreement's currency.")
    due = sc.money_field("Everything owed so far, after credits.")
    paid = sc.money_field("Everything paid against it.")
    balance = sc.money_field("Still owed.")
    credit = sc.money_field("Credits and money beyond every receivable, kept for later ones.")
    remitted = sc.money_field("Every remittance received up to today.")
    days_overdue = graphene.Int(
        required=True, description="Days overdue of the oldest open receivable; 0 if none."
    )
    aging = graphene.Field(graphene.NonNull(Aging), description="The balance by age.")
    receivables = graphene.List(
        graphene.NonNull(Receivable), required=True, description="Each receivable, oldest first."
    )
    missing_reports = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Closed periods without an accepted sales report (agreements with the "
        "`licensee_retail` channel): overdue reports.",
    )

    @staticmethod
    def resolve_agreement(root: dict[str, Any], info: Any) -> Any:
        return _load(info, lm.Agreement, root["value"].agreement_id)

    @staticmethod
    def resolve_currency(root: dict[str, Any], info: Any) -> str:
        return root["value"].currency

    @staticmethod
    def resolve_due(root: dict[str, Any], info: Any) -> Any:
        return _of(root, "due_minor")

    @staticmethod
    def resolve_paid(root: dict[str, Any], info: Any) -> Any:
        return _of(root, "paid_minor")

    @staticmethod
    def resolve_balance(root: dict[str, Any], info: Any) -> Any:
        return _of(root, "balance_minor")

    @staticmethod
    def resolve_credit(root: dict[str, Any], info: Any) -> Any:
        return _of(root, "credit_minor")

    @staticmethod
    def resolve_remitted(root: dict[str, Any], info: Any) -> Any:
        return _of(root, "remitted_minor")

    @staticmethod
    def resolve_days_overdue(root: dict[str, Any], info: Any) -> int:
        return root["value"].ledger.days_overdue

    @staticmethod
    def resolve_aging(root: dict[str, Any], info: Any) -> dict[str, Any]:
        value: AgreementReceivablesValue = root["value"]
        buckets = value.ledger.aging.as_tuple()
        names = ("current", "days_1_to_30", "days_31_to_60", "days_61_to_90", "over_90_days")
        return {n: sc.money(b, value.currency) for n, b in zip(names, buckets, strict=True)}

    @staticmethod
    def resolve_receivables(root: dict[str, Any], info: Any) -> list[Any]:
        value: AgreementReceivablesValue = root["value"]
        return [(r, value.currency) for r in value.ledger.receivables]

    @staticmethod
    def resolve_missing_reports(root: dict[str, Any], info: Any) -> list[str]:
        return list(root["missing_reports"])


def _of(root: dict[str, Any], name: str) -> Any:
    value: AgreementReceivablesValue = root["value"]
    return sc.money(getattr(value.ledger, name), value.currency)


def receivables_node(value: AgreementReceivablesValue, missing: list[str]) -> dict[str, Any]:
    """The root of an AgreementReceivables object."""
    return {"value": value, "missing_reports": missing}


class Remittance(graphene.ObjectType):
    """Money a licensee paid against an agreement, as staff recorded it."""

    amount = sc.money_field("The amount received.", "amount_minor")
    received_on = graphene.Date(required=True, description="When it was received.")
    reference = graphene.String(required=True, description="The payment's reference.")
    recorded_by = graphene.String(required=True, description="Who recorded it.")
    created_at = graphene.DateTime(required=True, description="When it was recorded.")


AgreementReceivablesConnection = connection(AgreementReceivables, "agreements' receivables")
