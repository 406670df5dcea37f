"""The statement document (SPEC §10): one agreement's royalty statement for one period as a
PDF, from the Jinja template `reports/templates/statement.html` through WeasyPrint
(`kernel.pdf`, imported lazily).

The figures are the statement's own (`licensing.statements.compute_statement`: the frozen
ones once the period is closed), never recomputed here; the lines split the period's ledger
entries by film and channel, so their units and net sales add up to the statement's. An open
period's document is marked "provisional": its figures change until the period is closed.
A receivable block (the amount due for the statement, what was paid and the balance) is
shown when the caller passes one (`Receivable`): `statement_receivable` reads it from the
receivables ledger (`licensing.remittances.load_receivables`) as of a day; the console and the
API downloads both pass it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film
from kernel.config import Settings
from kernel.errors import DomainError
from kernel.money import format_money
from kernel.pdf import render_pdf_async
from licensing.codes import LicensingError
from licensing.merchants import agreement_for_finance
from licensing.models import ROYALTY_SCALE, Agreement, RoyaltyEntry
from licensing.receivables import ReceivableKind
from licensing.remittances import load_receivables
from licensing.royalty import micros_to_minor
from licensing.statements import StatementFigures, compute_statement

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Party:
    """A party named on the document: the studio (licensor) or the licensee."""

    name: str
    address_lines: tuple[str, ...] = ()
    country: str = ""
    email: str = ""


def studio_party(settings: Settings) -> Party:
    """The licensor as the settings name it (TIEIN_STUDIO_NAME, TIEIN_STUDIO_ADDRESS)."""
    lines = tuple(p.strip() for p in settings.studio_address.split("|") if p.strip())
    return Party(settings.studio_name, lines)


@dataclass(frozen=True)
class StatementLine:
    """The period's entries of one film through one channel."""

    film: str
    original_title: str
    channel: str
    units: int
    net_sales_minor: int
    royalty_micros: int

    @property
    def royalty_exact(self) -> Decimal:
        return Decimal(self.royalty_micros) / ROYALTY_SCALE

    @property
    def royalty_minor(self) -> int:
        return micros_to_minor(self.royalty_micros)


@dataclass(frozen=True)
class Receivable:
    """What the licensee owes for this statement and what it has paid (from receivables)."""

    description: str
    due_on: date
    amount_minor: int
    paid_minor: int
    balance_minor: int
    days_overdue: int = 0


async def statement_receivable(
    session: AsyncSession, agreement_id: int, period: str, *, today: date
) -> Receivable | None:
    """What the statement of `period` made the agreement owe (its positive royalty payable
    and, on the final statement, the MG shortfall, after credits), what was paid of it and
    its balance as of `today`; None while nothing is owed for it (an open period, a zero
    payable or a credit). Three statements."""
    [found] = await load_receivables(session, today=today, agreement_ids=[agreement_id]) or [None]
    if found is None:
        return None
    mine = [r for r in found.ledger.receivables if r.period == period]
    if not mine:
        return None
    kinds = {r.kind for r in mine}
    words = []
    if ReceivableKind.ROYALTY in kinds:
        words.append("Royalty payable")
    if ReceivableKind.MG_SHORTFALL in kinds:
        words.append("minimum-guarantee shortfall" if words else "Minimum-guarantee shortfall")
    return Receivable(
        description=f"{' and '.join(words)} {period}",
        due_on=min(r.due_on for r in mine),
        amount_minor=sum(r.amount_minor for r in mine),
        paid_minor=sum(r.paid_minor for r in mine),
        balance_minor=sum(r.balance_minor for r in mine),
        days_overdue=max(r.days_overdue for r in mine),
    )


@dataclass(frozen=True)
class StatementDocument:
    figures: StatementFigures
    agreement: Agreement
    studio: Party
    licensee: Party
    lines: list[StatementLine]
    generated_at: datetime
    receivable: Receivable | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        """An open period: the figures may still change until it is closed."""
        return not self.figures.frozen

    @property
    def filename(self) -> str:
        return f"statement-{self.agreement.code}-{self.figures.period}.pdf"


async def statement_document(
    session: AsyncSession,
    agreement_id: int,
    period: str,
    *,
    studio: Party,
    now: datetime,
    receivable: Receivable | None = None,
) -> StatementDocument:
    """The statement of `agreement_id` for `period` with its lines by film and channel and
    the licensee's details (its finance contact's address, else its main one; three
    statements besides the statement's own)."""
    row = await agreement_for_finance(session, agreement_id)
    if row is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    agreement, merchant, finance_email = row
    figures = await compute_statement(session, agreement_id, period)
    e = RoyaltyEntry
    rows = await session.execute(
        select(
            Film.title,
            Film.original_title,
            e.channel,
            func.sum(e.units),
            func.sum(e.net_minor),
            func.sum(e.royalty_micros),
        )
        .join(Film, Film.id == e.film_id)
        .where(e.agreement_id == agreement_id, e.period == figures.period)
        .group_by(Film.id, Film.title, Film.original_title, e.channel)
        .order_by(Film.title, Film.id, e.channel)
    )
    lines = [
        StatementLine(
            film=title,
            original_title=original if original and original != title else "",
            channel=str(getattr(channel, "value", channel)).replace("_", " "),
            units=int(units),
            net_sales_minor=int(net),
            royalty_micros=int(micros),
        )
        for title, original, channel, units, net, micros in rows
    ]
    licensee = Party(merchant.name, country=merchant.country, email=finance_email or "")
    return StatementDocument(
        figures=figures,
        agreement=agreement,
        studio=studio,
        licensee=licensee,
        lines=lines,
        generated_at=now,
        receivable=receivable,
    )


environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["money"] = format_money
environment.filters["bps"] = lambda bps: f"{bps // 100}.{bps % 100:02d}%"


def statement_html(document: StatementDocument) -> str:
    """The document as HTML (what the PDF is made from)."""
    return environment.get_template("statement.html").render(doc=document, f=document.figures)


async def statement_pdf(document: StatementDocument) -> bytes:
    """The document as a PDF; `kernel.pdf.PdfUnavailable` without WeasyPrint's libraries."""
    return await render_pdf_async(statement_html(document))
