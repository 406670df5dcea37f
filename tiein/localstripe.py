"""Run localstripe (a Stripe stand-in, GPL) as a separate process, for tests and the demo.

`python -m tiein.localstripe --port 8420` starts it on 127.0.0.1 only. localstripe is never
imported by the application: only this launcher's child process loads it. The launcher fills
the gaps that matter to tiein:

- the store lives in memory only (upstream pickles it to /tmp on every write and reloads it);
- `Idempotency-Key` is honoured: a repeated POST with the same key replays the first answer;
- parameters upstream rejects (`description`, `receipt_email`, `automatic_payment_methods`,
  a refund's `reason`, ...) are dropped;
- `payment_method` given to `/confirm` is attached first (upstream answers 501), and a new
  payment method after a declined charge makes the intent confirmable again, as on Stripe;
- `payment_intent.canceled` and `charge.refunded` events are sent to the webhooks;
- a card number may be typed as printed, with spaces or dashes ("4242 4242 4242 4242"): its
  stand-in Stripe.js moves on after 16 digits (not 16 characters), and the API takes the
  digits (`card_digits`); anything else is refused with a message saying what to type.

`start_localstripe(port)` starts the process and waits until it answers;
`register_webhook(api_base, url, secret)` points its webhooks at an app;
`start_offline_stripe(app_url)` does both for the offline demo and returns the `STRIPE_*`
environment to serve the app with. There is no built-in webhook secret: callers pass theirs.
`record_stand_in` / `running_stand_in` let the command-line verbs find the stand-in a running
`tiein serve` started for the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from kernel.db import runtime_path
from tiein.stand_ins import (
    child_socket,
    die_with_parent,
    listen_on_loopback,
    spawn_on_socket,
    stop_process,
)

# Test keys the launcher's callers use; localstripe accepts any sk_/pk_ key.
TEST_SECRET_KEY = "sk_test_tiein_localstripe"  # noqa: S105 (test key for a local fake)
TEST_PUBLISHABLE_KEY = "pk_test_tiein_localstripe"
# The webhook secret is never a constant: `tiein serve` keeps one per installation under this
# name (kernel.installation), tests make a random one per run.
WEBHOOK_SECRET_NAME = "localstripe_webhook_secret"  # noqa: S105 (a name, not a secret)

DROPPED_PARAMS: dict[str, set[str]] = {
    r"^/v1/payment_intents$": {
        "description",
        "receipt_email",
        "automatic_payment_methods",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "setup_future_usage",
        "shipping",
    },
    r"^/v1/payment_intents/\w+$": {"description", "receipt_email", "shipping"},
    r"^/v1/payment_intents/\w+/confirm$": {"return_url", "use_stripe_sdk", "receipt_email"},
    r"^/v1/payment_intents/\w+/cancel$": {"cancellation_reason"},
    r"^/v1/refunds$": {"reason", "instructions_email"},
}
IDEMPOTENCY_CACHE_SIZE = 20_000
CARD_PATHS = ("/v1/tokens", "/v1/payment_methods")
CARD_NUMBER_MESSAGE = (
    "Your card number is incorrect: type its 16 digits, with or without spaces or dashes."
)
# The stand-in Card Element jumps to the expiry after 16 characters; count digits instead.
JS_NUMBER_TEST = "this.value.card.number.length >= 16"
JS_DIGITS_TEST = "this.value.card.number.replace(/[^0-9]/g, '').length >= 16"
STAND_IN_FILE = "localstripe.json"  # beside the database: see `kernel.db.runtime_path`


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_localstripe(
    port: int, *, timeout: float = 20.0, die_with_parent: bool = False
) -> subprocess.Popen[bytes]:
    """Start the launcher as a child process on 127.0.0.1:`port` and wait until it answers.

    The port is bound here and the listening socket handed to the child, so a port that is
    already taken (say, by a localstripe an earlier run left behind) fails at once with
    `PortInUse`, and whatever answers afterwards is our child, never a stranger on the port.
    `die_with_parent` asks Linux to stop the child when this process dies, however it dies."""
    sock = listen_on_loopback(port)
    process = spawn_on_socket("tiein.localstripe", sock, die_with_parent=die_with_parent)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", timeout=timeout, process=process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


def stop_localstripe(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started by `start_localstripe`."""
    stop_process(process)


