"""The merchant events (SPEC §8) are queued by the services that cause them, in their
transaction, with the object as that merchant may see it, and only to the subscriptions of
that merchant to that event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from catalog.models import Product
from catalog.payloads import global_id
from kernel.db import Database
from kernel.outbox import OutboxMessage
from kernel.periods import period_of
from licensing.approvals import review_product, submit_product
from licensing.closing import close_period
from licensing.sales_reports import ReportLineInput, submit_sales_report
from licensing.webhooks import WebhookDelivery, create_subscription
from orders.cart import Cart, CartItem
from orders.checkout import reserve_order
from tests.factory import GraphqlWorld as World
from tests.factory import order_shop, shipping_address
from tests.graphql.conftest import NOW, Gql, gid

URL = "http://127.0.0.1:9/hooks"  # never called here


async def subscribe(db: Database, merchant_id: int, *events: str) -> int:
    async with db.session() as session:
        subscription, _ = await create_subscription(
            session, merchant_id=merchant_id, url=URL, events=list(events), key="k", now=NOW,
            allow_private=True,
        )  # fmt: skip
    return subscription.id


async def queued(db: Database, event: str | None = None) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event is not None:
        query = query.where(WebhookDelivery.event_type == event)
    async with db.read_session() as session:
        rows = list((await session.scalars(query)).all())
        messages = (await session.scalars(select(OutboxMessage))).all()
    by_delivery = {m.payload.get("delivery_id") for m in messages if m.kind == "webhook.delivery"}
    assert all(d.id in by_delivery for d in rows)  # each delivery has its outbox message
    return rows


def data(delivery: WebhookDelivery) -> dict[str, Any]:
    assert delivery.payload["type"] == delivery.event_type
    assert delivery.payload["id"] == delivery.event_id
    return delivery.payload["data"]


async def test_product_reviewed_goes_to_its_merchants_subscribers_only(
    db: Database, world: World
) -> None:
    await subscribe(db, world.a.id, "product.reviewed")
    await subscribe(db, world.a.id, "stock.low")  # another event: not this one
    await subscribe(db, world.b.id, "stock.low")
    async with db.session() as session:
        await submit_product(session, world.a.draft_id, merchant_id=world.a.id, now=NOW)
        await review_product(
            session, world.a.draft_id, decision="request_changes", reviewer="lena",
            comment="Bigger logo", now=NOW,
        )  # fmt: skip
    [delivery] = await queued(db)
    assert (delivery.event_type, delivery.merchant_id) == ("product.reviewed", world.a.id)
    got = data(delivery)
    assert got["product"]["id"] == gid("Product", world.a.draft_id)
    assert got["product"]["sku"] == world.a.draft_sku
    assert got["product"]["approval_stage"] == "changes_requested"
    assert got["review"] == {
        "action": "request_changes", "from_stage": "concept_submitted",
        "to_stage": "changes_requested", "reviewer": "lena", "comment": "Bigger logo",
        "reviewed_at": NOW.isoformat(),
    }  # fmt: skip


async def test_sales_report_processed_when_accepted_and_when_rejected(
    db: Database, world: World, gql: Gql
) -> None:
    await subscribe(db, world.a.id, "sales_report.processed")
    async with db.session() as session:
        report = await submit_sales_report(
            session, agreement_id=world.a.agreement_id, period=world.period,
            lines=[ReportLineInput(world.a.approved_sku, "GB", 3, 6000, 5000)],
            submitted_by="acme", merchant_id=world.a.id, now=NOW,
        )  # fmt: skip
    [accepted] = await queued(db)
    got = data(accepted)
    assert got["status"] == "accepted" and got["errors"] == []
    assert got["sales_report"]["id"] == gid("SalesReport", report.id)
    assert got["sales_report"]["version"] == 2
    assert got["sales_report"]["lines"] == [
        {"line": 1, "sku": world.a.approved_sku, "territory": "GB", "units": 3,
         "gross": {"amount": "60.00", "currency": "USD"},
         "net": {"amount": "50.00", "currency": "USD"}},
    ]  # fmt: skip

    mutation = """mutation($input: SubmitSalesReportInput!) {
      submitSalesReport(input: $input) { salesReport { id } errors { field code } }
    }"""
    lines = [{"sku": "NOPE", "territory": "US", "units": 1, "gross": "1.00", "net": "1.00"}]
    variables = {"input": {"agreementId": gid("Agreement", world.a.agreement_id),
                           "period": world.period, "lines": lines}}  # fmt: skip
    body = await gql.data(mutation, variables, world.a.token)
    assert body["submitSalesReport"]["salesReport"] is None
    rejected = (await queued(db))[-1]
    got = data(rejected)
    assert got["status"] == "rejected" and got["sales_report"]["id"] is None
    assert [(e["line"], e["code"]) for e in got["errors"]] == [(1, "UNKNOWN_SKU")]
    assert len(await queued(db)) == 2


async def test_statement_closed_goes_to_each_agreements_merchant(
    db: Database, world: World
) -> None:
    await subscribe(db, world.b.id, "statement.closed")
    previous = period_of(NOW - timedelta(days=100))
    async with db.session() as session:
        statements = await close_period(session, previous, now=NOW, closed_by="lena")
    assert len(statements) >= 2  # both agreements' terms overlap it
    [delivery] = await queued(db)
    assert delivery.merchant_id == world.b.id
    got = data(delivery)
    key = f"{world.b.agreement_id}.{previous}"
    assert got["id"] == global_id("RoyaltyStatement", key)
    assert got["period"] == previous and got["agreement"]["code"] == "LA-2026-0002"
    assert got["royalty_payable"]["currency"] == "USD"


async def test_stock_low_when_adjust_stock_crosses_the_threshold(
    db: Database, world: World, gql: Gql
) -> None:
    await subscribe(db, world.a.id, "stock.low")
    await subscribe(db, world.b.id, "product.reviewed")
    update = """mutation($input: UpdateProductInput!) {
      updateProduct(input: $input) { product { lowStockThreshold } errors { field code } }
    }"""
    product_id = gid("Product", world.a.approved_id)
    body = await gql.data(update, {"input": {"id": product_id, "lowStockThreshold": -1}},
                          world.a.token)  # fmt: skip
    assert body["updateProduct"]["errors"] == [
        {"field": "lowStockThreshold", "code": "INVALID_QUANTITY"}
    ]
    body = await gql.data(update, {"input": {"id": product_id, "lowStockThreshold": 4}},
                          world.a.token)  # fmt: skip
    assert body["updateProduct"]["product"]["lowStockThreshold"] == 4
    adjust = """mutation($id: ID!, $delta: Int!) {
      adjustStock(input: {id: $id, delta: $delta}) { product { stock } errors { code } }
    }"""
    for delta in (-5, -1, 3, -2):  # 10 → 5 (above), 4 (crossed), 7, 5 (above again)
        await gql.data(adjust, {"id": product_id, "delta": delta}, world.a.token)
    assert [data(d)["product"]["stock"] for d in await queued(db)] == [4]
    await gql.data(adjust, {"id": product_id, "delta": -3}, world.a.token)  # 5 → 2: again
    deliveries = await queued(db)
    assert [data(d)["product"]["stock"] for d in deliveries] == [4, 2]
    assert data(deliveries[-1])["threshold"] == 4
    # bolt's tee crosses too, but bolt subscribed to product.reviewed only
    other = gid("Product", world.b.approved_id)
    await gql.data(update, {"input": {"id": other, "lowStockThreshold": 9}}, world.b.token)
    await gql.data(adjust, {"id": other, "delta": -1}, world.b.token)
    assert len(await queued(db)) == 2


async def test_stock_low_when_checkout_takes_the_stock(db: Database) -> None:
    shop = await order_shop(db, now=NOW, shirt_stock=5)
    async with db.session() as session:
        shirt = await session.get_one(Product, shop.shirt_id)
        shirt.low_stock_threshold = 3
        merchant_id = shirt.merchant_id
    await subscribe(db, merchant_id, "stock.low")

    async def buy(qty: int) -> None:
        async with db.session() as session:
            await reserve_order(
                session, Cart().with_item(CartItem.product(shop.shirt_sku, qty)),
                email="fan@example.com", country="US", shipping=shipping_address("US"), now=NOW,
            )  # fmt: skip

    await buy(1)  # 5 → 4: above
    assert await queued(db) == []
    await buy(2)  # 4 → 2: crossed
    await buy(1)  # 2 → 1: still low, nothing more
    [delivery] = await queued(db)
    assert data(delivery)["product"]["stock"] == 2
    assert data(delivery)["product"]["id"] == gid("Product", shop.shirt_id)
