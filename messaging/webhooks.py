"""Delivering merchant webhooks (SPEC §8): the handler of `webhook.delivery` messages.

Each attempt:

1. reads the delivery and its subscription; a delivery no longer pending is done already
   (the queue delivers at least once), one of a disabled or deleted subscription fails;
2. checks the URL again and resolves it (`licensing.webhook_urls`): a refused address fails
   the delivery; the request goes to an address that was checked, with the Host header and
   TLS server name of the URL, so a DNS answer changed in between cannot redirect it;
3. POSTs the payload snapshot as JSON with `Tiein-Signature: t=<unix>,v1=<hex HMAC-SHA256(
   secret, "<t>.<body>")>` and `Tiein-Event-Id`, with a 10 s timeout, following no
   redirect (a 3xx is a failure), reading at most 1 KB of the answer;
4. records the attempt (`licensing.webhook_attempts`): a 2xx succeeds, and the outbox
   message is completed in the same transaction (one write per delivery); anything else is
   raised so the drainer retries it with the webhook policy's back-off, until the horizon
   (3 days) after the delivery was queued, when the delivery fails (GiveUp).

The policy comes from the settings (TIEIN_WEBHOOK_FIRST_DELAY, _MAX_DELAY, _HORIZON); the
worker drains `webhook.delivery` with `webhook_policy(settings)`, so the handler's last
attempt and the drainer's agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import socket
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from kernel.drainer import Claim, GiveUp, Handler, Outcome, RetryPolicy, bounded_error, complete
from kernel.errors import DomainError
from kernel.installation import SecretKey
from licensing.webhook_attempts import Attempt, Verdict, give_up, record_attempt
from licensing.webhook_urls import WebhookTarget, check_webhook_url
from licensing.webhooks import (
    DELIVERY_KIND,
    RESPONSE_MAX,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    subscription_secret,
)

TIMEOUT_SECONDS = 10.0
_NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
USER_AGENT = "tiein-webhooks/1"


class DeliveryFailed(Exception):
    """An attempt that did not get a 2xx (the drainer retries it)."""


def webhook_policy(settings: Settings) -> RetryPolicy:
    """The back-off of webhook deliveries, from the settings (3 days by default)."""
    first = timedelta(seconds=settings.webhook_first_delay)
    return RetryPolicy(
        first_delay=first,
        max_delay=max(first, timedelta(seconds=settings.webhook_max_delay)),
        horizon=timedelta(seconds=settings.webhook_horizon),
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Tiein-Signature` header of `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body of a delivery: its payload snapshot, compact."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()  # made once: building one per request is slow


def _outcome(response: httpx.Response, answer: bytes) -> Attempt:
    code = response.status_code
    text = answer[:RESPONSE_MAX].decode("utf-8", "replace")
    if 200 <= code < 300:
        return Attempt(code, text, None)
    if 300 <= code < 400:
        where = response.headers.get("location", "")[:200]
        return Attempt(code, text, f"HTTP {code}: redirects are not followed ({where})")
    return Attempt(code, text, f"HTTP {code}")


def _new_client() -> httpx.AsyncClient:
    # TCP_NODELAY: httpx writes the headers and the body apart, and without it the body
    # waits for the receiver's delayed ACK of the headers (40 ms on Linux) on every request.
    transport = httpx.AsyncHTTPTransport(verify=_tls(), socket_options=_NODELAY)
    return httpx.AsyncClient(
        transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
    )


@dataclass
class _Pooled:
    client: httpx.AsyncClient
    users: int = 0


class WebhookClients:
    """HTTP clients kept from one delivery to the next (keep-alive connections), one per
    scheme, host and port of the subscription URL: a pool keys its connections by the
    checked address it connects to, so one pool per host name means a TLS connection
    verified for one host never carries another host's request. At most `max_hosts` are
    kept (the least recently used idle one is closed); `aclose()` closes them all, and the
    object may be used again after. Without one, each delivery has a client of its own."""

    def __init__(self, max_hosts: int = 64) -> None:
        self.max_hosts = max_hosts
        self._pools: OrderedDict[tuple[str, str, int], _Pooled] = OrderedDict()

    @contextlib.asynccontextmanager
    async def client(self, target: WebhookTarget) -> AsyncIterator[httpx.AsyncClient]:
        key = (target.scheme, target.host, target.port)
        pooled = self._pools.pop(key, None) or _Pooled(_new_client())
        self._pools[key] = pooled  # the most recently used last
        pooled.users += 1
        try:
            yield pooled.client
        finally:
            pooled.users -= 1
            while len(self._pools) > self.max_hosts:
                idle = next((k for k, p in self._pools.items() if not p.users), None)
                if idle is None:
                    break
                await self._pools.pop(idle).client.aclose()

    async def aclose(self) -> None:
        pools, self._pools = self._pools, OrderedDict()
        for pooled in pools.values():
            await pooled.client.aclose()


@contextlib.asynccontextmanager
async def _own_client(_target: WebhookTarget) -> AsyncIterator[httpx.AsyncClient]:
    async with _new_client() as client:
        yield client


async def post(
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    *,
    clients: WebhookClients | None = None,
) -> Attempt:
    """POST `body` to a checked target, at one of its checked addresses, with a client of
    `clients` (else one of its own); never raises."""
    headers = {**headers, "Host": target.host_header, "Accept-Encoding": "identity"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    error = "no address to connect to"
    async with (clients.client if clients else _own_client)(target) as client:
        for address in target.addresses:
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    request = client.build_request(
                        "POST",
                        target.url_for(address),
                        content=body,
                        headers=headers,
                        extensions=extensions,
                    )
                    response = await client.send(request, stream=True)
                    try:
                        answer = bytearray()
                        async for chunk in response.aiter_raw():
                            answer += chunk
                            if len(answer) >= RESPONSE_MAX:
                                break  # the rest is not read
                    finally:
                        await response.aclose()
                return _outcome(response, bytes(answer))
            except httpx.ConnectError as exc:
                error = bounded_error(exc)  # try the next checked address
            except (httpx.HTTPError, TimeoutError) as exc:
                return Attempt(None, None, bounded_error(exc) if str(exc) else "timed out")
    return Attempt(None, None, error)


def webhook_handlers(
    db: Database,
    settings: Settings,
    *,
    now_fn: Callable[[], datetime] = now_utc,
    policy: RetryPolicy | None = None,
    clients: WebhookClients | None = None,
) -> dict[str, Handler]:
    """`{"webhook.delivery": deliver}` over `db`, with the settings' policy and SSRF flag,
    posting with `clients` (kept connections; the caller closes them) when given."""
    policy = policy or webhook_policy(settings)
    key = SecretKey(settings.secret_key)
    allow_private = settings.webhook_allow_private

    async def load(delivery_id: object) -> tuple[WebhookDelivery, WebhookSubscription] | None:
        if not isinstance(delivery_id, int):
            raise GiveUp(f"not a delivery id: {delivery_id!r}")
        # One statement for both (a delivery always has its subscription: foreign key).
        pair = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id == delivery_id)
        )
        async with db.read_session() as session:
            found = (await session.execute(pair)).one_or_none()
        if found is None or found[0].status != DeliveryStatus.PENDING.value:
            return None
        return found[0], found[1]

    async def record(
        held: Claim, delivery_id: int, attempt: Attempt, final: bool
    ) -> Outcome | None:
        """Record the attempt; when the delivery is over well (or was already), complete the
        outbox message in the same transaction (one write per delivery, not two)."""
        async with db.session() as session:
            verdict = await record_attempt(
                session, delivery_id, attempt, now=now_fn(), final=final, horizon=policy.horizon
            )
            if verdict not in (Verdict.SUCCEEDED, Verdict.STALE):
                return None
            return await complete(session, held, now=now_fn())

    async def deliver(held: Claim) -> Outcome | None:
        found = await load(held.payload.get("delivery_id"))
        if found is None:
            return None  # sent already (a repeated message), or gone
        delivery, subscription = found
        if not subscription.active:
            async with db.session() as session:
                await give_up(session, delivery.id, "the subscription is disabled", now=now_fn())
            raise GiveUp("the subscription is disabled or deleted")
        now = now_fn()
        final = now >= held.available_at + policy.horizon or (
            policy.max_attempts is not None and held.attempt >= policy.max_attempts
        )
        try:
            target = await check_webhook_url(subscription.url, allow_private=allow_private)
        except DomainError as exc:
            attempt, final = Attempt(None, None, f"refused: {exc.message}"), True
        else:
            secret = subscription_secret(
                await key.load(db), subscription.id, subscription.secret_salt
            )
            body = body_of(delivery)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Tiein-Event-Id": delivery.event_id,
                "Tiein-Signature": signature(secret, int(now_fn().timestamp()), body),
            }
            attempt = await post(target, body, headers, clients=clients)
        done = await record(held, delivery.id, attempt, final)
        if done is not None:
            return done
        reason = attempt.error or f"HTTP {attempt.status_code}"
        if final:
            raise GiveUp(reason)
        raise DeliveryFailed(reason)

    return {DELIVERY_KIND: deliver}
