"""`tiein serve` as a real process: what it starts, it stops; the CLI verbs find its Stripe
stand-in; more than one worker keeps Nagle's algorithm off.

Rules protected: SIGTERM (and SIGINT) stop the serve *and* the localstripe it started, and
the stand-in dies with the serve even when the serve is killed outright; a port held by some
other localstripe is never silently reused; `tiein orders expire` and `tiein payments
reconcile` with no Stripe keys talk to the running serve's stand-in (its payments live in
its memory); connections accepted by the multi-worker socket have TCP_NODELAY set."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database, runtime_path
from orders.models import OrderStatus
from orders.payments import StripeGateway
from tests.factory import order_shop
from tests.fixtures.stripe import LocalStripe
from tests.orders.shop import checkout, fetch_order, full_cart, stock_of
from tiein import migrate
from tiein.cli import main
from tiein.localstripe import (
    STAND_IN_FILE,
    TEST_SECRET_KEY,
    free_port,
    running_stand_in,
)
from tiein.server import TcpConfig

ROOT = Path(__file__).resolve().parents[2]
TIEIN = [sys.executable, "-c", "import sys; from tiein.cli import main; sys.exit(main())"]


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    """An empty SQLite database at the newest migration, for a serve of its own."""
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    migrate.upgrade(url, "head")
    return url


class Serve:
    """A `tiein serve` child process on a free port, its output in a file."""

    def __init__(self, url: str, tmp_path: Path, *args: str) -> None:
        self.url = url
        self.port = free_port()
        self.log = tmp_path / f"serve-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "TIEIN_"))}
        env.update(TIEIN_DATABASE_URL=url, PYTHONPATH=str(ROOT))
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*TIEIN, "serve", "--port", str(self.port), *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"tiein serve did not start:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def record(self) -> dict:
        return json.loads(runtime_path(self.url, STAND_IN_FILE).read_text())

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


@pytest.mark.slow
def test_sigterm_stops_serve_and_its_localstripe_and_a_taken_port_is_not_reused(
    database_file: str, tmp_path: Path, localstripe: LocalStripe
) -> None:
    # The port asked for is held by another localstripe (say, one left by an earlier run).
    serve = Serve(database_file, tmp_path, "--localstripe-port", str(localstripe.port))
    try:
        record = serve.record()
        stand_in = record["pid"]
        assert record["api_base"] != localstripe.url  # a fresh one, not the stranger
        assert "already in use" in serve.output()
        assert _alive(stand_in)
        assert running_stand_in(database_file) == record["api_base"]
    finally:
        code = serve.stop(signal.SIGTERM)

    assert code == 128 + signal.SIGTERM
    assert _wait_gone(stand_in), "localstripe outlived tiein serve"
    assert not runtime_path(database_file, STAND_IN_FILE).exists()
    assert running_stand_in(database_file) is None
    assert httpx.get(f"{localstripe.url}/js.stripe.com/v3/").status_code == 200  # untouched


@pytest.mark.slow
def test_the_stand_in_dies_with_a_serve_killed_outright(database_file: str, tmp_path: Path) -> None:
    serve = Serve(database_file, tmp_path, "--localstripe-port", str(free_port()), "--no-jobs")
    stand_in = serve.record()["pid"]

    serve.stop(signal.SIGKILL)  # no clean-up code runs at all

    assert _wait_gone(stand_in), "localstripe outlived a killed tiein serve"
    assert running_stand_in(database_file) is None  # the stale record is not believed


@pytest.mark.slow
def test_the_cli_verbs_use_the_stand_in_of_the_running_serve(
    database_file: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve = Serve(database_file, tmp_path, "--localstripe-port", str(free_port()), "--no-jobs")
    try:
        api_base = serve.record()["api_base"]
        settings = Settings(
            database_url=database_file, stripe_secret_key=TEST_SECRET_KEY, stripe_api_base=api_base
        )

        async def place() -> tuple:
            db = Database(database_file)
            gateway = StripeGateway(settings)
            try:
                now = now_utc()
                shop = await order_shop(db, now=now)
                lapsed = await checkout(
                    db, full_cart(shop), gateway, now=now - timedelta(minutes=20)
                )
                fresh = await checkout(db, full_cart(shop), gateway, now=now)
                return shop, lapsed, fresh
            finally:
                await gateway.close()
                await db.dispose()

        shop, lapsed, fresh = asyncio.run(place())
        for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_PUBLISHABLE_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("TIEIN_DATABASE_URL", database_file)
        capsys.readouterr()

        # Both orders' PaymentIntents exist only in the serve's localstripe.
        assert main(["payments", "reconcile"]) == 0
        assert "checked 2" in capsys.readouterr().out
        assert main(["orders", "expire"]) == 0
        assert "expired 1" in capsys.readouterr().out

        async def after() -> tuple:
            db = Database(database_file)
            gateway = StripeGateway(settings)
            try:
                intent = await gateway.retrieve_intent(lapsed.order.payment_intent_id or "")
                return (
                    (await fetch_order(db, lapsed.order.id)).status,
                    (await fetch_order(db, fresh.order.id)).status,
                    await stock_of(db, shop.shirt_id),
                    intent.status,
                )
            finally:
                await gateway.close()
                await db.dispose()

        assert asyncio.run(after()) == (
            OrderStatus.EXPIRED,
            OrderStatus.PENDING_PAYMENT,
            50 - 3,
            "canceled",
        )
    finally:
        code = serve.stop(signal.SIGINT)
    assert code == 130
    assert not runtime_path(database_file, STAND_IN_FILE).exists()


def test_without_keys_or_a_running_serve_reconcile_says_why(
    database_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.setenv("TIEIN_DATABASE_URL", database_file)
    assert main(["payments", "reconcile"]) == 1
    assert "no `tiein serve` with localstripe runs" in capsys.readouterr().err


@pytest.mark.slow
def test_two_workers_serve_a_static_file(database_file: str, tmp_path: Path) -> None:
    serve = Serve(database_file, tmp_path, "--workers", "2", "--no-localstripe", "--no-jobs")
    try:
        with httpx.Client(base_url=serve.base) as client:
            for _ in range(5):  # keep-alive: the second request onwards is what Nagle slowed
                response = client.get("/static/site.css")
                assert response.status_code == 200
                assert "text/css" in response.headers["content-type"]
    finally:
        serve.stop(signal.SIGTERM)


async def test_connections_accepted_on_the_multi_worker_socket_have_nagle_off() -> None:
    # The socket the supervisor binds and hands to each worker (the --workers N path),
    # accepted on by asyncio's own loop as a worker without uvloop would.
    config = TcpConfig("tiein.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    accepted: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            accepted.set_result((sock.proto, nodelay))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        proto, nodelay = await asyncio.wait_for(accepted, 5)
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    assert proto == socket.IPPROTO_TCP
    assert nodelay != 0
