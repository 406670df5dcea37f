"""The localstripe launcher fills the gaps tiein relies on, and stays on loopback."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest

from orders.payments import StripeGateway
from tests.fixtures.stripe import LocalStripe
from tiein.localstripe import start_offline_stripe, stop_localstripe

PICKLE = Path("/tmp/localstripe.pickle")


def pickle_mtime() -> int | None:
    return PICKLE.stat().st_mtime_ns if PICKLE.exists() else None


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_it_listens_on_loopback_only(localstripe: LocalStripe) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        assert sock.connect_ex((address, localstripe.port)) != 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        assert sock.connect_ex(("127.0.0.1", localstripe.port)) == 0


async def test_a_repeated_idempotency_key_replays_the_first_answer_and_nothing_is_pickled(
    gateway: StripeGateway,
) -> None:
    before = pickle_mtime()
    key = f"test-key-{os.urandom(6).hex()}"
    first = await gateway.create_intent(
        amount=999, currency="EUR", metadata={"n": "1"}, idempotency_key=key
    )
    again = await gateway.create_intent(
        amount=999, currency="EUR", metadata={"n": "1"}, idempotency_key=key
    )
    other = await gateway.create_intent(
        amount=999, currency="EUR", metadata={"n": "1"}, idempotency_key=key + "-2"
    )
    assert first.id == again.id != other.id
    after = pickle_mtime()
    assert after == before


async def test_parameters_localstripe_rejects_are_dropped(localstripe: LocalStripe) -> None:
    async with httpx.AsyncClient(base_url=localstripe.url) as http:
        response = await http.post(
            "/v1/payment_intents",
            auth=(localstripe.secret_key, ""),
            data={
                "amount": "500",
                "currency": "usd",
                "description": "Order TI-1",
                "receipt_email": "fan@example.com",
                "automatic_payment_methods[enabled]": "true",
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == 500


def test_the_offline_demo_gets_a_localstripe_and_the_stripe_environment() -> None:
    process, env = start_offline_stripe("http://127.0.0.1:8000")
    try:
        assert env["STRIPE_API_BASE"].startswith("http://127.0.0.1:")
        assert env["STRIPE_JS_URL"] == env["STRIPE_API_BASE"] + "/js.stripe.com/v3/"
        assert env["STRIPE_SECRET_KEY"].startswith("sk_test_")
        assert env["STRIPE_PUBLISHABLE_KEY"].startswith("pk_test_")
        response = httpx.get(env["STRIPE_JS_URL"], timeout=5)
        assert response.status_code == 200 and "localstripe" in response.text
    finally:
        stop_localstripe(process)
    assert process.poll() is not None
