"""Missing licensee sales reports (SPEC §10): an agreement licensing `licensee_retail` without
an accepted report for a closed period is overdue, and its merchant is reminded once per
agreement and period — an e-mail to its contact address and the `sales_report.overdue`
webhook — however often the job runs."""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import func, select

from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Outcome, drain
from kernel.outbox import OutboxMessage
from licensing.agreements import set_agreement_status
from licensing.closing import close_period
from licensing.merchants import ContactInput, update_merchant
from licensing.models import Agreement, AgreementStatus
from licensing.remittances import load_receivables
from licensing.report_reminders import missing_reports, remind_missing_reports
from licensing.sales_reports import ReportLineInput, submit_sales_report
from licensing.webhooks import WebhookDelivery, WebhookSubscription
from messaging.reminders import reminder_handlers
from tests import factory as F
from tests.conftest import count_queries
from tests.fixtures.smtp import SmtpSink
from tests.messaging.conftest import FAST

NOW = F.at("2026-08-10T09:00")


async def _world(db: Database) -> dict:
    """Two retail agreements of one merchant (subscribed to `sales_report.overdue`), one
    storefront-only agreement and a draft; 2026-Q1 and Q2 closed; only the first agreement
    reported Q1."""
    async with db.session() as session:
        film = await F.make_film(session)
        merchant = await F.make_merchant(session, slug="acme", contact_email="ops@acme.example")
        other = await F.make_merchant(session, slug="shop-only")
        retail = await F.make_agreement(session, merchant_id=merchant.id, film_ids=[film.id],
                                        code="LA-2026-0001")  # fmt: skip
        later = await F.make_agreement(
            session, merchant_id=merchant.id, film_ids=[film.id], code="LA-2026-0002",
            start_date=date(2026, 4, 2),
        )  # fmt: skip
        await F.make_agreement(session, merchant_id=other.id, film_ids=[film.id],
                               channels=["storefront"], code="LA-2026-0003")  # fmt: skip
        await F.make_agreement(session, merchant_id=other.id, film_ids=[film.id],
                               code="LA-2026-0004", status=AgreementStatus.DRAFT)  # fmt: skip
        product = await F.make_product(session, retail, film.id)
        await submit_sales_report(
            session, agreement_id=retail.id, period="2026-Q1",
            lines=[ReportLineInput(product.sku, "US", 2, 4000, 3000)],
            submitted_by="merchant:acme", merchant_id=merchant.id, now=F.at("2026-04-03T00:00"),
        )  # fmt: skip
        for period, at in (("2026-Q1", "2026-04-05T00:00"), ("2026-Q2", "2026-07-05T00:00")):
            await close_period(session, period, now=F.at(at), closed_by="test")
        session.add(WebhookSubscription(
            merchant_id=merchant.id, url="https://hooks.example/h",
            events=["sales_report.overdue"], secret_salt="s", created_at=NOW,
        ))  # fmt: skip
    return {"retail": retail.id, "later": later.id, "merchant": merchant.id}


async def test_closed_periods_without_a_report_are_overdue(db: Database) -> None:
    await _world(db)
    async with db.read_session() as session:
        missing = await missing_reports(session, now=NOW)
    assert [(m.agreement_code, m.period, m.due_on, m.days_overdue) for m in missing] == [
        ("LA-2026-0001", "2026-Q2", date(2026, 6, 30), 41),
        ("LA-2026-0002", "2026-Q2", date(2026, 6, 30), 41),
    ]


async def test_the_merchant_is_reminded_once_by_email_and_webhook(
    db: Database, settings: Settings, smtp: SmtpSink
) -> None:
    ids = await _world(db)
    # when the job runs three times
    sent = []
    for _ in range(3):
        async with db.session() as session:
            sent.append(await remind_missing_reports(session, now=NOW))
    # then two reminders went out, on the first run only
    assert sent == [2, 0, 0]
    async with db.read_session() as session:
        kinds = dict(
            (await session.execute(
                select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)
            )).all()
        )  # fmt: skip
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
    assert kinds == {"email.sales_report_overdue": 2, "webhook.delivery": 2}
    assert {d.event_type for d in deliveries} == {"sales_report.overdue"}
    data = sorted((d.payload["data"] for d in deliveries), key=lambda d: d["agreement"]["code"])
    assert [(d["agreement"]["code"], d["period"], d["due_on"]) for d in data] == [
        ("LA-2026-0001", "2026-Q2", "2026-06-30"),
        ("LA-2026-0002", "2026-Q2", "2026-06-30"),
    ]
    # and the e-mails reach the merchant's contact address
    mail = dataclasses.replace(settings, smtp_url=smtp.url, mail_from="Tiein <shop@tiein.test>")
    handlers = reminder_handlers(db, mail)
    assert await drain(db, handlers, worker_id="t", policy=FAST) == {Outcome.DONE: 2}
    assert {m["To"].addresses[0].addr_spec for m in smtp.messages} == {"ops@acme.example"}
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == ["A sales report is missing (LA-2026-0001)",
                        "A sales report is missing (LA-2026-0002)"]  # fmt: skip
    assert "2026-Q2" in smtp.messages[0].get_body(("plain",)).get_content()
    # a report that arrives later ends the overdue listing
    async with db.session() as session:
        await submit_sales_report(
            session, agreement_id=ids["later"], period="2026-Q2", lines=[],
            submitted_by="merchant:acme", merchant_id=ids["merchant"], now=NOW,
        )  # fmt: skip
    async with db.read_session() as session:
        assert [m.agreement_id for m in await missing_reports(session, now=NOW)] == [ids["retail"]]


