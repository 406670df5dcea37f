"""No shared default secret (SPEC §11): the installation makes its own key and keeps it."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from pathlib import Path

import httpx
import itsdangerous
import pytest
from sqlalchemy import func, select

import tiein.localstripe
from kernel.config import Settings, load_settings
from kernel.db import Database
from kernel.installation import SECRET_KEY_NAME, InstallationSecret, installation_secret
from tests.factory import staff_member
from tests.storefront.console import sign_in
from tiein.app import create_app
from tiein.cli import main
from tiein.cli.serve import local_stripe_webhook_secret

# The key every installation shared before: anyone could sign a staff cookie with it.
OLD_BUILT_IN_KEY = "tiein-dev-secret-change-me"


def forged_cookie(key: str, data: dict) -> str:
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(key).sign(payload).decode()


def unconfigured(settings: Settings) -> Settings:
    """The settings of an installation whose environment sets no TIEIN_SECRET_KEY."""
    return load_settings({"TIEIN_DATABASE_URL": settings.database_url})


def client_for(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def test_no_secret_key_comes_from_the_source() -> None:
    assert load_settings({}).secret_key == ""
    assert Settings().secret_key == ""
    assert load_settings({"TIEIN_SECRET_KEY": "from-env"}).secret_key == "from-env"
    assert not hasattr(tiein.localstripe, "TEST_WEBHOOK_SECRET")


async def test_a_staff_cookie_signed_with_the_old_built_in_key_opens_nothing(
    settings: Settings, db: Database
) -> None:
    # Given a staff user and an installation without TIEIN_SECRET_KEY,
    user_id = await staff_member(db)
    app = create_app(unconfigured(settings), database=db)
    # when someone signs a session cookie with the key that used to be in the source,
    cookie = forged_cookie(
        OLD_BUILT_IN_KEY, {"staff_user": {"id": user_id, "username": "desk-officer"}}
    )
    async with client_for(app) as client:
        client.cookies.set("tiein_session", cookie)
        response = await client.get("/staff")
    # then the staff console still asks them to sign in.
    assert response.status_code == 303
    assert "/staff/login" in response.headers["location"]


async def test_the_key_is_made_once_and_every_worker_uses_it(
    settings: Settings, db: Database, database_url: str
) -> None:
    # Five workers start at once on an installation without a key: they agree on one.
    workers = [Database(database_url) for _ in range(5)]
    try:
        keys = await asyncio.gather(*(installation_secret(w, SECRET_KEY_NAME) for w in workers))
    finally:
        for worker in workers:
            await worker.dispose()
    assert len(set(keys)) == 1 and len(keys[0]) >= 40
    async with db.read_session() as session:
        rows = await session.scalar(select(func.count()).select_from(InstallationSecret))
    assert rows == 1

    # A staff sign-in made by one worker is honoured by another (same key, same sessions).
    await staff_member(db)
    other = Database(database_url)
    try:
        async with client_for(create_app(unconfigured(settings), database=db)) as first:
            assert (await sign_in(first)).status_code == 303
            cookie = first.cookies["tiein_session"]
        async with client_for(create_app(unconfigured(settings), database=other)) as second:
            second.cookies.set("tiein_session", cookie)
            assert (await second.get("/staff")).status_code == 200
        payload = itsdangerous.TimestampSigner(keys[0]).unsign(cookie)
        assert "staff_session" in json.loads(base64.b64decode(payload))
    finally:
        await other.dispose()


async def test_the_lifespan_loads_the_key_before_the_first_request(
    settings: Settings, db: Database
) -> None:
    app = create_app(unconfigured(settings), database=db)
    assert not app.state.secret_key.loaded
    async with app.router.lifespan_context(app):
        assert app.state.secret_key.loaded
        async with db.read_session() as session:
            stored = await session.scalar(
                select(InstallationSecret.value).where(InstallationSecret.name == SECRET_KEY_NAME)
            )
        assert app.state.secret_key.value == stored


async def test_tiein_secret_key_overrides_the_installation_key(
    settings: Settings, db: Database
) -> None:
    configured = dataclasses.replace(settings, secret_key="configured-by-the-operator")
    async with client_for(create_app(configured, database=db)) as client:
        await client.get("/staff/login")
        cookie = client.cookies["tiein_session"]
    itsdangerous.TimestampSigner("configured-by-the-operator").unsign(cookie)
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(InstallationSecret)) == 0


def test_serve_signs_localstripe_webhooks_with_the_installation_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each installation has its own webhook secret for localstripe, the same on every start.
    secrets = []
    for name in ("one", "two"):
        monkeypatch.setenv("TIEIN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
        assert main(["db", "upgrade"]) == 0
        first, again = local_stripe_webhook_secret(), local_stripe_webhook_secret()
        assert first == again and first.startswith("whsec_") and len(first) > 40
        secrets.append(first)
    capsys.readouterr()
    assert secrets[0] != secrets[1]