def wait_until_ready(
    api_base: str, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll localstripe's Stripe.js route until it answers; RuntimeError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"localstripe exited with status {process.returncode}")
        try:
            response = httpx.get(f"{api_base}/js.stripe.com/v3/", timeout=1.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"localstripe did not answer on {api_base} in {timeout:.0f}s")
        time.sleep(0.05)


def register_webhook(
    api_base: str, url: str, secret: str, *, webhook_id: str = "tiein", events: Sequence[str] = ()
) -> None:
    """Make localstripe sign and deliver its events to `url` (replaces `webhook_id`)."""
    data: dict[str, Any] = {"url": url, "secret": secret}
    if events:
        data["events"] = list(events)
    response = httpx.post(f"{api_base}/_config/webhooks/{webhook_id}", json=data, timeout=5.0)
    response.raise_for_status()


def new_webhook_secret() -> str:
    """A random webhook signing secret, shaped like Stripe's."""
    return "whsec_" + secrets.token_urlsafe(32)


def start_offline_stripe(
    app_url: str, *, port: int | None = None, webhook_secret: str | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """For `make run` without Stripe keys: start localstripe on loopback, point its webhooks
    at `app_url` (e.g. "http://127.0.0.1:8000"), signed with `webhook_secret` (a random one
    when not given), and return the process with the `STRIPE_*` environment the app must be
    started with. Stop the process with `stop_localstripe`."""
    port = port or free_port()
    webhook_secret = webhook_secret or new_webhook_secret()
    process = start_localstripe(port)
    api_base = f"http://127.0.0.1:{port}"
    try:
        register_webhook(api_base, f"{app_url.rstrip('/')}/webhooks/stripe", webhook_secret)
    except httpx.HTTPError:
        stop_localstripe(process)
        raise
    env = {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_API_BASE": api_base,
        "STRIPE_JS_URL": f"{api_base}/js.stripe.com/v3/",
    }
    return process, env


def record_stand_in(database_url: str, api_base: str, process: subprocess.Popen[bytes]) -> Path:
    """Note, beside the database, that `process` is the Stripe stand-in of the `tiein serve`
    on `database_url`, so the command-line verbs (`tiein orders expire`, `tiein payments
    reconcile`) talk to the same in-memory store. Returns the file written."""
    path = runtime_path(database_url, STAND_IN_FILE)
    record = {"api_base": api_base, "pid": process.pid, "serve_pid": os.getpid()}
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record))
    temporary.replace(path)
    return path


