"""createMerchant takes a merchant's contacts (name, e-mail, role), and still a lone
contactEmail as before contacts; updateMerchant changes the name, country and contacts. Every
refusal names its field, and nothing is stored (issue 12)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kernel.db import Database
from licensing.merchants import MerchantContact
from licensing.models import Merchant
from tests.graphql.conftest import Gql, World

CREATE = """mutation($input: CreateMerchantInput!) { createMerchant(input: $input) {
    merchant { id slug name country contactEmail } errors { field code } } }"""
UPDATE = """mutation($input: UpdateMerchantInput!) { updateMerchant(input: $input) {
    merchant { name country contactEmail } errors { field code } } }"""


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def contacts(db: Database, slug: str) -> list[tuple[str, str, str]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(MerchantContact.name, MerchantContact.email, MerchantContact.role)
            .join(Merchant, Merchant.id == MerchantContact.merchant_id)
            .where(Merchant.slug == slug)
            .order_by(MerchantContact.position)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_staff_onboard_a_merchant_with_a_finance_contact(
    gql: Gql, world: World, db: Database
) -> None:
    given = {"slug": "zed-toys", "name": "Zed Toys", "country": "gb", "contacts": [
        {"name": "Zoe", "email": "zoe@Zed.EXAMPLE", "role": "licensing"},
        {"name": "Finn", "email": "finn@zed.example", "role": "finance"}]}  # fmt: skip
    made = payload(await gql(CREATE, {"input": given}, token=world.staff_token))
    assert made["errors"] == []
    assert made["merchant"]["contactEmail"] == "zoe@zed.example"  # the domain normalised
    assert await contacts(db, "zed-toys") == [
        ("Zoe", "zoe@zed.example", "licensing"),
        ("Finn", "finn@zed.example", "finance"),
    ]
    # the lone contactEmail of callers before contacts makes one licensing contact
    old = {"slug": "old-co", "name": "Old Co", "country": "US", "contactEmail": "a@old.example"}
    assert payload(await gql(CREATE, {"input": old}, token=world.staff_token))["errors"] == []
    assert await contacts(db, "old-co") == [("Old Co", "a@old.example", "licensing")]
    # and updateMerchant replaces them
    changed = payload(await gql(UPDATE, {"input": {
        "id": made["merchant"]["id"], "country": "FR",
        "contacts": [{"name": "Olga", "email": "ops@zed.example", "role": "operations"}]}},
        token=world.staff_token))  # fmt: skip
    assert changed == {
        "merchant": {"name": "Zed Toys", "country": "FR", "contactEmail": "ops@zed.example"},
        "errors": [],
    }
    assert await contacts(db, "zed-toys") == [("Olga", "ops@zed.example", "operations")]


async def test_bad_contacts_are_each_named_and_nothing_is_stored(
    gql: Gql, world: World, db: Database
) -> None:
    async with db.read_session() as session:
        before = await session.scalar(select(func.count()).select_from(Merchant))
    nul = {"slug": "nul-co", "name": "Bad\x00Co", "country": "US", "contactEmail": "a@b.co"}
    answer = await gql(CREATE, {"input": nul}, token=world.staff_token)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    given = {"slug": "bad-co", "name": "B" * 201, "country": "ZZ", "contacts": [
        {"name": "", "email": "not-an-address", "role": "janitor"},
        {"name": "Ann", "email": "ann@bücher", "role": "finance"}]}  # fmt: skip
    refused = payload(await gql(CREATE, {"input": given}, token=world.staff_token))
    assert refused["merchant"] is None
    assert {e["field"] for e in refused["errors"]} == {
        "name", "country", "contacts.1.name", "contacts.1.email", "contacts.1.role",
        "contacts.2.email",
    }  # fmt: skip
    both = {"slug": "both-co", "name": "Both", "country": "US", "contactEmail": "a@b.example",
            "contacts": [{"name": "A", "email": "a@b.example", "role": "finance"}]}  # fmt: skip
    refused = payload(await gql(CREATE, {"input": both}, token=world.staff_token))
    assert refused["errors"] == [{"field": "contactEmail", "code": "INVALID"}]
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Merchant)) == before
        assert await session.scalar(select(func.count()).select_from(MerchantContact)) == 0


async def test_a_merchant_cannot_update_a_merchant(gql: Gql, world: World) -> None:
    answer = await gql(UPDATE, {"input": {"id": "x", "name": "Mine now"}}, token=world.a.token)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
