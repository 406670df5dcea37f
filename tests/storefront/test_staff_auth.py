"""Staff sign-in: every staff page refuses anonymous users, every form needs its CSRF token."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from kernel.db import Database
from storefront.staff import staff_routes
from tests.factory import STAFF_USERNAME, staff_member
from tests.storefront.console import csrf, post_form, sign_in

PUBLIC = {"/staff/login"}


def _concrete(path: str) -> str:
    """A route path with placeholder values for its parameters."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _guarded_routes() -> list[tuple[str, str]]:
    pairs = []
    for route in staff_routes:
        assert isinstance(route, Route)
        if route.path in PUBLIC:
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                pairs.append((method, _concrete(route.path)))
    return pairs


def test_every_staff_view_but_the_login_is_wrapped_in_require_staff() -> None:
    unguarded = [
        r.path
        for r in staff_routes
        if r.path not in PUBLIC and not getattr(r.endpoint, "requires_staff", False)
    ]
    assert unguarded == []
    assert len(_guarded_routes()) >= 4


async def test_anonymous_users_are_sent_to_login_or_refused_on_every_staff_route(
    client: httpx.AsyncClient,
) -> None:
    # Rule: every staff page refuses anonymous users (GET → login, anything else → 403).
    # The POSTs carry a valid CSRF token, so the refusal must come from the staff guard.
    token = await csrf(client, "/staff/login")
    for method, path in _guarded_routes():
        response = await client.request(method, path, data={"csrf_token": token})
        if method == "GET":
            assert response.status_code == 303, (method, path)
            location = response.headers["location"]
            assert location.startswith("/staff/login?next="), location
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.text == "Sign in as staff first.", (method, path)


async def test_staff_sign_in_and_out(client: httpx.AsyncClient, db: Database) -> None:
    await staff_member(db)
    before = client.cookies.get("tiein_session")
    anonymous_token = await csrf(client, "/staff/login")

    response = await sign_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    # The session is rotated at sign-in: a new cookie and a new CSRF token.
    assert client.cookies.get("tiein_session") != before
    home = await client.get("/staff")
    assert home.status_code == 200
    assert f"Signed in as <strong>{STAFF_USERNAME}</strong>" in home.text
    assert await csrf(client) != anonymous_token

    response = await post_form(client, "/staff/logout", {})
    assert response.status_code == 303
    again = await client.get("/staff")
    assert again.status_code == 303
    assert "/staff/login" in again.headers["location"]


async def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    asked = await client.get("/staff/check-in")
    login_page = await client.get(asked.headers["location"])
    assert 'name="next" value="/staff/check-in"' in login_page.text
    token = await csrf(client, "/staff/login")
    response = await client.post(
        "/staff/login",
        data={
            "csrf_token": token,
            "username": STAFF_USERNAME,
            "password": "correct horse battery",
            "next": "//evil.example/staff",
        },
    )
    assert response.headers["location"] == "/staff"


@pytest.mark.parametrize(
    "username, password",
    [("desk-officer", "wrong password!"), ("nobody-here", "correct horse battery")],
)
async def test_bad_credentials_get_one_generic_answer(
    client: httpx.AsyncClient, db: Database, username: str, password: str
) -> None:
    await staff_member(db)
    response = await sign_in(client, username, password)
    assert response.status_code == 400
    assert "Unknown username or wrong password." in response.text
    assert (await client.get("/staff")).status_code == 303


async def test_a_login_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login", data={"username": STAFF_USERNAME, "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert (await client.get("/staff")).status_code == 303


async def test_a_signed_in_post_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    for method, path in _guarded_routes():
        if method == "POST":
            response = await client.post(path, data={"csrf_token": "forged"})
            assert response.status_code == 403, path
            response = await client.post(path, data={})
            assert response.status_code == 403, path
    # Still signed in: the refused logout did nothing.
    assert (await client.get("/staff")).status_code == 200
