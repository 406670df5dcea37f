"""Staff sessions are held on the server: logout, a password change and a deactivation end
them at once, a copied cookie is worth nothing afterwards, and sign-in rotates the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import create_api_token, look_up_token
from licensing.models import StaffSession, StaffUser
from licensing.staff_sessions import (
    SESSION_LIFETIME,
    change_staff_password,
    deactivate_staff_user,
    sign_in_staff,
    staff_for_session,
)
from tests.conftest import count_queries
from tests.factory import STAFF_USERNAME, staff_member
from tests.storefront.console import post_form, sign_in
from tiein.app import create_app


@pytest.fixture
async def thief(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser of the same app, to replay a copied cookie from."""
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def replay(thief: httpx.AsyncClient, cookie: str) -> httpx.Response:
    thief.cookies.clear()
    thief.cookies.set("tiein_session", cookie)
    return await thief.get("/staff")


async def signed_in_cookie(client: httpx.AsyncClient, db: Database) -> str:
    await staff_member(db)
    assert (await sign_in(client)).status_code == 303
    cookie = client.cookies["tiein_session"]
    return cookie


async def test_a_copied_cookie_is_refused_after_logout(
    client: httpx.AsyncClient, thief: httpx.AsyncClient, db: Database
) -> None:
    cookie = await signed_in_cookie(client, db)
    assert (await replay(thief, cookie)).status_code == 200  # a live session, from anywhere

    assert (await post_form(client, "/staff/logout", {})).status_code == 303

    refused = await replay(thief, cookie)
    assert refused.status_code == 303 and "/staff/login" in refused.headers["location"]
    async with db.read_session() as session:
        ended = await session.scalar(select(StaffSession.ended_at))
    assert ended is not None


async def test_a_password_change_ends_every_session_of_the_user(
    client: httpx.AsyncClient, thief: httpx.AsyncClient, db: Database
) -> None:
    cookie = await signed_in_cookie(client, db)
    async with db.session() as session:
        await change_staff_password(session, STAFF_USERNAME, "a brand new passphrase")

    assert (await replay(thief, cookie)).status_code == 303
    assert (await client.get("/staff")).status_code == 303
    # The old password is gone, the new one works.
    assert (await sign_in(client)).status_code == 400
    assert (await sign_in(client, password="a brand new passphrase")).status_code == 303


async def test_deactivation_ends_sessions_refuses_sign_in_and_revokes_tokens(
    client: httpx.AsyncClient, thief: httpx.AsyncClient, db: Database
) -> None:
    cookie = await signed_in_cookie(client, db)
    async with db.session() as session:
        user = await session.scalar(select(StaffUser))
        assert user is not None
        _, token = await create_api_token(session, staff_user=user, name="ci")
    async with db.session() as session:
        await deactivate_staff_user(session, STAFF_USERNAME)

    assert (await replay(thief, cookie)).status_code == 303
    assert (await client.get("/staff")).status_code == 303
    response = await sign_in(client)
    assert response.status_code == 400 and "Unknown username or wrong password." in response.text
    async with db.read_session() as session:
        assert await look_up_token(session, token) is None


async def test_a_cookie_from_before_sign_in_is_worthless_after_it(
    client: httpx.AsyncClient, thief: httpx.AsyncClient, db: Database
) -> None:
    # Session fixation: a cookie planted (or copied) before sign-in gains nothing from it.
    await staff_member(db)
    await client.get("/staff/login")
    planted = client.cookies["tiein_session"]
    assert (await sign_in(client)).status_code == 303
    assert client.cookies["tiein_session"] != planted
    assert (await replay(thief, planted)).status_code == 303
    assert (await client.get("/staff")).status_code == 200


async def test_signing_in_again_rotates_the_token_and_ends_the_old_session(
    client: httpx.AsyncClient, thief: httpx.AsyncClient, db: Database
) -> None:
    first = await signed_in_cookie(client, db)
    # The browser signs in again (e.g. from a login page it kept open).
    again = await post_form(
        client,
        "/staff/login",
        {"username": STAFF_USERNAME, "password": "correct horse battery"},
    )
    assert again.status_code == 303
    second = client.cookies["tiein_session"]
    assert second != first
    assert (await replay(thief, first)).status_code == 303
    assert (await replay(thief, second)).status_code == 200


async def test_a_session_expires_and_is_checked_with_one_query(db: Database) -> None:
    await staff_member(db)
    now = now_utc()
    signed_in = await sign_in_staff(
        db, STAFF_USERNAME, "correct horse battery", address="192.0.2.1", now=now
    )
    async with db.read_session() as session:
        with count_queries(db) as counter:
            use = await staff_for_session(session, signed_in.token, now=now)
        assert counter.count == 1
        assert use is not None and use.username == STAFF_USERNAME
        late = now + SESSION_LIFETIME + timedelta(seconds=1)
        assert await staff_for_session(session, signed_in.token, now=late) is None
        assert await staff_for_session(session, signed_in.token + "x", now=now) is None
        stored = await session.scalar(select(StaffSession.token_hash))
    assert stored is not None and signed_in.token not in stored


def test_the_staff_verbs_change_a_password_and_deactivate(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tiein.cli import main

    monkeypatch.setenv("TIEIN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    assert main(["db", "upgrade"]) == 0
    assert main(["staff", "create", "ana", "--password", "correct horse battery"]) == 0
    assert main(["staff", "password", "ana", "--password", "short"]) == 2
    assert main(["staff", "password", "ana", "--password", "another long one"]) == 0
    assert main(["staff", "deactivate", "ana"]) == 0
    assert main(["staff", "deactivate", "nobody"]) == 2
    out, err = capsys.readouterr()
    assert "password changed, sessions ended: ana" in out
    assert "staff user deactivated, sessions ended, tokens revoked: ana" in out
    assert "tiein: INVALID (password):" in err and "tiein: NOT_FOUND (username):" in err
