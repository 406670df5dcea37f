"""API tokens: stored hashed, revocable, and their last use recorded at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kernel.db import Database
from licensing.accounts import (
    create_api_token,
    hash_token,
    look_up_token,
    revoke_api_token,
    viewer_for_token,
)
from tests.factory import make_merchant

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


async def test_a_token_is_recorded_once_a_minute_and_stops_when_revoked(db: Database) -> None:
    async with db.session() as session:
        merchant = await make_merchant(session, slug="acme")
        token, secret = await create_api_token(session, merchant=merchant, name="ci")
        assert token.token_hash == hash_token(secret) and secret not in token.token_hash

    async with db.session() as session:
        viewer = await viewer_for_token(session, secret, now=NOW)
    assert viewer is not None and viewer.merchant_id == merchant.id and not viewer.is_staff

    async with db.read_session() as session:
        soon = await look_up_token(session, secret, now=NOW + timedelta(seconds=30))
        later = await look_up_token(session, secret, now=NOW + timedelta(minutes=1))
    assert soon is not None and soon.needs_recording is False
    assert later is not None and later.needs_recording is True

    async with db.session() as session:
        await revoke_api_token(session, token.id, now=NOW)
    async with db.read_session() as session:
        assert await look_up_token(session, secret, now=NOW) is None
        assert await look_up_token(session, secret + "x", now=NOW) is None
