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

from kernel import i18n
from kernel.i18n import N_
from messaging.mail.smtp import UnsafeHeader

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"
OUTBOX_HEADER = "X-Tiein-Outbox"  # the outbox message id: the sink and staff match on it

# Words of the shopper e-mails: `messaging/locale` (`make messages`), in the current
# language (`kernel.i18n.using`, set from the order's language by messaging.email).
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
gettext, ngettext = i18n.gettext_callables(LOCALE_DIR)

SUBJECTS = {
    "email.receipt": N_("Your receipt for order %(number)s"),
    "email.refund": N_("A refund for order %(number)s"),
    "email.shipment": N_("Order %(number)s is on its way"),
    "email.orders_link": N_("Your orders at tiein"),
    # To merchants: English, as the console.
    "email.webhook_disabled": "A webhook subscription was disabled",
    "email.sales_report_overdue": "A sales report is missing (%(number)s)",
}


def subject_for(kind: str, number: str = "") -> str:
    """The subject line of a message of `kind` (about order `number`), in the current
    language."""
    template = SUBJECTS.get(kind, "A message from tiein")
    return gettext(template, number=number) if "%(" in template else gettext(template)


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
environment.filters["money"] = i18n.format_price  # in the current language
environment.filters["moment"] = i18n.format_moment
environment.filters["day"] = i18n.format_day
environment.filters["local_time"] = local_time
environment.add_extension("jinja2.ext.i18n")
environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


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
    """The plain-text and HTML bodies of template `name`, in the current language."""
    context = {**context, "lang": i18n.current()}
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
