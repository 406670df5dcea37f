"""The staff login page throttles per account and per address (429 + Retry-After) and keeps
serving other requests while passwords are checked."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from argon2 import PasswordHasher

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from licensing import accounts
from licensing.staff_sessions import SignInLimits, throttle_sign_in
from tests.factory import STAFF_PASSWORD, staff_member
from tests.storefront.console import csrf, sign_in
from tiein.app import create_app


def browser(settings: Settings, db: Database, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings, database=db), client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    for _ in range(5):
        assert (await sign_in(client, password="wrong password!")).status_code == 400
    response = await sign_in(client)  # the right password, now
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 900
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.text
    assert (await client.get("/staff")).status_code == 303


async def test_an_address_with_twenty_recent_attempts_is_refused(
    settings: Settings, db: Database
) -> None:
    await staff_member(db)
    now = now_utc()
    async with db.session() as session:
        for index in range(SignInLimits().per_address):
            await throttle_sign_in(session, f"guess-{index}", "198.51.100.20", now=now)
    async with browser(settings, db, "198.51.100.20") as locked:
        response = await sign_in(locked)
        assert response.status_code == 429
        assert 0 < int(response.headers["retry-after"]) <= 900
    async with browser(settings, db, "198.51.100.21") as other:
        assert (await sign_in(other)).status_code == 303


class HeldHasher(PasswordHasher):
    """A real argon2 hasher whose verifications wait until the test lets them finish: were
    they on the event loop, nothing else could be served meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.started.release()
        if not self.release.wait(timeout=10):  # a hang guard, not a measurement
            raise RuntimeError("never released: /healthz was not served meanwhile")
        return super().verify(hash, password)


async def test_healthz_answers_while_wrong_passwords_are_checked(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight clients send wrong passwords at once and every password check is held; /healthz
    # still answers (argon2 used to run on the event loop: every request then waited).
    await staff_member(db)
    hasher = HeldHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    clients = [browser(settings, db, f"198.51.100.{i}") for i in range(8)]
    tokens = [await csrf(c, "/staff/login") for c in clients]

    async def wrong(c: httpx.AsyncClient, token: str, index: int) -> int:
        form = {"csrf_token": token, "username": f"nobody-{index}", "password": STAFF_PASSWORD}
        return (await c.post("/staff/login", data=form)).status_code

    async def health() -> int:
        for _ in range(8):  # every sign-in is inside argon2 now, held there
            await asyncio.to_thread(hasher.started.acquire)
        try:
            async with browser(settings, db, "192.0.2.50") as probe:
                return (await probe.get("/healthz")).status_code
        finally:
            hasher.release.set()

    *statuses, health_status = await asyncio.gather(
        *(wrong(c, t, i) for i, (c, t) in enumerate(zip(clients, tokens, strict=True))),
        health(),
    )
    for c in clients:
        await c.aclose()
    assert health_status == 200
    assert statuses == [400] * 8


async def test_a_strangers_wrong_guesses_do_not_lock_the_owner_out(
    settings: Settings, db: Database
) -> None:
    """Found by a hostile review: five anonymous wrong passwords locked any staff account for
    15 minutes. A browser that signed in as the user before carries a known-device cookie;
    its attempts count against that device alone (strangers still share one lock)."""
    await staff_member(db)
    await staff_member(db, "other-officer")
    async with (
        browser(settings, db, "198.51.100.40") as owner,
        browser(settings, db, "198.51.100.41") as stranger,
    ):
        assert (await sign_in(owner)).status_code == 303  # the owner's browser, once
        assert (await sign_in(stranger, "other-officer")).status_code == 303  # its own account
        owner.cookies.delete("tiein_session")
        stranger.cookies.delete("tiein_session")
        for _ in range(5):
            assert (await sign_in(stranger, password="wrong password!")).status_code == 400
        assert (await sign_in(stranger)).status_code == 429  # strangers are locked out

        assert (await sign_in(owner)).status_code == 303  # the owner is not
        owner.cookies.delete("tiein_session")
        for _ in range(5):
            assert (await sign_in(owner, password="wrong password!")).status_code == 400
        assert (await sign_in(owner)).status_code == 429  # the device has its own lock
