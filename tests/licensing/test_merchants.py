"""Onboarding rules of licensing.merchants that need no database: slugs made from names, and
contacts checked all at once, each refusal naming its row and field."""

from __future__ import annotations

import pytest

from kernel.errors import DomainError, DomainErrors
from licensing.merchants import (
    ContactInput,
    ContactRole,
    check_contacts,
    check_slug,
    main_email,
    suggest_slug,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Acme Toys Ltd.", "acme-toys-ltd"), ("Café Ōsaka", "cafe-osaka"), ("東宝", ""),
     ("  --Big   Bad--  ", "big-bad"), ("x" * 300, "x" * 80)],
)  # fmt: skip
def test_a_slug_is_suggested_from_the_name(name: str, slug: str) -> None:
    assert suggest_slug(name) == slug


@pytest.mark.parametrize("bad", ["", "ab", "Has Space", "new", "-lead", "x" * 81, None, 7])
def test_a_bad_slug_is_refused_naming_the_slug(bad: object) -> None:
    with pytest.raises(DomainError) as refused:
        check_slug(bad)
    assert refused.value.field == "slug"


def test_contacts_are_checked_together_and_the_main_address_is_the_licensing_one() -> None:
    with pytest.raises(DomainErrors) as refused:
        check_contacts([
            ContactInput("Ann", "ann@example.com", "finance"),
            ContactInput("Ann", "ann@EXAMPLE.com", "finance"),
            ContactInput("", "x", "boss"),
        ])  # fmt: skip
    assert [e.field for e in refused.value.errors] == [
        "contacts.2.email", "contacts.3.name", "contacts.3.email", "contacts.3.role",
    ]  # fmt: skip
    found = check_contacts([
        ContactInput(" Fin ", "fin@Example.COM", "finance"),
        ContactInput("Lia", "lia@example.com", "licensing"),
    ])  # fmt: skip
    assert found[0].name == "Fin" and found[0].email == "fin@example.com"
    assert found[0].role is ContactRole.FINANCE
    assert main_email(found) == "lia@example.com"
    with pytest.raises(DomainError, match="at least one"):
        check_contacts([])
    with pytest.raises(DomainError, match="at most 10"):
        check_contacts([ContactInput("A", f"a{n}@example.com", "finance") for n in range(11)])
