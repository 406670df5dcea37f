"""Issue 11's "done means", end to end: a real browser, the app served by uvicorn with its
in-process worker (TIEIN_JOBS), a real localstripe, a real SMTP server (aiosmtpd) and a real
HTTP receiver for the merchant's webhooks. Nothing is called in-process: the shopper uses
Chromium, the merchant uses its API token over HTTP, the worker sends what the outbox holds.

Scenario: the merchant subscribes its receiver to `fulfilment.created` -> a shopper buys a
T-shirt and a ticket (film page, cart, checkout with a US address, the test card) -> the
receipt arrives by SMTP with the ticket (inline QR) and a signed link that opens the order
page -> the merchant sees the fulfilment with the address and ships it -> the shopper's
order page shows carrier and tracking, and the shipment e-mail arrives -> the receiver got
`fulfilment.created`, signed so that the README's code verifies it, with the address and
without the shopper's e-mail. Screenshots go to artifacts/browser/.

Waits poll with a deadline (a guard against a hang, not a timing assertion).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from kernel.config import Settings
from kernel.db import Database
from licensing.models import Merchant
from tests.factory import make_api_token, shop_world
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.stripe import LiveApp, LocalStripe, serve_live
from tests.messaging.receiver import Receiver
from tests.messaging.test_webhooks import readme_verify
from tests.storefront.test_browser import checkout, pay_with, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

T = TypeVar("T")
SHOPPER = "ann@example.test"  # what tests.storefront.test_browser.checkout types
DEADLINE = 30.0  # seconds: the hang guard of every wait
TRACKING = "1Z999AA10123456784"

SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id events active }
    secret
    errors { field code message }
  }
}"""
FULFILMENTS = """{
  fulfilments(first: 10) {
    nodes {
      id status orderNumber
      shippingAddress { name line1 city area postcode country formatted }
      lines { id sku quantity quantityLeft }
    }
  }
}"""
SHIP = """mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { carrier trackingNumber }
    fulfilment { status }
    errors { field code message }
  }
}"""


async def until(what: str, probe: Callable[[], T | None], within: float = DEADLINE) -> T:
    """`probe()`'s first truthy answer, looked for every 50 ms; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {within:g} s")
        await asyncio.sleep(0.05)


def mail(smtp: SmtpSink, subject: str) -> Callable[[], EmailMessage | None]:
    def probe() -> EmailMessage | None:
        with smtp.lock:
            found = [m for m in smtp.messages if m["Subject"] == subject]
        assert len(found) <= 1, f"{subject!r} arrived {len(found)} times"
        return found[0] if found else None

    return probe


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


class MerchantApi:
    """The merchant's side: GraphQL over HTTP with its bearer token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


@pytest.fixture
def working_app(
    stripe_settings: Settings, localstripe: LocalStripe, smtp: SmtpSink
) -> Iterator[LiveApp]:
    """The live app with its worker in-process, sending e-mail to the test's SMTP server and
    webhooks to loopback; short poll and retry intervals so a test never waits for long."""
    settings = dataclasses.replace(
        stripe_settings,
        jobs=True,
        worker_poll_interval=0.05,
        outbox_retry_base=0.2,
        outbox_retry_max=1.0,
        smtp_url=smtp.url,
        mail_from="Tiein Shop <shop@tiein.test>",
        webhook_allow_private=True,
        webhook_first_delay=0.2,
        webhook_max_delay=1.0,
    )
    with serve_live(settings, localstripe) as app:
        yield app


