"""Writing an e-mail: Jinja templates for the HTML and plain-text bodies, MIME around them.

Each message has a plain-text body and an HTML alternative, rendered from
`messaging/templates/email/<name>.txt` and `<name>.html` (both extend a base layout). HTML is
autoescaped, so shopper text (names, addresses, product names) is inert; plain text is not
escaped (it is not markup). Inline images (ticket QR codes) are attached to the HTML part as
`multipart/related` with a Content-ID, which the HTML shows as `cid:…`:

    multipart/alternative
      text/plain
      multipart/related
        text/html
        image/png (Content-ID, inline)   … one per image

With attachments (the receipt's e-tickets PDF), all of that sits in a `multipart/mixed`
followed by each attachment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kernel.money import format_money
from messaging.mail.smtp import UnsafeHeader

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"
OUTBOX_HEADER = "X-Tiein-Outbox"  # the outbox message id: the sink and staff match on it

SUBJECTS = {
    "email.receipt": "Your receipt for order {number}",
    "email.refund": "A refund for order {number}",
    "email.shipment": "Order {number} is on its way",
    "email.orders_link": "Your orders at tiein",
    "email.webhook_disabled": "A webhook subscription was disabled",
    "email.sales_report_overdue": "A sales report is missing ({number})",
}


def subject_for(kind: str, number: str = "") -> str:
    """The subject line of a message of `kind` (about order `number`)."""
    return SUBJECTS.get(kind, "A message from tiein").format(number=number)


def local_time(moment: datetime, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A moment as the clock shows it in `zone` (a cinema's), with the zone's abbreviation."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
environment.filters["money"] = format_money
environment.filters["local_time"] = local_time
# `{{ _("…") }}` marks text for translation; e-mails are in English until they get catalogues
environment.add_extension("jinja2.ext.i18n")
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML shows as `cid:<cid>`."""

    cid: str  # without angle brackets, e.g. "ticket-1@tiein"
    data: bytes
    subtype: str = "png"
    filename: str = "image.png"


@dataclass(frozen=True)
class Attachment:
    """A file attached to the message (e.g. the e-tickets PDF)."""

    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def render(name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The plain-text and HTML bodies of template `name`."""
    text = environment.get_template(f"{name}.txt").render(context)
    html = environment.get_template(f"{name}.html").render(context)
    return text, html


def compose(
    name: str,
    context: Mapping[str, Any],
    *,
    sender: Address,
    to: Address,
    subject: str,
    message_id: str,
    date: datetime,
    images: Sequence[InlineImage] = (),
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The message: headers, the plain-text body, the HTML alternative with its inline images."""
    extra = dict(headers or {})
    for value in (subject, message_id, *extra.keys(), *extra.values()):
        if any(c in value for c in "\r\n\x00"):
            raise UnsafeHeader("a header value may not hold CR, LF or NUL")
    text, html = render(name, {**context, "subject": subject})
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    for header, value in extra.items():
        message[header] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if images:
        html_part = message.get_payload()[1]
        for image in images:
            html_part.add_related(
                image.data,
                "image",
                image.subtype,
                cid=f"<{image.cid}>",
                disposition="inline",
                filename=image.filename,
            )
    for attachment in attachments:  # the message becomes multipart/mixed around the above
        message.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message
