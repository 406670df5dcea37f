"""A promo code's discount on the receipt and on the order page (SPEC §9): the discount is
shown before the total paid, in both parts of the e-mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from kernel.db import Database
from orders.card_step import confirm_payment
from orders.payments import StripeGateway
from tests.factory import Shop
from tests.fixtures.smtp import SmtpSink
from tests.messaging.test_receipts import LINK
from tests.orders.shop import fetch_order, full_cart
from tests.orders.test_promo_codes import buy, promo


async def test_the_receipt_and_the_order_page_show_the_discount(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
    client: httpx.AsyncClient,
) -> None:
    # given the full cart ($102.00) bought with a 10% code
    await promo(db, shop, now)
    order = await buy(db, full_cart(shop), gateway, now, code="harbor10")
    step = await confirm_payment(db, order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    order = await fetch_order(db, order.id)
    assert (order.discount_minor, order.total_minor) == (1020, 9180)
    # when the receipt is sent
    await send_mail()
    [message] = smtp.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # then both parts show the discount and the total paid after it
    assert "Promo code discount: \N{MINUS SIGN}$10.20" in text
    assert "Total paid: $91.80" in text
    assert "Promo code discount" in html and "&minus;$10.20" in html
    # and so does the order page its link opens
    page = await client.get(LINK.findall(text)[0])
    assert page.status_code == 200
    assert "Promo code discount" in page.text and "$10.20" in page.text
    assert "$91.80" in page.text
