"""The local SMTP sink's mailbox: one directory, one `.eml` file per message received.

`tiein serve` without TIEIN_SMTP_URL runs a sink (tiein.smtp_sink) that writes here with
`save`; the staff Outbox page reads it back with `received` and `read`, so a demo shows the
e-mails it sent. Files are written under a temporary name and renamed, so a reader never
sees half a message. Names are made here and checked on the way back (`read` takes no path).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from messaging.mail.compose import OUTBOX_HEADER

_NAME = re.compile(r"\d{8}T\d{12}-[0-9a-f]{8}\.eml", re.ASCII)
_CID_SRC = re.compile(r"""src=(["'])cid:([^"']+)\1""")
MAX_LISTED = 200
# The sink refuses larger messages (ours are well under a megabyte) and a larger file is not
# read back: the Outbox page reads up to MAX_LISTED of them per view.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedMail:
    """One e-mail the sink received, as the staff console shows it."""

    name: str
    outbox_id: int | None
    subject: str
    sender: str
    to: str
    date: str
    text: str  # the plain-text body ("" when none)
    html: str  # the HTML body, inline images as data: URIs ("" when none)
    attachments: int  # inline images and other parts besides the bodies


def save(directory: Path, data: bytes, *, now: datetime) -> Path:
    """Store one received message; returns its file."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
    temporary = directory / f".{name}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    temporary.replace(directory / name)
    return directory / name


def _html_with_images(message: EmailMessage, html: str) -> str:
    """The HTML with `cid:` images replaced by data: URIs (for a preview with no fetches)."""
    images: dict[str, str] = {}
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            data = part.get_payload(decode=True) or b""
            encoded = base64.b64encode(data).decode()
            images[cid.strip("<> ")] = f"data:{part.get_content_type()};base64,{encoded}"

    def replace(match: re.Match[str]) -> str:
        uri = images.get(match.group(2))
        return f'src="{uri}"' if uri else match.group(0)

    return _CID_SRC.sub(replace, html)


def _content(part: EmailMessage | None) -> str:
    """A text part's content; one in a charset Python does not know is read as UTF-8 (any
    local process can write to the sink: its messages must not break the page)."""
    if part is None:
        return ""
    try:
        content = part.get_content()
    except LookupError:
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return str(content)


def parse(name: str, data: bytes) -> ReceivedMail:
    """A stored message, read back."""
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    text = _content(text_part)
    html = _html_with_images(message, _content(html_part)) if html_part is not None else ""
    outbox = str(message.get(OUTBOX_HEADER, "")).strip()
    bodies = {id(text_part), id(html_part)}
    attachments = sum(
        1 for part in message.walk() if not part.is_multipart() and id(part) not in bodies
    )
    return ReceivedMail(
        name=name,
        outbox_id=int(outbox) if outbox.isascii() and outbox.isdigit() else None,
        subject=str(message.get("Subject", "")),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        date=str(message.get("Date", "")),
        text=text,
        html=html,
        attachments=attachments,
    )


def received(directory: Path, *, limit: int = MAX_LISTED) -> list[ReceivedMail]:
    """The newest `limit` messages in the mailbox, newest first ([] when there is none)."""
    try:
        names = sorted(p.name for p in directory.iterdir() if _NAME.fullmatch(p.name))
    except OSError:
        return []
    found = []
    for name in reversed(names[-limit:]):
        mail = read(directory, name)
        if mail is not None:
            found.append(mail)
    return found


def read(directory: Path, name: str) -> ReceivedMail | None:
    """One message by its file name; None for a name this mailbox never made, or no file."""
    if not _NAME.fullmatch(name):
        return None
    try:
        with (directory / name).open("rb") as file:
            data = file.read(MAX_MESSAGE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_MESSAGE_BYTES:
        return None
    return parse(name, data)
