"""The merchants pages of the staff console (issue 12): onboarding a merchant with its
contacts, its one page (details, agreements, products, tokens, webhooks), and every refusal
saying what is wrong while storing nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import hash_token
from licensing.merchants import MerchantContact
from licensing.models import ApiToken, Merchant
from licensing.webhooks import WebhookDelivery, WebhookSubscription
from tests import factory as F
from tests.factory import staff_member
from tests.storefront.console import confirm, csrf, post_form, sign_in
from tiein.app import create_app

TODAY = datetime(2026, 6, 1, 9, tzinfo=UTC)
PUBLIC_URL = "https://93.184.216.34/tiein-hooks"  # a public address: no lookup, no refusal


@pytest.fixture
async def anonymous(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=db)
    app.state.clock = lambda: TODAY
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def staff(anonymous: httpx.AsyncClient, db: Database) -> httpx.AsyncClient:
    await staff_member(db)
    await sign_in(anonymous)
    return anonymous


def onboarding(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Acme Toys Ltd.",
        "slug": "",
        "country": "GB",
        "contact_name": ["Lina Licensing", "Fred Finance", ""],
        "contact_email": ["lina@acme.example", "fred@acme.example", ""],
        "contact_role": ["licensing", "finance", "licensing"],
    }
    return form | changes


async def count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_staff_onboard_a_merchant_with_contacts_and_land_on_its_page(
    staff: httpx.AsyncClient, db: Database
) -> None:
    # given the onboarding form, with the slug left blank
    form = await staff.get("/staff/merchants/new")
    assert form.status_code == 200 and 'name="contact_role"' in form.text
    # when it is sent
    done = await post_form(staff, "/staff/merchants/new", onboarding(), page="/staff/merchants/new")
    # then the merchant exists under a slug made from its name, with both contacts
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/merchants/acme-toys-ltd"
    async with db.read_session() as session:
        merchant = await session.scalar(select(Merchant).where(Merchant.slug == "acme-toys-ltd"))
        assert merchant is not None and merchant.country == "GB"
        assert merchant.contact_email == "lina@acme.example"  # the licensing contact's
        contacts = (await session.scalars(select(MerchantContact).order_by("position"))).all()
    assert [(c.name, c.email, c.role) for c in contacts] == [
        ("Lina Licensing", "lina@acme.example", "licensing"),
        ("Fred Finance", "fred@acme.example", "finance"),
    ]
    page = await staff.get("/staff/merchants/acme-toys-ltd")
    assert page.status_code == 200
    assert "Acme Toys Ltd. is onboarded" in page.text
    assert "fred@acme.example" in page.text and "United Kingdom" in page.text
    assert f"/staff/agreements/new?merchant_id={merchant.id}" in page.text
    listing = await staff.get("/staff/merchants")
    assert "acme-toys-ltd" in listing.text and f"{merchant.id:04d}-" in listing.text
    assert 'href="/staff/merchants"' in listing.text  # in the staff navigation


@pytest.mark.parametrize(
    ("changes", "field_words"),
    [
        ({"slug": "acme"}, "A merchant 'acme' exists already"),
        ({"name": "ACME"}, "A merchant named 'ACME' exists already"),
        ({"country": "ZZ"}, "is not an ISO 3166-1 alpha-2 country code"),
        ({"contact_email": ["lina@", "fred@acme.example", ""]}, "is not an e-mail address"),
        ({"contact_name": ["", "", ""], "contact_email": ["", "", ""]}, "at least one contact"),
        ({"name": "x" * 201}, "needs a name of at most 200"),
        ({"slug": "new"}, "is reserved"),
        ({"contact_role": ["licensing", "janitor", ""]}, "Choose contact 2's role"),
    ],
)
async def test_a_refused_onboarding_names_the_field_and_stores_nothing(
    staff: httpx.AsyncClient, db: Database, changes: dict, field_words: str
) -> None:
    # given a merchant "Acme" (slug acme) onboarded already
    async with db.session() as session:
        await F.make_merchant(session, slug="acme", name="Acme")
    # when a form with one bad field is sent
    answer = await post_form(
        staff, "/staff/merchants/new", onboarding(**changes), page="/staff/merchants/new"
    )
    # then it is refused in words, the form is shown again, and nothing is stored
    assert answer.status_code == 400
    assert field_words in answer.text.replace("&#39;", "'")
    assert "Nothing was saved" in answer.text and "(INVALID" not in answer.text
    assert await count(db, Merchant) == 1
    assert await count(db, MerchantContact) == 0


@pytest.mark.parametrize("bad", ["Acme\x00Toys", "x" * 5000])
async def test_nul_bytes_and_huge_fields_get_a_4xx_and_store_nothing(
    staff: httpx.AsyncClient, db: Database, bad: str
) -> None:
    answer = await post_form(
        staff, "/staff/merchants/new", onboarding(name=bad), page="/staff/merchants/new"
    )
    assert 400 <= answer.status_code < 500
    assert answer.text.strip()  # a message, not an empty answer
    assert await count(db, Merchant) == 0


async def test_editing_contacts_replaces_them_and_a_bad_one_changes_nothing(
    staff: httpx.AsyncClient, db: Database
) -> None:
    await post_form(staff, "/staff/merchants/new", onboarding(), page="/staff/merchants/new")
    path = "/staff/merchants/acme-toys-ltd"
    bad = await post_form(
        staff,
        f"{path}/details",
        {
            "name": "Acme",
            "country": "GB",
            "contact_name": ["Ops"],
            "contact_email": ["no"],
            "contact_role": ["operations"],
        },
        page=path,
    )
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    assert await count(db, MerchantContact) == 2
    good = await post_form(
        staff,
        f"{path}/details",
        {
            "name": "Acme Toys",
            "country": "FR",
            "contact_name": ["Olga Ops"],
            "contact_email": ["olga@acme.example"],
            "contact_role": ["operations"],
        },
        page=path,
    )
    assert good.status_code == 303
    async with db.read_session() as session:
        merchant = await session.scalar(select(Merchant))
        contacts = (await session.scalars(select(MerchantContact))).all()
    assert merchant is not None and (merchant.name, merchant.country) == ("Acme Toys", "FR")
    assert merchant.contact_email == "olga@acme.example"
    assert [(c.email, c.role) for c in contacts] == [("olga@acme.example", "operations")]


async def test_a_token_secret_is_shown_once_and_stored_hashed(
    staff: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        merchant = await F.make_merchant(session, slug="acme")
    path = "/staff/merchants/acme"
    issued = await post_form(
        staff, f"{path}/tokens", {"name": "shop sync", "scopes": ["read", "tokens"]}, page=path
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(tie_[^"]+)"', issued.text)
    assert secret, "the new token is on the answer"
    async with db.read_session() as session:
        token = await session.scalar(select(ApiToken))
    assert token is not None and token.merchant_id == merchant.id
    assert token.token_hash == hash_token(secret.group(1)) and token.scopes == "read,tokens"
    again = await staff.get(path)
    assert secret.group(1) not in again.text
    assert "shop sync" in again.text and "read, tokens" in again.text
    # no scope chosen: refused in words, no second token
    none = await post_form(staff, f"{path}/tokens", {"name": "x"}, page=path)
    assert none.status_code == 400 and "at least one scope" in none.text
    assert await count(db, ApiToken) == 1


async def test_revoking_a_token_asks_first(staff: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as session:
        merchant = await F.make_merchant(session, slug="acme")
        token, _ = await F.make_api_token(session, merchant=merchant, name="old")
    path = "/staff/merchants/acme"
    asked = await post_form(staff, f"{path}/tokens/{token.id}/revoke", {}, page=path)
    assert asked.status_code == 200 and "Nothing has changed yet" in asked.text
    async with db.read_session() as session:
        assert (await session.get(ApiToken, token.id)).revoked_at is None  # type: ignore[union-attr]
    done = await confirm(staff, asked)
    assert done.status_code == 303
    async with db.read_session() as session:
        assert (await session.get(ApiToken, token.id)).revoked_at is not None  # type: ignore[union-attr]
    # another merchant's page cannot revoke it
    async with db.session() as session:
        await F.make_merchant(session, slug="rival")
    other = await post_form(staff, f"/staff/merchants/rival/tokens/{token.id}/revoke", {})
    assert other.status_code == 404


async def test_a_webhook_is_added_with_its_secret_once_and_deleted_after_confirming(
    staff: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        await F.make_merchant(session, slug="acme")
    path = "/staff/merchants/acme"
    bad = await post_form(
        staff, f"{path}/webhooks", {"url": "http://127.0.0.1/x", "events": ["nope"]}, page=path
    )
    assert bad.status_code == 400
    assert "Webhook URLs must use https" in bad.text and "is not an event" in bad.text
    assert await count(db, WebhookSubscription) == 0
    added = await post_form(
        staff, f"{path}/webhooks", {"url": PUBLIC_URL, "events": ["stock.low"]}, page=path
    )
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(whsec_[0-9a-f]+)"', added.text)
    assert secret
    page = await staff.get(path)
    assert PUBLIC_URL in page.text and secret.group(1) not in page.text
    async with db.read_session() as session:
        subscription = await session.scalar(select(WebhookSubscription))
    assert subscription is not None
    asked = await post_form(staff, f"{path}/webhooks/{subscription.id}/delete", {}, page=path)
    assert "Nothing has changed yet" in asked.text
    done = await confirm(staff, asked)
    assert done.status_code == 303
    async with db.read_session() as session:
        gone = await session.get(WebhookSubscription, subscription.id)
    assert gone is not None and gone.deleted_at is not None
    after = await staff.get(path)
    assert "is deleted" in after.text and 'id="webhooks-table"' not in after.text


async def test_people_who_are_not_staff_cannot_reach_the_merchant_pages(
    anonymous: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        merchant = await F.make_merchant(session, slug="acme")
        token, _ = await F.make_api_token(session, merchant=merchant)
    for path in ("/staff/merchants", "/staff/merchants/new", "/staff/merchants/acme"):
        answer = await anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login")
    token_csrf = await csrf(anonymous, "/staff/login")
    for path in ("/staff/merchants/new", "/staff/merchants/acme/tokens",
                 f"/staff/merchants/acme/tokens/{token.id}/revoke"):  # fmt: skip
        answer = await anonymous.post(path, data={"csrf_token": token_csrf, "name": "Evil"})
        assert answer.status_code == 403
    assert await count(db, Merchant) == 1 and await count(db, ApiToken) == 1


async def test_the_merchant_page_runs_as_many_statements_for_many_products_as_for_one(
    staff: httpx.AsyncClient, db: Database, query_counter
) -> None:
    async with db.session() as session:
        small, _ = await F.licensing_world(session)
        big, product = await F.licensing_world(session)
        for n in range(4):
            await F.make_product(session, big, product.film_id, name=f"Mug {n}")
            more = await F.make_agreement(
                session, merchant_id=big.merchant_id, film_ids=[product.film_id]
            )
            await F.make_api_token(session, merchant=await session.get(Merchant, big.merchant_id))
            delivery_target = more.id
        assert delivery_target
        slugs = [
            (await session.get(Merchant, a.merchant_id)).slug  # type: ignore[union-attr]
            for a in (small, big)
        ]
    counts = []
    for slug in slugs:
        with query_counter() as counted:
            page = await staff.get(f"/staff/merchants/{slug}")
        assert page.status_code == 200
        counts.append(counted.count)
    assert page.text.count("Mug ") == 4
    assert counts[0] == counts[1]
    with query_counter() as counted:
        assert (await staff.get("/staff/merchants")).status_code == 200
    listing = counted.count
    async with db.session() as session:
        for _ in range(3):
            await F.licensing_world(session)
    with query_counter() as counted:
        assert (await staff.get("/staff/merchants")).status_code == 200
    assert counted.count == listing
    assert await count(db, WebhookDelivery) == 0
