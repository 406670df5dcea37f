"""One Stripe gateway per app (issue 10, DESIGN §1): the shop's pages, the staff refund and
the periodic jobs share the app's gateway and its connection pool; the app's shutdown closes
it; without a secret key there is none. The transport is plugged in through the SDK's public
`stripe.HTTPClient` extension point, and passes Stripe's answers and failures through."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kernel.config import Settings
from kernel.db import Database
from orders.payments import PaymentUnavailable, StripeGateway, configured_gateway
from tests.factory import shop_world, staff_member
from tests.fixtures.stripe import LocalStripe, in_process
from tests.prices import usd
from tests.storefront.console import confirm, csrf, sign_in
from tests.storefront.test_shop_checkout import card_token, check_out, fill_cart
from tiein.app import create_app


@pytest.fixture
def gateways_made(monkeypatch: pytest.MonkeyPatch) -> list[StripeGateway]:
    """Every StripeGateway made from here on."""
    made: list[StripeGateway] = []
    original = StripeGateway.__init__

    def counting(self: StripeGateway, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(StripeGateway, "__init__", counting)
    return made


async def test_checkouts_payments_and_a_staff_refund_share_the_apps_one_gateway(
    stripe_settings: Settings,
    db: Database,
    localstripe: LocalStripe,
    gateways_made: list[StripeGateway],
) -> None:
    world = await shop_world(db)
    await staff_member(db)
    app = create_app(stripe_settings, database=db)
    async with in_process(app) as browser:
        numbers = []
        for _ in range(2):
            token = await fill_cart(browser, world)
            number, key = await check_out(browser, token)
            card = await card_token(localstripe, "4242424242424242")
            paid = await browser.post(
                f"/pay/{number}/confirm",
                json={"token": card, "key": key},
                headers={"X-CSRF-Token": token},
            )
            assert paid.json()["status"] == "succeeded", paid.text
            numbers.append(number)
        await sign_in(browser)
        token = await csrf(browser, f"/staff/orders/{numbers[0]}")
        asked = await browser.post(
            f"/staff/orders/{numbers[0]}/refund", data={"csrf_token": token, "scope": "all"}
        )
        refunded = await confirm(browser, asked)  # the refund's confirmation step
        shown = await browser.get(refunded.headers["location"])
        assert f"Refunded {usd(4700)}." in shown.text

    assert gateways_made == [app.state.gateway]  # made with the app, never per request
    assert app.state.gateway.closed  # in_process closes it as the lifespan would


async def test_the_apps_shutdown_closes_its_gateway(
    stripe_settings: Settings, db: Database, gateways_made: list[StripeGateway]
) -> None:
    settings = dataclasses.replace(stripe_settings, jobs=True, jobs_interval=3600)
    app = create_app(settings, database=db)
    gateway = app.state.gateway
    async with app.router.lifespan_context(app):
        intent = await gateway.create_intent(
            amount=500, currency="USD", metadata={}, idempotency_key="lifespan-1"
        )
        assert intent.status == "requires_payment_method" and not gateway.closed
    assert gateway.closed
    assert gateways_made == [gateway]  # the periodic jobs used the app's, too


def test_without_a_secret_key_the_app_has_no_gateway(settings: Settings) -> None:
    assert configured_gateway(settings) is None
    assert create_app(settings).state.gateway is None


async def test_stripe_refusals_and_silence_come_back_as_payment_unavailable(
    stripe_settings: Settings,
) -> None:
    revoked = StripeGateway(
        dataclasses.replace(stripe_settings, stripe_secret_key="rk_revoked"), retries=0
    )
    closed_port = StripeGateway(
        dataclasses.replace(stripe_settings, stripe_api_base="http://127.0.0.1:9"), retries=1
    )
    try:
        with pytest.raises(PaymentUnavailable) as refused:
            await revoked.retrieve_intent("pi_nothing")
        assert refused.value.refused  # Stripe answered: asking again cannot help
        with pytest.raises(PaymentUnavailable) as silent:
            await closed_port.retrieve_intent("pi_nothing")
        assert not silent.value.refused  # no answer: the call may be asked again
        assert "could not be reached" in str(silent.value)
    finally:
        await revoked.close()
        await closed_port.close()
