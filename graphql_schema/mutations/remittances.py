"""Recording money received from a licensee (SPEC §10), staff only."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import (
    MoneyInput,
    MutationBase,
    actor_name,
    errors_field,
    not_found,
)
from graphql_schema.relay import decode_pk
from graphql_schema.types import receivables as t
from kernel.periods import utc
from licensing.remittances import load_receivables, record_remittance
from licensing.report_reminders import missing_reports


class RecordRemittanceInput(graphene.InputObjectType):
    """Money a licensee paid against one agreement."""

    agreement_id = graphene.ID(required=True, description="The agreement paid against.")
    amount = graphene.Field(
        graphene.NonNull(MoneyInput),
        description="The amount received, above zero, in the agreement's currency.",
    )
    received_on = graphene.Date(required=True, description="When it was received (not later "
                                "than today, UTC).")  # fmt: skip
    reference = graphene.String(
        description="The payment's reference (a bank transfer's, say), up to 200 characters."
    )


class RecordRemittance(MutationBase):
    """Record a remittance (staff): it pays the agreement's oldest open receivable first;
    money beyond every receivable stays as a credit. Refused, with nothing stored: an
    unknown agreement (NOT_FOUND), another currency (CURRENCY_MISMATCH), zero or less
    (INVALID_AMOUNT), a date in the future (INVALID), a bad reference (INVALID_INPUT)."""

    permissions = (STAFF,)
    input_type = RecordRemittanceInput
    input_description = "The remittance."
    fields = {"agreement_id": "agreementId", "amount": "amount.amount",
              "currency": "amount.currency", "received_on": "receivedOn"}  # fmt: skip
    remittance = graphene.Field(t.Remittance, description="The remittance recorded.")
    receivables = graphene.Field(
        t.AgreementReceivables, description="The agreement's receivables with it applied."
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        ctx = info.context
        pk = decode_pk(input.agreement_id, "Agreement")
        if pk is None:
            raise not_found("agreement", "agreement_id")
        remittance = await record_remittance(
            session,
            pk,
            amount=input.amount.amount,
            currency=input.amount.currency,
            received_on=input.received_on,
            reference=input.reference,
            by=await actor_name(session, info),
            now=ctx.now,
        )
        await session.flush()
        [value] = await load_receivables(
            session, today=utc(ctx.now).date(), agreement_ids=[remittance.agreement_id]
        )
        missing = await missing_reports(session, now=ctx.now, agreement_ids=[pk])
        node = t.receivables_node(value, [m.period for m in missing])
        return {"remittance": remittance, "receivables": node}


class RemittanceMutations(graphene.ObjectType):
    record_remittance = RecordRemittance.field()
