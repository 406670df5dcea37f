"""Fulfilment (SPEC §8): made when an order is paid, shipped in parts, and cancelled units
refunded through the refund path — a bundle part refunds its allocated net only, mirrors
only its own ledger entry, and the ticket stays valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog.models import Category, Ticket
from catalog.payloads import global_id
from kernel.db import Database
from kernel.errors import DomainError, DomainErrors
from kernel.outbox import OutboxMessage
from licensing.models import Agreement, EntrySource, RoyaltyEntry
from licensing.webhooks import WebhookDelivery, create_subscription
from orders.card_step import confirm_payment
from orders.cart import Cart, CartItem
from orders.fulfilment_models import (
    Fulfilment,
    FulfilmentLine,
    FulfilmentStatus,
    Shipment,
    ShipmentLine,
)
from orders.fulfilment_views import fulfilment_payload, fulfilments_of_order
from orders.fulfilments import cancel_fulfilment_lines, create_shipment
from orders.models import BundleAllocation, Order, OrderStatus, RefundPart
from orders.payments import StripeGateway
from orders.refunds import refund_order_lines
from tests.factory import SHIRT_PRICE, Shop, make_agreement, make_merchant, make_product
from tests.orders.shop import checkout, count, fetch_order, ledger
from tests.orders.test_refunds import lines_of

MUG_PRICE = 1800
# The bundle (4000: a 1200 ticket, a 2500 shirt, two 1500 posters; W = 6700) splits into
# ticket 716, shirt 1493 (the largest remainder takes the spare unit), posters 1791.
POSTERS_PART = 1791


@dataclass(frozen=True)
class Paid:
    order: Order
    acme_id: int
    globex_id: int


async def paid_order(db: Database, shop: Shop, gateway: StripeGateway, now: datetime) -> Paid:
    """Two Acme shirts, one Globex mug and two bundles (each a ticket, a shirt, 2 posters)."""
    async with db.session() as s:
        globex = await make_merchant(s, slug="globex", name="Globex")
        agreement = await make_agreement(
            s, merchant_id=globex.id, film_ids=[shop.film_id], categories=[Category.HOME],
            start_date=now.date() - timedelta(days=30), end_date=now.date() + timedelta(days=300),
        )  # fmt: skip
        await make_product(s, agreement, shop.film_id, sku="MUG-1", name="Harbor mug",
                           category=Category.HOME, price_minor=MUG_PRICE)  # fmt: skip
    cart = (
        Cart()
        .with_item(CartItem.product(shop.shirt_sku, 2))
        .with_item(CartItem.product("MUG-1", 1))
        .with_item(CartItem.bundle(shop.offer_id, shop.showtime_id, 2))
    )
    placed = await checkout(db, cart, gateway, now=now)
    step = await confirm_payment(db, placed.order.id, "pm_card_visa", gateway=gateway, now=now)
    assert step.status == "succeeded"
    order = await fetch_order(db, placed.order.id)
    async with db.read_session() as s:
        merchants = dict((await s.execute(select(Fulfilment.merchant_id, Fulfilment.id))).all())
    assert len(merchants) == 2 and globex.id in merchants
    return Paid(order, next(m for m in merchants if m != globex.id), globex.id)


async def fulfilment_of(db: Database, order_id: int, merchant_id: int) -> tuple[Fulfilment, dict]:
    """The merchant's fulfilment of the order and its lines by SKU (a bundle part's SKU
    prefixed with `bundle:`)."""
    async with db.read_session() as s:
        found = await s.scalar(
            select(Fulfilment).where(
                Fulfilment.order_id == order_id, Fulfilment.merchant_id == merchant_id
            )
        )
        assert found is not None
        rows = await s.scalars(
            select(FulfilmentLine).where(FulfilmentLine.fulfilment_id == found.id)
        )
        lines = {("bundle:" if r.bundle_allocation_id else "") + r.sku: r for r in rows}
    return found, lines


async def ship(db: Database, merchant_id: int | None, fulfilment_id: Any, lines: list, **kw: Any):
    async with db.session() as s:
        return await create_shipment(
            s,
            merchant_id=merchant_id,
            fulfilment_id=fulfilment_id,
            lines=lines,
            carrier=kw.get("carrier", "UPS"),
            tracking_number=kw.get("tracking_number", "1Z999AA10123456784"),
            now=kw.get("now") or datetime.now().astimezone(),
        )


async def test_a_paid_order_gets_one_fulfilment_per_merchant_with_product_and_bundle_lines(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await paid_order(db, shop, gateway, now)
    acme, acme_lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    globex, globex_lines = await fulfilment_of(db, paid.order.id, paid.globex_id)
    assert acme.status == globex.status == FulfilmentStatus.AWAITING_SHIPMENT
    assert {sku: line.quantity for sku, line in acme_lines.items()} == {
        "TEE-1": 2,
        "bundle:TEE-1": 2,  # 1 shirt per bundle, 2 bundles
        "bundle:POSTER-1": 4,  # 2 posters per bundle
    }
    assert {sku: line.quantity for sku, line in globex_lines.items()} == {"MUG-1": 1}
    # The payload a merchant's webhook gets: the address, never the e-mail.
    async with db.read_session() as s:
        views = await fulfilments_of_order(s, paid.order.id)
    assert [v.fulfilment.id for v in views] == sorted([acme.id, globex.id])
    payload = fulfilment_payload(views[0].fulfilment, views[0].lines, views[0].order)
    assert payload["shipping"]["name"] == "Ada Fan"
    assert payload["shipping"]["line1"] == "1 Harbor Road"
    assert "phone" not in payload["shipping"] and "email" not in str(payload)
    assert "fan@example.com" not in repr(payload)
    assert {line["sku"] for line in payload["lines"]} == {"TEE-1", "POSTER-1"}


async def test_fulfilment_created_goes_to_the_subscribed_merchant_with_its_own_lines(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    """SPEC §8: the event is queued in the payment's transaction, to the merchants that
    subscribed to it, each with its own fulfilment only."""
    async with db.session() as s:
        acme = await s.get(Agreement, shop.agreement_id)
        assert acme is not None
        await create_subscription(
            s, merchant_id=acme.merchant_id, url="http://127.0.0.1:9/in",
            events=["fulfilment.created"], key="k", now=now, allow_private=True,
        )  # fmt: skip
    paid = await paid_order(db, shop, gateway, now)
    acme, _ = await fulfilment_of(db, paid.order.id, paid.acme_id)
    async with db.read_session() as s:
        deliveries = list(await s.scalars(select(WebhookDelivery)))
    [delivery] = deliveries  # Globex has no subscription: nothing for it
    assert (delivery.event_type, delivery.merchant_id) == ("fulfilment.created", paid.acme_id)
    sent = delivery.payload["data"]
    assert sent["id"] == global_id("Fulfilment", acme.id)
    assert sent["order_number"] == paid.order.number
    assert {line["sku"] for line in sent["lines"]} == {"TEE-1", "POSTER-1"}
    assert sent["shipping"]["name"] == "Ada Fan" and "fan@example.com" not in repr(sent)


async def test_partial_then_full_shipment_moves_the_status_and_queues_the_email(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await paid_order(db, shop, gateway, now)
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    first = await ship(db, paid.acme_id, acme.id, [(lines["TEE-1"].id, 1)], now=now)
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    assert acme.status == FulfilmentStatus.PARTIALLY_SHIPPED
    assert lines["TEE-1"].quantity_shipped == 1 and lines["TEE-1"].quantity_left == 1
    rest = [(line.id, line.quantity_left) for line in lines.values()]
    await ship(db, None, acme.id, rest, carrier="DHL", tracking_number="JD0146 0000 1234")
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    assert acme.status == FulfilmentStatus.SHIPPED
    assert all(line.quantity_left == 0 for line in lines.values())
    async with db.read_session() as s:
        mails = list(
            await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "email.shipment")
                .order_by(OutboxMessage.id)
            )
        )
    assert mails[0].dedupe_key == f"shipment:{first.id}"
    assert len(mails) == 2
    assert mails[0].payload == {
        "order_id": paid.order.id,
        "shipment": {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "shipped_at": now.isoformat(),
            "lines": [{"description": lines["TEE-1"].description, "quantity": 1}],
        },
    }
    # Nothing is left: one more unit is over-shipping.
    with pytest.raises(DomainError) as refused:
        await ship(db, paid.acme_id, acme.id, [(lines["TEE-1"].id, 1)])
    assert refused.value.code == "QUANTITY_EXCEEDS_REMAINING"
    assert refused.value.field == "lines.1.quantity"


async def test_cancelling_a_shirt_and_bundle_posters_refunds_them_exactly(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await paid_order(db, shop, gateway, now)
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    posters = lines["bundle:POSTER-1"]
    made = await cancel_fulfilment_lines(
        db,
        merchant_id=paid.acme_id,
        fulfilment_id=acme.id,
        lines=[(lines["TEE-1"].id, 1), (posters.id, 3)],
        by="merchant:acme",
        gateway=gateway,
        now=now,
    )
    assert not made.pending
    # 3 of the 4 posters of the line (net 2 * 1791 = 3582): round_half_up(3582 * 3 / 4)
    assert made.refund.amount_minor == SHIRT_PRICE + 2687
    order = await fetch_order(db, paid.order.id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert order.refunded_minor == SHIRT_PRICE + 2687
    reversals = [e for e in await ledger(db) if e.source == EntrySource.REFUND]
    by_sale = {e.reverses_id: (e.units, e.net_minor) for e in reversals}
    entries = {e.id: e.source_ref for e in await ledger(db)}
    assert {entries[k]: v for k, v in by_sale.items()} == {
        f"order_line:{lines['TEE-1'].order_line_id}": (-1, -SHIRT_PRICE),
        f"bundle_part:{posters.bundle_allocation_id}": (-3, -2687),
    }
    # The tickets of the bundle stay valid, and no bundle counts as refunded.
    assert await count(db, Ticket, Ticket.voided_at.is_not(None)) == 0
    bundle = (await lines_of(db, order))["bundle"]
    assert bundle.refunded_quantity == 0
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    assert lines["bundle:POSTER-1"].quantity_cancelled == 3
    assert lines["TEE-1"].quantity_cancelled == 1
    assert acme.status == FulfilmentStatus.AWAITING_SHIPMENT

    # The last poster gets the rest of the part's net: the pieces add up exactly.
    last = await cancel_fulfilment_lines(
        db, merchant_id=None, fulfilment_id=acme.id, lines=[(posters.id, 1)],
        by="staff:ana", gateway=gateway, now=now,
    )  # fmt: skip
    assert last.refund.amount_minor == 2 * POSTERS_PART - 2687
    # Refunding every bundle afterwards gives back only what is left of it, and the whole
    # order then adds up: refunded = total, and the ledger nets to zero.
    await refund_order_lines(db, paid.order.id, None, restock=False, by="ana",
                             gateway=gateway, now=now)  # fmt: skip
    order = await fetch_order(db, paid.order.id)
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_minor == order.total_minor
    entries_all = await ledger(db)
    assert sum(e.net_minor for e in entries_all) == 0
    assert sum(e.units for e in entries_all) == 0
    assert sum(e.royalty_micros for e in entries_all) == 0
    async with db.read_session() as s:
        parts = list(await s.scalars(select(RefundPart)))
        allocation = await s.get(BundleAllocation, posters.bundle_allocation_id)
    assert allocation is not None
    poster_parts = [p for p in parts if p.bundle_allocation_id == allocation.id]
    assert sum(p.units for p in poster_parts) == 4
    assert sum(p.amount_minor for p in poster_parts) == 2 * POSTERS_PART


async def test_every_cancelled_line_is_shipped_no_more_and_all_cancelled_is_cancelled(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await paid_order(db, shop, gateway, now)
    globex, lines = await fulfilment_of(db, paid.order.id, paid.globex_id)
    await cancel_fulfilment_lines(
        db, merchant_id=paid.globex_id, fulfilment_id=globex.id,
        lines=[(lines["MUG-1"].id, 1)], by="merchant:globex", gateway=gateway, now=now,
    )  # fmt: skip
    globex, lines = await fulfilment_of(db, paid.order.id, paid.globex_id)
    assert globex.status == FulfilmentStatus.CANCELLED
    with pytest.raises(DomainError) as refused:
        await ship(db, paid.globex_id, globex.id, [(lines["MUG-1"].id, 1)])
    assert refused.value.code == "QUANTITY_EXCEEDS_REMAINING"


async def snapshot(db: Database) -> tuple:
    async with db.read_session() as s:
        return (
            [
                (x.id, x.quantity_shipped, x.quantity_cancelled)
                for x in await s.scalars(select(FulfilmentLine).order_by(FulfilmentLine.id))
            ],
            [f.status for f in await s.scalars(select(Fulfilment).order_by(Fulfilment.id))],
            await s.scalar(select(Shipment.id).limit(1)),
            await s.scalar(select(ShipmentLine.id).limit(1)),
            await s.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "email.shipment")),
            list(await s.scalars(select(Order.refunded_minor))),
            len(list(await s.scalars(select(RoyaltyEntry)))),
        )


def fields_of(error: DomainError) -> dict[str | None, str]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return {e.field: e.code for e in errors}


async def test_bad_shipments_and_cancellations_are_refused_with_every_field_and_change_nothing(
    db: Database, shop: Shop, gateway: StripeGateway, now: datetime
) -> None:
    paid = await paid_order(db, shop, gateway, now)
    acme, lines = await fulfilment_of(db, paid.order.id, paid.acme_id)
    globex, globex_lines = await fulfilment_of(db, paid.order.id, paid.globex_id)
    tee = lines["TEE-1"]
    before = await snapshot(db)

    async def refused_ship(merchant_id: Any, fulfilment_id: Any, wanted: list, **kw: Any) -> dict:
        with pytest.raises(DomainError) as refused:
            await ship(db, merchant_id, fulfilment_id, wanted, **kw)
        return fields_of(refused.value)

    # unknown fulfilment, and another merchant's: the same NOT_FOUND
    for merchant_id, fulfilment_id in ((paid.acme_id, 999_999), (paid.acme_id, globex.id),
                                       (paid.acme_id, None)):  # fmt: skip
        found = await refused_ship(merchant_id, fulfilment_id, [(tee.id, 1)])
        assert found == {"fulfilment_id": "NOT_FOUND"}
    # every bad field at once
    found = await refused_ship(
        paid.acme_id, acme.id,
        [(globex_lines["MUG-1"].id, 1), (None, 1), (tee.id, 0), (tee.id, -2), (tee.id, 3)],
        carrier="", tracking_number="",
    )  # fmt: skip
    assert found == {
        "carrier": "INVALID_CARRIER",
        "tracking_number": "INVALID_TRACKING_NUMBER",
        "lines.1.fulfilment_line_id": "NOT_FOUND",
        "lines.2.fulfilment_line_id": "NOT_FOUND",
        "lines.3.quantity": "INVALID_QUANTITY",
        "lines.4.quantity": "INVALID_QUANTITY",
        "lines.5.quantity": "QUANTITY_EXCEEDS_REMAINING",
    }
    assert await refused_ship(paid.acme_id, acme.id, []) == {"lines": "NO_LINES"}
    for tracking in ("x" * 101, "1Z\x00", "追跡番号", "1Z<script>", "   "):
        found = await refused_ship(paid.acme_id, acme.id, [(tee.id, 1)], tracking_number=tracking)
        assert set(found) == {"tracking_number"}, tracking
    for carrier in ("c" * 101, "U\x00PS", 12):
        found = await refused_ship(paid.acme_id, acme.id, [(tee.id, 1)], carrier=carrier)
        assert set(found) == {"carrier"}, carrier
    # A Unicode carrier name is a name like any other.
    assert (await ship(db, paid.acme_id, acme.id, [(tee.id, 1)], carrier="ヤマト運輸")).id

    before = await snapshot(db)
    for wanted in ([(tee.id, 2)], [(tee.id, 0)], [(globex_lines["MUG-1"].id, 1)], []):
        with pytest.raises(DomainError):
            await cancel_fulfilment_lines(
                db, merchant_id=paid.acme_id, fulfilment_id=acme.id, lines=wanted,
                by="merchant:acme", gateway=gateway, now=now,
            )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        await cancel_fulfilment_lines(
            db, merchant_id=paid.acme_id, fulfilment_id=globex.id,
            lines=[(globex_lines["MUG-1"].id, 1)], by="merchant:acme", gateway=gateway, now=now,
        )  # fmt: skip
    assert fields_of(refused.value) == {"fulfilment_id": "NOT_FOUND"}
    assert await snapshot(db) == before