def forget_stand_in(database_url: str, process: subprocess.Popen[bytes]) -> None:
    """Remove the record of `process` (left alone if another serve has replaced it)."""
    path = runtime_path(database_url, STAND_IN_FILE)
    try:
        if json.loads(path.read_text()).get("pid") == process.pid:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def running_stand_in(database_url: str) -> str | None:
    """The API base of the Stripe stand-in a running `tiein serve` started for this database,
    or None when there is none (no record, its process gone, or it does not answer)."""
    path = runtime_path(database_url, STAND_IN_FILE)
    try:
        record = json.loads(path.read_text())
        pid, api_base = int(record["pid"]), str(record["api_base"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    try:
        wait_until_ready(api_base, timeout=2.0)
    except RuntimeError:
        return None
    return api_base


def card_digits(number: object) -> str | None:
    """A card number typed as printed ("4242 4242 4242 4242", "4242-4242-4242-4242", or the
    bare digits) as its 16 digits; None when it is anything else (letters, other marks, too
    few or too many digits)."""
    if not isinstance(number, str) or len(number) > 40:
        return None
    digits = re.sub(r"[ \-]", "", number.strip())
    return digits if re.fullmatch(r"[0-9]{16}", digits) else None


def _build_app() -> Any:
    """localstripe's aiohttp app with the store kept in memory and the gaps filled."""
    from aiohttp import web
    from localstripe import resources

    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
    PaymentIntent = resources.PaymentIntent

    original_update = PaymentIntent._update

    def update(self: Any, **data: Any) -> None:
        # On Stripe, a new payment method after a decline makes the intent confirmable again.
        if data.get("payment_method"):
            resources.PaymentMethod._api_retrieve(data["payment_method"])  # 404 if unknown
            if self.latest_charge is not None and self.latest_charge.status == "failed":
                self.latest_charge = None
            self._authentication_failed = False
        original_update(self, **data)

    PaymentIntent._update = update
    original_confirm = PaymentIntent._api_confirm

    def confirm(id: str, payment_method: str | None = None, **kwargs: Any) -> Any:
        if payment_method is not None:
            PaymentIntent._api_update(id, payment_method=payment_method)
        return original_confirm(id, **kwargs)

    # The server module binds its routes from `extra_apis` when imported: patch them first.
    for index, (method, url, _func) in enumerate(resources.extra_apis):
        if url == "/v1/payment_intents/{id}/confirm":
            resources.extra_apis[index] = (method, url, confirm)

    from localstripe import server
    from localstripe.errors import UserError
    from localstripe.webhooks import schedule_webhook

    original_get_post_data = server.get_post_data

    async def get_post_data(request: Any, remove_auth: bool = True) -> Any:
        data = await original_get_post_data(request, remove_auth)
        if isinstance(data, dict):
            for pattern, names in DROPPED_PARAMS.items():
                if re.match(pattern, request.path):
                    data = {k: v for k, v in data.items() if k not in names}
            card = data.get("card")
            if request.path in CARD_PATHS and isinstance(card, dict) and "number" in card:
                digits = card_digits(card["number"])
                if digits is None:
                    raise UserError(
                        402,
                        CARD_NUMBER_MESSAGE,
                        {"code": "invalid_number", "param": "card[number]"},
                    )
                data["card"] = {**card, "number": digits}
        return data

    server.get_post_data = get_post_data

    cache: OrderedDict[tuple[str, str, str], tuple[int, bytes, str]] = OrderedDict()
    locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    @web.middleware
    async def idempotency(request: Any, handler: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        slot = (request.headers.get("Authorization", ""), request.path, key)
        lock = locks.setdefault(slot, asyncio.Lock())
        async with lock:
            if slot in cache:
                status, body, content_type = cache[slot]
                return web.Response(
                    status=status,
                    body=body,
                    content_type=content_type,
                    headers={"Idempotent-Replayed": "true"},
                )
            response = await handler(request)
            if response.status < 500 and isinstance(response.body, bytes):
                cache[slot] = (response.status, response.body, response.content_type)
                while len(cache) > IDEMPOTENCY_CACHE_SIZE:
                    old, _ = cache.popitem(last=False)
                    locks.pop(old, None)
            return response

    @web.middleware
    async def missing_events(request: Any, handler: Any) -> Any:
        response = await handler(request)
        if request.method != "POST" or response.status != 200:
            return response
        if request.path == "/v1/refunds":
            refund = resources.Refund._api_retrieve(json.loads(response.body)["id"])
            charge = resources.Charge._api_retrieve(refund.charge)
            schedule_webhook(resources.Event("charge.refunded", charge))
        cancel = re.match(r"^/v1/payment_intents/(\w+)/cancel$", request.path)
        if cancel:
            intent = PaymentIntent._api_retrieve(cancel.group(1))
            schedule_webhook(resources.Event("payment_intent.canceled", intent))
        return response

    @web.middleware
    async def card_element(request: Any, handler: Any) -> Any:
        response = await handler(request)
        if request.path.startswith("/js.stripe.com/") and isinstance(response.text, str):
            assert JS_NUMBER_TEST in response.text, "localstripe's Card Element changed"
            response.text = response.text.replace(JS_NUMBER_TEST, JS_DIGITS_TEST)
        return response

    app = server.app
    app.middlewares.insert(0, card_element)
    # Ours run outermost, in this order, before localstripe's own middlewares.
    app.middlewares.insert(0, missing_events)
    app.middlewares.insert(0, idempotency)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tiein.localstripe",
        description="Run localstripe on 127.0.0.1 with an in-memory store (tests, demo).",
    )
    parser.add_argument("--port", type=int, default=8420, help="port on 127.0.0.1 (8420)")
    parser.add_argument(
        "--fd", type=int, help="serve on this listening socket, inherited from the parent"
    )
    parser.add_argument(
        "--parent-pid", type=int, help="exit when this process (the one starting us) dies"
    )
    args = parser.parse_args(argv)
    if args.parent_pid:
        die_with_parent(args.parent_pid)

    from aiohttp import web

    app = _build_app()
    sock = child_socket(args.fd, args.port)
    web.run_app(app, sock=sock, access_log=None, print=None, handle_signals=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
