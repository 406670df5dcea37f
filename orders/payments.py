"""The Stripe gateway: the only code that talks to Stripe (or localstripe in tests and demos).

A thin class around the official SDK's async client (`stripe.StripeClient` over one httpx
connection pool), configured from `STRIPE_*` settings; an app owns one for its lifetime
(`configured_gateway`). It speaks in plain values (`Intent`, `RefundResult`) so that
services never handle SDK objects, and it turns Stripe's failures into two exceptions:
`CardDeclined` (the shopper's card said no) and `PaymentUnavailable` (Stripe could not be
reached or refused the request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import stripe

from kernel.config import Settings

# Statuses of a PaymentIntent in which it may still be cancelled.
CANCELABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)


class PaymentUnavailable(Exception):
    """Stripe could not be reached, or refused the request for a reason not the card's.
    `refused` is True when Stripe answered with a refusal (a 4xx), so asking again with the
    same idempotency key cannot turn out otherwise; False when no answer came (the request
    may or may not have been carried out). A 409 (the same idempotency key is still being
    worked on) is not a refusal: the other request may yet succeed."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class CardDeclined(Exception):
    """The card was declined; `message` is Stripe's words for the shopper."""

    def __init__(self, message: str, code: str = "card_declined") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str]
    last_error: str = ""

    @classmethod
    def from_stripe(cls, obj: dict[str, Any]) -> Intent:
        error = obj.get("last_payment_error") or {}
        return cls(
            id=obj["id"],
            status=obj["status"],
            amount=int(obj["amount"]),
            currency=str(obj["currency"]).upper(),
            client_secret=obj.get("client_secret") or "",
            metadata=dict(obj.get("metadata") or {}),
            last_error=(error.get("message") or "") if error else "",
        )


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int


class _Transport(stripe.HTTPClient):
    """The gateway's HTTP transport: one httpx connection pool, plugged in through the SDK's
    documented extension point (a subclass of `stripe.HTTPClient` implementing its async
    methods; the SDK keeps the retries, with `max_network_retries`).

    Why not `stripe.HTTPXClient` itself: it hands httpx the encoded form body as `data=`,
    which httpx 0.28 deprecates with a warning, and it turns any exception (that warning too,
    where warnings are errors, as in our tests) into a failed call. Here the body goes as
    `content=`. Async only; the gateway never streams (`request_stream_async` stays the
    SDK's NotImplementedError)."""

    name = "httpx"

    def __init__(self, *, timeout: float, verify_ssl_certs: bool) -> None:
        super().__init__(verify_ssl_certs=verify_ssl_certs)
        self._client = httpx.AsyncClient(timeout=timeout, verify=verify_ssl_certs)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(
                method, url, headers=headers, content=post_data or None
            )
        except httpx.HTTPError as exc:
            # No answer came (refused, reset, timed out): the SDK may retry; in the end the
            # gateway reports PaymentUnavailable(refused=False).
            raise stripe.APIConnectionError(
                f"Stripe could not be reached ({type(exc).__name__}).", should_retry=True
            ) from exc
        return response.content, response.status_code, response.headers

    async def sleep_async(self, secs: float) -> None:
        await asyncio.sleep(secs)

    async def close_async(self) -> None:
        await self._client.aclose()

    @property
    def closed(self) -> bool:
        return self._client.is_closed


class StripeGateway:
    """Async access to the Stripe API. Close it with `await gateway.close()`."""

    def __init__(self, settings: Settings, *, retries: int = 2, timeout: float = 30) -> None:
        if not settings.stripe_secret_key:
            raise PaymentUnavailable("no Stripe secret key is configured (STRIPE_SECRET_KEY)")
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        # Plain http (localstripe on loopback) has no certificates to check: skip building
        # a TLS context for it.
        plain = settings.stripe_api_base.startswith("http://")
        self._http = _Transport(timeout=timeout, verify_ssl_certs=not plain)
        self.client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=self._http,
            max_network_retries=retries,
        )

    async def close(self) -> None:
        await self._http.close_async()

    @property
    def closed(self) -> bool:
        """True once `close()` has run: the gateway's connections are gone for good."""
        return self._http.closed

    async def create_intent(
        self, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> Intent:
        """A card PaymentIntent for `amount` minor units; the same key gives the same intent."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": metadata,
            # Card only: the server confirms it, so no redirect-based method may be offered.
            "payment_method_types": ["card"],
        }
        obj = await self._call(
            self.client.v1.payment_intents.create_async,
            params,
            {"idempotency_key": idempotency_key},
        )
        return Intent.from_stripe(obj)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        obj = await self._call(self.client.v1.payment_intents.retrieve_async, intent_id)
        return Intent.from_stripe(obj)

    async def confirm_intent(
        self, intent_id: str, payment_method: str, *, idempotency_key: str | None = None
    ) -> Intent:
        """Attach `payment_method` and confirm. CardDeclined when the card says no."""
        options = {"idempotency_key": idempotency_key} if idempotency_key else None
        obj = await self._call(
            self.client.v1.payment_intents.confirm_async,
            intent_id,
            {"payment_method": payment_method},
            options,
        )
        return Intent.from_stripe(obj)

    async def cancel_intent(self, intent_id: str) -> Intent:
        obj = await self._call(self.client.v1.payment_intents.cancel_async, intent_id)
        return Intent.from_stripe(obj)

    async def payment_method_from_token(self, token_id: str) -> str:
        """A payment method id for a card token made by Stripe.js `createToken`.

        Stripe turns the token into a PaymentMethod; localstripe cannot, but accepts the
        token's card id wherever a payment method is expected."""
        try:
            method = await self.client.v1.payment_methods.create_async(
                {"type": "card", "card": {"token": token_id}}  # type: ignore[typeddict-item]
            )
            return str(method.id)
        except stripe.InvalidRequestError:
            token = await self._call(self.client.v1.tokens.retrieve_async, token_id)
            card = token.get("card")
            if not card:
                raise PaymentUnavailable(f"token {token_id} holds no card") from None
            return str(card["id"])

    async def create_refund(
        self,
        *,
        payment_intent: str,
        amount: int,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> RefundResult:
        """Refund `amount` minor units of a paid intent; the same key refunds once."""
        params: dict[str, Any] = {"payment_intent": payment_intent, "amount": amount}
        if metadata:
            params["metadata"] = metadata
        obj = await self._call(
            self.client.v1.refunds.create_async, params, {"idempotency_key": idempotency_key}
        )
        return RefundResult(id=obj["id"], status=obj.get("status") or "", amount=int(obj["amount"]))

    async def _call(self, method: Any, *args: Any) -> Any:
        try:
            obj = await method(*[a for a in args if a is not None])
            return obj.to_dict() if hasattr(obj, "to_dict") else obj
        except stripe.CardError as exc:
            raise CardDeclined(
                exc.user_message or "Your card was declined.", exc.code or ""
            ) from exc
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            raise PaymentUnavailable(
                exc.user_message or str(exc) or type(exc).__name__,
                refused=400 <= status < 500 and status != 409,
            ) from exc


def configured_gateway(settings: Settings) -> StripeGateway | None:
    """The gateway for `settings`, or None when no Stripe secret key is configured.

    An app makes one (`app.state.gateway`) and closes it at shutdown: its views, GraphQL
    mutations and in-process jobs share that one connection pool."""
    if not settings.stripe_secret_key:
        return None
    return StripeGateway(settings)