@pytest.fixture
async def app_client(working_app: LiveApp) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the live app (the merchant's API calls)."""
    async with httpx.AsyncClient(base_url=working_app.url, timeout=20) as client:
        yield client


async def test_a_tee_and_a_ticket_are_bought_mailed_shipped_tracked_and_told_to_the_merchant(
    db: Database,
    backend: str,
    working_app: LiveApp,
    app_client: httpx.AsyncClient,
    smtp: SmtpSink,
    receiver: Receiver,
    browser_page: Any,
    browser_artifacts: Path,
) -> None:
    world = await shop_world(db)
    async with db.session() as s:
        merchant = await s.get(Merchant, world.merchant_id)
        assert merchant is not None
        _, token = await make_api_token(s, merchant=merchant, name="warehouse")
    page, base, folder = browser_page, working_app.url, browser_artifacts
    name = f"fulfilment-{backend}"
    api = MerchantApi(app_client, token)

    # 1. The merchant subscribes its receiver to fulfilment.created; the secret is shown once.
    subscription = {"url": receiver.url, "events": ["fulfilment.created"]}
    made = (await api.data(SUBSCRIBE, {"input": subscription}))["createWebhookSubscription"]
    assert made["errors"] == [] and made["webhookSubscription"]["active"] is True
    secret = made["secret"]
    assert secret.startswith("whsec_")

    # 2. The shopper buys the tee and a ticket: film page -> both into the cart -> checkout
    # with a US address -> the test card -> the order page says paid.
    await page.goto(f"{base}/films/{world.film_slug}")
    await page.get_by_role("heading", name="Night Harbor", level=1).wait_for()
    await shot(page, folder, name, "01-film")
    await page.get_by_role("button", name=re.compile(r"^Add ticket for ")).first.click()
    await page.wait_for_url(f"{base}/cart")
    await page.goto(f"{base}/films/{world.film_slug}")
    await page.get_by_role("button", name="Add to cart: Night Harbor lighthouse tee").click()
    await page.wait_for_url(f"{base}/cart")
    cart = await page.inner_text("table.cart")
    assert "Ticket: Night Harbor" in cart and "Night Harbor lighthouse tee" in cart
    await shot(page, folder, name, "02-cart")
    await checkout(page, base)
    await page.locator("#card-element input").first.wait_for()
    await shot(page, folder, name, "03-pay")
    await pay_with(page, "4242424242424242")
    await page.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
    await page.locator(".order-status", has_text="Paid").wait_for()
    number = re.search(r"/orders/(TI-[^/?]+)", page.url).group(1)  # type: ignore[union-attr]
    await page.locator("svg.ticket-qr").first.wait_for()
    ticket_code = (await page.locator(".ticket figcaption code").first.inner_text()).strip()
    assert ticket_code
    await shot(page, folder, name, "04-order-paid")

    # 3. The receipt: the ticket (its code, an inline QR image the HTML shows by cid) and a
    # signed link that opens the order page.
    receipt = await until("the receipt", mail(smtp, f"Your receipt for order {number}"))
    assert receipt["To"].addresses[0].addr_spec == SHOPPER
    text, html = text_of(receipt), html_of(receipt)
    for body in (text, html):
        assert number in body and ticket_code in body and "Night Harbor lighthouse tee" in body
    [image] = [p for p in receipt.walk() if p.get_content_type() == "image/png"]
    assert image.get_content_disposition() == "inline"
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
    links = set(re.findall(rf"{re.escape(base)}/orders/{number}\?token=[^\s\"'<>]+", text))
    assert len(links) == 1, text
    link = links.pop()
    assert "key=" not in link
    await page.context.clear_cookies()
    await page.goto(link)
    await page.get_by_role("heading", name=f"Order {number}").wait_for()
    await page.locator(".order-status", has_text="Paid").wait_for()
    assert ticket_code in await page.inner_text("main")
    await shot(page, folder, name, "05-order-from-receipt")

    # 4. The merchant sees the fulfilment with the address (and no e-mail) and ships it.
    listed = (await api.data(FULFILMENTS))["fulfilments"]["nodes"]
    [fulfilment] = listed
    assert (fulfilment["orderNumber"], fulfilment["status"]) == (number, "AWAITING_SHIPMENT")
    address = fulfilment["shippingAddress"]
    assert {k: address[k] for k in ("name", "line1", "city", "area", "postcode", "country")} == {
        "name": "Ann Shopper", "line1": "1 Harbour Road", "city": "SPRINGFIELD", "area": "IL",
        "postcode": "62701", "country": "US",
    }  # fmt: skip
    assert SHOPPER not in json.dumps(listed)
    [line] = fulfilment["lines"]  # the tee; the ticket is not shipped
    assert (line["sku"], line["quantity"], line["quantityLeft"]) == (world.shirt_sku, 1, 1)
    ship = {
        "fulfilmentId": fulfilment["id"],
        "carrier": "UPS",
        "trackingNumber": TRACKING,
        "lines": [{"fulfilmentLineId": line["id"], "quantity": 1}],
    }
    shipped = (await api.data(SHIP, {"input": ship}))["createShipment"]
    assert shipped["errors"] == []
    assert shipped["shipment"] == {"carrier": "UPS", "trackingNumber": TRACKING}
    assert shipped["fulfilment"] == {"status": "SHIPPED"}

    # 5. The shopper's order page shows the carrier and the tracking number; the shipment
    # e-mail arrives with them.
    await page.reload()
    shipment = page.locator("article.shipment")
    await shipment.wait_for()
    assert "by UPS" in await shipment.inner_text()
    assert await shipment.locator("code.tracking").inner_text() == TRACKING
    assert "Night Harbor lighthouse tee" in await shipment.inner_text()
    await shot(page, folder, name, "06-order-shipped")
    notice = await until("the shipment e-mail", mail(smtp, f"Order {number} is on its way"))
    assert notice["To"].addresses[0].addr_spec == SHOPPER
    notice_text = text_of(notice)
    assert "Carrier: UPS" in notice_text and TRACKING in notice_text
    assert TRACKING in html_of(notice)

    # 6. The merchant's receiver got fulfilment.created, signed with the subscription's
    # secret (the README's code verifies it), with the address and never the e-mail.
    [got] = await until("the fulfilment.created webhook", lambda: list(receiver.got))
    assert (got.method, got.path) == ("POST", "/hooks")
    verify = readme_verify()
    assert verify(secret, got.headers["tiein-signature"], got.body)
    assert not verify("whsec_" + "0" * 64, got.headers["tiein-signature"], got.body)
    event = json.loads(got.body)
    assert event["type"] == "fulfilment.created"
    assert got.headers["tiein-event-id"] == event["id"]
    data = event["data"]
    assert (data["id"], data["order_number"]) == (fulfilment["id"], number)
    assert {k: data["shipping"][k] for k in ("name", "line1", "city", "area", "postcode")} == {
        "name": "Ann Shopper", "line1": "1 Harbour Road", "city": "SPRINGFIELD", "area": "IL",
        "postcode": "62701",
    }  # fmt: skip
    assert [(x["sku"], x["quantity"]) for x in data["lines"]] == [(world.shirt_sku, 1)]
    assert SHOPPER not in got.body.decode() and "email" not in got.body.decode().lower()
    assert len(receiver.got) == 1  # one event, delivered once

    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []
