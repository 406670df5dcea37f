"""E-mails to merchants about their missing sales reports (SPEC §10), sent from the outbox.

`email.sales_report_overdue` {"agreement_id", "period"} is queued by
`licensing.report_reminders` once per agreement and period; it goes to the merchant's
first finance contact (statements and payment reminders are theirs), else to its main
contact address. A report that arrived between the reminder being queued and sent cancels
nothing: the e-mail says which period was missing when the reminder was made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Claim, GiveUp, Handler
from kernel.periods import check_period, period_bounds
from licensing.merchants import agreement_for_finance
from licensing.report_reminders import REMINDER_EMAIL_KIND
from messaging.email import Mailer


class ReminderMailer(Mailer):
    """The shop's mailer, sending merchant reminders."""

    async def sales_report_overdue(self, held: Claim) -> None:
        agreement_id = held.payload.get("agreement_id")
        period = held.payload.get("period")
        if not isinstance(agreement_id, int) or not isinstance(period, str):
            raise GiveUp("the payload names no agreement and period")
        async with self.db.read_session() as session:
            row = await agreement_for_finance(session, agreement_id)
        if row is None:
            raise GiveUp(f"no agreement {agreement_id!r}")
        agreement, merchant, to = row
        if not to:
            raise GiveUp(f"merchant {merchant.slug} has no contact address")
        period = check_period(period)
        context = {
            "agreement": agreement,
            "merchant": merchant,
            "period": period,
            "ended_on": period_bounds(period)[1].date(),
        }
        await self._send(held, "sales_report_overdue", context, to=to,
                         name=merchant.name, number=agreement.code)  # fmt: skip


def reminder_handlers(
    db: Database, settings: Settings, *, now_fn: Callable[[], datetime] = now_utc
) -> dict[str, Handler]:
    """The handler of `email.sales_report_overdue`."""
    return {REMINDER_EMAIL_KIND: ReminderMailer(db, settings, now_fn=now_fn).sales_report_overdue}
