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


MERCHANTS = """{ merchants(first: 100) { nodes { slug contacts { name email role } } } }"""
MINE = """{ viewer { merchant { id contacts { name role } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Merchant { contacts { email } } } }"""
PUBLIC = """{ products(first: 100) { nodes { merchant { slug contacts { email } } } } }"""


async def test_contacts_are_seen_by_staff_and_the_merchant_itself_only(
    gql: Gql, world: World, db: Database, query_counter: Any
) -> None:
    # Given merchant A with a finance contact, B with a licensing one
    async with db.session() as session:
        session.add(MerchantContact(merchant_id=world.a.id, position=1, name="Fay",
                                    email="fay@a.example", role="finance"))  # fmt: skip
        session.add(MerchantContact(merchant_id=world.b.id, position=1, name="Bo",
                                    email="bo@b.example", role="licensing"))  # fmt: skip
    # When staff list merchants, each shows its contacts
    listed = await gql.data(MERCHANTS, token=world.staff_token)
    by_slug = {m["slug"]: m["contacts"] for m in listed["merchants"]["nodes"]}
    assert sorted(by_slug.values(), key=str) == [
        [{"name": "Bo", "email": "bo@b.example", "role": "licensing"}],
        [{"name": "Fay", "email": "fay@a.example", "role": "finance"}],
    ]
    # and merchant A sees its own
    mine = (await gql.data(MINE, token=world.a.token))["viewer"]["merchant"]
    assert mine["contacts"] == [{"name": "Fay", "role": "finance"}]
    # Then merchant B cannot reach A (not found), and the public sees no contact at all
    other = await gql.data(NODE, {"id": mine["id"]}, token=world.b.token)
    assert other["node"] is None
    public = await gql.data(PUBLIC)
    merchants = [n["merchant"] for n in public["products"]["nodes"]]
    assert merchants and all(m["contacts"] == [] for m in merchants)


async def test_contacts_cost_one_statement_whatever_the_number_of_merchants(
    gql: Gql, world: World, db: Database, query_counter: Any
) -> None:
    await gql.data(MERCHANTS, token=world.staff_token)  # warm
    with query_counter() as few:
        await gql.data(MERCHANTS, token=world.staff_token)
    async with db.session() as session:
        for n in range(8):
            merchant = Merchant(slug=f"many-{n}", name=f"Many {n}", country="US",
                                contact_email=f"m{n}@many.example")  # fmt: skip
            session.add(merchant)
            await session.flush()
            for position in (1, 2):
                session.add(MerchantContact(merchant_id=merchant.id, position=position,
                                            name=f"P{position}", email=f"p{position}@m{n}.example",
                                            role="licensing"))  # fmt: skip
    with query_counter() as many:
        listed = await gql.data(MERCHANTS, token=world.staff_token)
    assert sum(len(m["contacts"]) for m in listed["merchants"]["nodes"]) >= 16
    assert many.count == few.count