async def test_finding_missing_reports_takes_the_same_statements_for_more_agreements(
    db: Database,
) -> None:
    await _world(db)
    counts = []
    for extra in (0, 5):
        async with db.session() as session:
            merchant = await F.make_merchant(session)
            film = await F.make_film(session)
            for _ in range(extra):
                await F.make_agreement(session, merchant_id=merchant.id, film_ids=[film.id])
        async with db.read_session() as session:
            with count_queries(db) as counter:
                found = await missing_reports(session, now=NOW)
        counts.append((counter.count, len(found)))
    assert counts == [(3, 2), (3, 12)]


async def test_the_reminder_goes_to_the_finance_contact_when_the_merchant_has_one(
    db: Database, settings: Settings, smtp: SmtpSink
) -> None:
    # Given the merchant names a licensing contact first and a finance contact second
    ids = await _world(db)
    async with db.session() as session:
        await update_merchant(session, ids["merchant"], contacts=[
            ContactInput("Lee", "lee@acme.example", "licensing"),
            ContactInput("Fay", "fay@acme.example", "finance"),
            ContactInput("Fin", "fin2@acme.example", "finance"),
        ])  # fmt: skip
        await remind_missing_reports(session, now=NOW)
    # When the reminders are sent
    mail = dataclasses.replace(settings, smtp_url=smtp.url, mail_from="Tiein <shop@tiein.test>")
    assert await drain(db, reminder_handlers(db, mail), worker_id="t", policy=FAST) == {
        Outcome.DONE: 2
    }
    # Then they reach its first finance contact, not its main (licensing) address
    assert [m["To"].addresses[0].addr_spec for m in smtp.messages] == ["fay@acme.example"] * 2


async def test_a_terminated_agreement_owes_reports_up_to_its_termination_only(
    db: Database,
) -> None:
    # Given LA-2026-0001 missed Q2 and LA-2026-0002 is terminated during Q2, then Q3 and Q4
    # are closed too
    ids = await _world(db)
    async with db.session() as session:
        await set_agreement_status(
            session, ids["later"], AgreementStatus.TERMINATED, now=F.at("2026-05-20T12:00")
        )
        for period, at in (("2026-Q3", "2026-10-05T00:00"), ("2026-Q4", "2027-01-05T00:00")):
            await close_period(session, period, now=F.at(at), closed_by="test")
    # When missing reports are listed in 2027
    async with db.read_session() as session:
        found = await missing_reports(session, now=F.at("2027-01-10T00:00"))
    # Then the terminated agreement owes Q2 (it sold until 20 May) and nothing after;
    # the active one owes every closed period since
    assert [(m.agreement_code, m.period) for m in found] == [
        ("LA-2026-0001", "2026-Q2"),
        ("LA-2026-0001", "2026-Q3"),
        ("LA-2026-0001", "2026-Q4"),
        ("LA-2026-0002", "2026-Q2"),
    ]
    async with db.read_session() as session:
        agreement = await session.get(Agreement, ids["later"])
    assert agreement.terminated_at == F.at("2026-05-20T12:00")


async def test_an_agreement_terminated_before_its_start_owes_no_report_and_no_advance(
    db: Database,
) -> None:
    ids = await _world(db)
    async with db.session() as session:
        film = await F.make_film(session)
        late = await F.make_agreement(
            session, merchant_id=ids["merchant"], film_ids=[film.id], code="LA-2026-0009",
            start_date=date(2026, 6, 1), advance_minor=50_000, status=AgreementStatus.DRAFT,
        )  # fmt: skip
        await set_agreement_status(
            session, late.id, AgreementStatus.TERMINATED, now=F.at("2026-05-01T00:00")
        )
    async with db.read_session() as session:
        found = await missing_reports(session, now=NOW)
        [owed] = await load_receivables(session, today=NOW.date(), agreement_ids=[late.id])
    assert "LA-2026-0009" not in {m.agreement_code for m in found}
    assert owed.ledger.receivables == () and owed.ledger.balance_minor == 0
