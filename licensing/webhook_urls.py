"""Where a merchant webhook may point (SPEC §8, §11: no server-side request forgery).

The rules, checked when a merchant subscribes AND again before every delivery:

- An `https` URL (plain `http` only with TIEIN_WEBHOOK_ALLOW_PRIVATE, for tests and demos),
  at most 2000 characters of printable ASCII (an international host name is given in its
  punycode form), with a host, no user name or password, no fragment, no port 0.
- Every address the host resolves to must be a public unicast address: loopback, private,
  shared, link-local, multicast, reserved and unspecified addresses are refused, and so are
  the cloud metadata endpoints (169.254.169.254, fd00:ec2::254) and IPv4 addresses wrapped
  in IPv6. One refused address refuses the URL (a name that resolves to a public and a
  private address could be answered with either).
- The delivery connects to an address that was checked (`WebhookTarget.addresses`), never
  to a second lookup of the name, so a DNS answer changed between check and connect (DNS
  rebinding) cannot send it elsewhere.

TIEIN_WEBHOOK_ALLOW_PRIVATE=true lifts the address and scheme rules, never the others.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from kernel.errors import DomainError
from licensing.codes import LicensingError

URL_MAX = 2000
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL: its parts, and (once resolved) the addresses it may reach."""

    url: str
    scheme: str
    host: str  # without brackets for an IPv6 literal
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...] = ()

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: str) -> str:
        """The URL with the host replaced by `address` (the host goes in the Host header)."""
        shown = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{shown}:{self.port}{self.target}"


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(LicensingError.INVALID_URL, message, field)


def parse_webhook_url(url: object, *, allow_private: bool, field: str = "url") -> WebhookTarget:
    """The parts of a webhook URL, or INVALID_URL naming `field` (no lookup is made)."""
    if not isinstance(url, str) or not url.strip():
        raise _invalid("Give the https URL that receives the events.", field)
    url = url.strip()
    if len(url) > URL_MAX:
        raise _invalid(f"The URL is longer than {URL_MAX} characters.", field)
    if not url.isascii() or not url.isprintable() or any(c.isspace() for c in url):
        raise _invalid(
            "The URL holds spaces, control or non-ASCII characters (give an international "
            "host name in its punycode form).",
            field,
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid("The URL is not valid.", field) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise _invalid("Webhook URLs must use https.", field)
    if parts.username is not None or parts.password is not None:
        raise _invalid("The URL must not hold a user name or password.", field)
    if not parts.hostname:
        raise _invalid("The URL has no host.", field)
    if parts.fragment:
        raise _invalid("The URL must not have a #fragment.", field)
    if port == 0:  # else `port or 443` below would send it to a port the URL does not show
        raise _invalid("The URL's port must be 1 to 65535.", field)
    scheme = parts.scheme.lower()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(
        url=url,
        scheme=scheme,
        host=parts.hostname,
        port=port or (443 if scheme == "https" else 80),
        target=target,
    )


def address_refusal(address: IPAddress) -> str | None:
    """Why a delivery may not go to `address` (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped or address.sixtofour or address.teredo
    ):
        return "an IPv4 address wrapped in IPv6"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for name in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(address, f"is_{name}"):
            return f"a {name.replace('_', '-')} address"
    if not address.is_global:
        return "an address that is not public"
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` (an IP literal is its own), in the resolver's order."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in found:
            found.append(address)
    return found


async def check_webhook_url(
    url: object, *, allow_private: bool, field: str = "url"
) -> WebhookTarget:
    """A webhook URL checked and resolved: INVALID_URL for a malformed one or a host that
    does not resolve, URL_NOT_ALLOWED when an address it resolves to is not public (unless
    `allow_private`). The target's `addresses` are those a delivery may connect to.
    The lookup may wait on a name server for up to 10 s: make it with no transaction open."""
    target = parse_webhook_url(url, allow_private=allow_private, field=field)
    try:
        addresses = await asyncio.wait_for(resolve(target.host, target.port), timeout=10)
    except (OSError, UnicodeError, TimeoutError):
        raise _invalid(f"The host {target.host} does not resolve.", field) from None
    if not addresses:
        raise _invalid(f"The host {target.host} does not resolve.", field)
    if not allow_private:
        for address in addresses:
            why = address_refusal(ipaddress.ip_address(address))
            if why is not None:
                # The address only when the URL gave it: what a name resolves to inside the
                # shop's network is not the merchant's to learn.
                shown = f" ({address})" if _is_literal(target.host) else ""
                raise DomainError(
                    LicensingError.URL_NOT_ALLOWED,
                    f"The URL leads to {why}{shown}; webhooks go to public addresses.",
                    field,
                )
    return WebhookTarget(
        target.url, target.scheme, target.host, target.port, target.target, tuple(addresses)
    )
