"""The one rule for shoppers' e-mail addresses: what checkout accepts is what the mailer can
send to and what "e-mail me my orders" finds (found by a hostile review: checkout took
`fän@example.com`, whose receipt could never be sent, and kept `fan@bücher.de` as typed while
the lookup searched its ASCII form).

An address is a plain ASCII local part (RFC 5322 atext and dots; no quoted forms) at a domain
of DNS labels with a dot in it. International domains are kept in their ASCII (IDNA) form and
in lower case; the local part is kept as given (mail servers may tell case apart there)."""

from __future__ import annotations

import re

MAX_LENGTH = 254
_UNSAFE = re.compile(r"[\r\n\x00]")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}", re.ASCII)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)


class InvalidEmail(ValueError):
    """Not an address tiein can send e-mail to."""


def ascii_domain(domain: str) -> str:
    """`domain` in its lower-case ASCII form (IDNA); InvalidEmail when it is not a domain."""
    try:
        found = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidEmail(f"not a mail domain: {domain!r}") from exc
    labels = found.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidEmail(f"not a mail domain: {domain!r}")
    return found


def normalize_email(text: str, *, dotless_domain: bool = False) -> str:
    """The address as tiein stores and sends to it (`local@ascii-domain`); InvalidEmail when
    it holds CR, LF or NUL, has no domain with a dot (`dotless_domain` allows one, for a
    configured sender such as `orders@localhost`), is over 254 characters, or its local
    part is not plain ASCII."""
    if _UNSAFE.search(text):
        raise InvalidEmail("an e-mail address may not hold CR, LF or NUL")
    local, at, domain = text.strip().rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or ".." in local or local[0] in ".":
        raise InvalidEmail(f"not an e-mail address: {text!r}")
    if local[-1] == "." or not domain or ("." not in domain.strip(".") and not dotless_domain):
        raise InvalidEmail(f"not an e-mail address: {text!r}")
    address = f"{local}@{ascii_domain(domain)}"
    if len(address) > MAX_LENGTH:
        raise InvalidEmail("an e-mail address has at most 254 characters")
    return address
