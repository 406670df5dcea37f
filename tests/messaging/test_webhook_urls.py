"""Where a webhook may point (SPEC §8, §11): with TIEIN_WEBHOOK_ALLOW_PRIVATE off, URLs that
resolve to loopback, private, link-local, metadata or other non-public addresses are refused,
and so is anything but https; malformed URLs are refused whatever the flag."""

from __future__ import annotations

import pytest

from kernel.errors import DomainError
from licensing.webhook_urls import check_webhook_url


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://127.1.2.3:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://172.16.0.1/",
        "https://192.168.1.10/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://100.64.0.1/",
        "https://localhost/hooks",
    ],
)
async def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        await check_webhook_url(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == ("URL_NOT_ALLOWED", "url")
    allowed = await check_webhook_url(url, allow_private=True)  # the tests' flag
    assert allowed.addresses


@pytest.mark.parametrize(
    "url",
    [
        "http://203.0.113.7/hooks",  # plain http
        "ftp://example.com/",
        "https://user:pw@example.com/",
        "https://example.com/" + "a" * 2000,
        "https://exa\x00mple.com/",
        "https://exämple.com/",
        "https://example.com/ path",
        "https:///nohost",
        "https://example.com/#frag",
        "https://example.com:99999/",
        "",
        None,
    ],
)
async def test_malformed_and_plain_http_urls_are_refused(url: object) -> None:
    with pytest.raises(DomainError) as refused:
        await check_webhook_url(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == ("INVALID_URL", "url")


async def test_a_public_address_is_allowed_and_kept_for_the_connection() -> None:
    target = await check_webhook_url("https://8.8.8.8:8443/in?x=1", allow_private=False)
    assert target.addresses == ("8.8.8.8",)
    assert target.url_for("8.8.8.8") == "https://8.8.8.8:8443/in?x=1"
    assert target.host_header == "8.8.8.8:8443"
