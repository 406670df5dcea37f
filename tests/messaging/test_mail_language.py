"""E-mails speak the language the order was placed in (orders.language, set at checkout from
the shopper's language): subject, body, lines, prices and times. The checkout side (an
Accept-Language: ja shopper's order is stored as `ja`) is in
tests/storefront/test_shop_languages.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kernel.db import Database
from orders.card_step import confirm_payment
from orders.checkout import place_order
from orders.payments import StripeGateway
from tests.factory import Shop
from tests.fixtures.smtp import SmtpSink
from tests.orders.shop import ADDRESSES, fetch_order, full_cart
from tests.prices import usd


async def _paid(db: Database, shop: Shop, gateway: StripeGateway, now: datetime, language: str):
    placed = await place_order(
        db,
        full_cart(shop),
        email="fan@example.com",
        country="US",
        shipping=ADDRESSES["US"],
        now=now,
        gateway=gateway,
        language=language,
    )
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    return await fetch_order(db, placed.order.id)


async def test_an_order_placed_in_japanese_gets_a_japanese_receipt(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
) -> None:
    # Given an order placed by a shopper reading Japanese
    order = await _paid(db, shop, gateway, now, "ja")
    assert order.language == "ja"
    # When its receipt is sent
    await send_mail()
    [message] = smtp.messages
    # Then subject and body are Japanese, the prices as Japanese readers write them
    assert message["Subject"] == f"注文 {order.number} の領収書"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert f"ありがとうございます。注文 {order.number} のお支払いが完了しました" in body
        assert "お支払い合計" in body and "Total paid" not in body
        assert usd(10200, "ja") in body
        assert "チケット: " in body  # the ticket line, named from its fields
    assert '<html lang="ja">' in html
    # The plain text's first sentence ends with a Japanese full stop, not an English one.
    assert f"注文 {order.number} のお支払いが完了しました。\n" in text


async def test_an_order_placed_in_chinese_gets_a_chinese_receipt_and_english_stays_english(
    db: Database,
    shop: Shop,
    gateway: StripeGateway,
    now: datetime,
    smtp: SmtpSink,
    send_mail: Callable,
) -> None:
    chinese = await _paid(db, shop, gateway, now, "zh-Hans")
    await send_mail()
    [message] = smtp.messages
    assert message["Subject"] == f"订单 {chinese.number} 的收据"
    assert "实付合计" in message.get_body(("plain",)).get_content()
    assert usd(10200, "zh-Hans") in message.get_body(("plain",)).get_content()
    assert f"订单 {chinese.number} 已付款。\n" in message.get_body(("plain",)).get_content()
    # An order of an unknown language is English (the default), as orders before were.
    english = await _paid(db, shop, gateway, now, "xx")
    assert english.language == "en"
