"""E-tickets as a PDF, attached to the receipt (SPEC §8, §10): one page per ticket with its
code, its QR code, the film, the cinema, the local time of the showing with its zone named,
and the seats of the order for that showing. Rendered from `templates/pdf/etickets.html`
through WeasyPrint (`kernel.pdf`, imported lazily: `PdfUnavailable` without its libraries,
and the receipt then goes out without the attachment, its QR codes inline as before)."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kernel import i18n
from kernel.pdf import render_pdf_async
from messaging.mail.compose import TEMPLATES, gettext, local_time, ngettext
from messaging.mail.content import TicketView

environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES.parent / "pdf")),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["local_time"] = local_time
environment.filters["moment"] = i18n.format_moment
environment.add_extension("jinja2.ext.i18n")
environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TicketPage:
    ticket: TicketView
    qr_data_url: str
    seat: int  # this ticket's number among the order's seats for its showing, from 1
    seats: int  # the order's seats for that showing
    zone: str  # the cinema's time zone, e.g. Europe/London


def tickets_filename(order_number: str) -> str:
    return f"e-tickets-{order_number}.pdf"


def ticket_pages(tickets: Sequence[TicketView]) -> list[TicketPage]:
    """One page per ticket, numbered within its showing."""

    def showing(t: TicketView) -> tuple[str, str, object]:
        return (t.film, t.cinema, t.starts_at)

    seats = Counter(showing(t) for t in tickets)
    seen: Counter[tuple[str, str, object]] = Counter()
    pages = []
    for ticket in tickets:
        seen[showing(ticket)] += 1
        data = base64.b64encode(ticket.qr_png).decode("ascii")
        pages.append(
            TicketPage(
                ticket,
                f"data:image/png;base64,{data}",
                seen[showing(ticket)],
                seats[showing(ticket)],
                ticket.timezone,
            )
        )
    return pages


def tickets_html(order_number: str, tickets: Sequence[TicketView]) -> str:
    template = environment.get_template("etickets.html")
    return template.render(
        order_number=order_number, pages=ticket_pages(tickets), lang=i18n.current()
    )


async def tickets_pdf(order_number: str, tickets: Sequence[TicketView]) -> bytes:
    """The e-tickets of an order as one PDF; `kernel.pdf.PdfUnavailable` without WeasyPrint."""
    return await render_pdf_async(tickets_html(order_number, tickets))
