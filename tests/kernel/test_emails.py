"""One e-mail rule for checkout, the mailer and "e-mail me my orders" (kernel/emails.py)."""

from __future__ import annotations

import pytest

from kernel.emails import InvalidEmail, normalize_email


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("fan@example.com", "fan@example.com"),
        ("  Fan.Name+tix@Example.COM ", "Fan.Name+tix@example.com"),
        ("fan@bücher.de", "fan@xn--bcher-kva.de"),
        ("fan@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", "fan@example.com"),  # full width
    ],
)
def test_addresses_are_kept_in_the_form_the_mailer_sends_to(typed: str, kept: str) -> None:
    assert normalize_email(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "fän@example.com",  # no receipt could be sent to it
        "a<b>@example.com",
        '"q"@example.com',
        "fan@localhost",
        "fan@",
        "@example.com",
        ".fan@example.com",
        "fan.@example.com",
        "f..an@example.com",
        "fan@exa mple.com",
        "fan@-example.com",
        "fan@example.com\r\nBcc: victim@example.net",
        "fan\x00@example.com",
        "f" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "c" * 63 + ".com",
        "",
    ],
)
def test_addresses_no_receipt_could_reach_are_refused(typed: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(typed)
