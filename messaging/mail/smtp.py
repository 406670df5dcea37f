"""Sending over SMTP with aiosmtplib, and the addresses that go into headers.

`TIEIN_SMTP_URL` names the server: `smtp://user:password@host:587` (STARTTLS when the server
offers it; `?starttls=false` never, `?starttls=true` always) or `smtps://…:465` (TLS from the
first byte). User and password are URL-encoded in the URL.

What an SMTP answer means for the outbox (kernel.drainer): a permanent refusal (a 5xx
reply: no such mailbox, message refused) fails the message at once (`MailRefused`, a
`GiveUp`); anything else — a 4xx, a refused connection, a timeout — is raised as it is, so
the message is retried with back-off. A refused sign-in (535) is retried too: it says the
installation's credentials are wrong, not the message, and the message should go once
they are fixed.

Header values never carry CR, LF or NUL (that is header injection: a `Bcc:` smuggled in a
name); `mailbox` refuses them, and display names that are not ASCII are encoded (RFC 2047)
by the e-mail package when the message is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from kernel.drainer import GiveUp
from kernel.emails import InvalidEmail, normalize_email

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_SECONDS = 30.0
_UNSAFE = re.compile(r"[\r\n\x00]")


class UnsafeHeader(ValueError):
    """A name or address that cannot go into a header as it is (CR/LF/NUL, not an address)."""


class MailRefused(GiveUp):
    """The SMTP server refused the message for good (a 5xx reply)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: parsed from TIEIN_SMTP_URL."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps: TLS from the start
    start_tls: bool | None = None  # None: when the server offers it

    def __repr__(self) -> str:  # never print the password
        return f"SmtpServer({self.hostname!r}, {self.port}, tls={self.use_tls})"


def parse_smtp_url(url: str) -> SmtpServer:
    """An `smtp://` or `smtps://` URL as an SmtpServer; ValueError when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("TIEIN_SMTP_URL is smtp://[user:password@]host[:port] or smtps://…")
    options = {k.lower(): v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    start_tls: bool | None = None
    if "starttls" in options:
        if options["starttls"] not in ("true", "false"):
            raise ValueError("starttls in TIEIN_SMTP_URL is true or false")
        start_tls = options["starttls"] == "true"
    use_tls = parts.scheme == "smtps"
    if use_tls and start_tls:
        raise ValueError("smtps:// is TLS from the start: it takes no starttls=true")
    return SmtpServer(
        hostname=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
    )


def mailbox(address: str, name: str = "", *, dotless_domain: bool = False) -> Address:
    """A header address (`name <local@domain>`): refused (UnsafeHeader) when either part
    holds CR, LF or NUL, or the address is not a plain ASCII local part at a domain
    (international domains are written in their ASCII form)."""
    if _UNSAFE.search(address) or _UNSAFE.search(name):
        raise UnsafeHeader("a header value may not hold CR, LF or NUL")
    try:
        local, _, domain = normalize_email(address, dotless_domain=dotless_domain).rpartition("@")
    except InvalidEmail as exc:
        raise UnsafeHeader(str(exc)) from exc
    return Address(display_name=" ".join(name.split()), username=local, domain=domain)


def parse_mailbox(text: str) -> Address:
    """A configured address such as `Tiein shop <orders@example.com>` (TIEIN_MAIL_FROM)."""
    if _UNSAFE.search(text):
        raise UnsafeHeader("a header value may not hold CR, LF or NUL")
    name, address = parseaddr(text)
    return mailbox(address, name, dotless_domain=True)


def _permanent(exc: aiosmtplib.SMTPException) -> bool:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return False  # the installation's credentials, not this message: retry once fixed
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 500 <= exc.code < 600
    return False


async def send_message(server: SmtpServer, message: EmailMessage) -> None:
    """Hand `message` to the server (envelope from its From and To). MailRefused on a
    permanent refusal; any other failure is raised as it is (retry)."""
    try:
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPException as exc:
        if _permanent(exc):
            raise MailRefused(f"the SMTP server refused the message: {exc}") from exc
        raise
