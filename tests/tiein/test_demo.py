"""`tiein demo load`: deterministic, idempotent, and a data set every page can show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from catalog.models import ApprovalStage, BundleOffer, Cinema, Film, Product, Showtime, Variant
from kernel.db import Database
from licensing.models import Agreement, Merchant, RoyaltyEntry
from orders.addresses import ShippingAddress
from orders.fulfilment_models import Fulfilment, FulfilmentStatus
from orders.models import LineKind, Order, OrderLine, OrderStatus
from orders.promotion_models import Campaign, PromoCode
from reports.campaigns import campaign_report
from tiein.demo import load_demo

TODAY = date(2026, 11, 22)


async def _fingerprint(db: Database) -> tuple:
    async with db.read_session() as s:
        orders = await s.execute(select(Order.number, Order.total_minor).order_by(Order.number))
        ledger = await s.execute(
            select(RoyaltyEntry.period, func.sum(RoyaltyEntry.royalty_micros))
            .group_by(RoyaltyEntry.period)
            .order_by(RoyaltyEntry.period)
        )
        return tuple(orders.all()), tuple(ledger.all())


async def test_demo_has_the_promised_shape_and_loads_once(db: Database, tmp_path: Path) -> None:
    summary = await load_demo(db, orders=60, today=TODAY, progress=False)
    assert "60 paid orders" in summary

    async with db.read_session() as s:
        count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert await count(Film) >= 6
        assert await count(Cinema) == 2
        assert await count(Merchant) >= 3
        assert await count(BundleOffer) >= 4
        approved = await s.scalar(
            select(func.count(Product.id)).where(Product.approval_stage == ApprovalStage.APPROVED)
        )
        in_review = await s.scalar(
            select(func.count(Product.id)).where(Product.approval_stage != ApprovalStage.APPROVED)
        )
        assert approved >= 30 and in_review >= 3
        assert await s.scalar(select(func.count(Order.id)).where(Order.paid_at.is_not(None))) == 60
        upcoming = await s.scalar(select(func.count(Film.id)).where(Film.release_date > TODAY))
        assert upcoming >= 2
        agreements = (await s.scalars(select(Agreement))).all()
        assert any(a.per_unit_min_minor for a in agreements)
        assert any(a.advance_minor for a in agreements)
        assert any(a.minimum_guarantee_minor for a in agreements)
        assert any(a.sell_off_days for a in agreements)
        assert await s.scalar(select(func.count(Showtime.id))) > 50
        assert await s.scalar(select(func.count(RoyaltyEntry.id))) > 0
        # The tee with sizes: S, M, L and XL, its total stock their sum.
        tee = await s.scalar(select(Product).where(Product.name == "Starfall Rising Crew Tee"))
        assert tee is not None and tee.options == ["size"]
        sizes = (await s.scalars(select(Variant).where(Variant.product_id == tee.id))).all()
        assert [v.label for v in sizes] == ["S", "M", "L", "XL"]
        assert tee.stock == sum(v.stock for v in sizes) > 0
        # Every paid order with merch has its fulfilments and an address; the old ones shipped.
        merch_orders = select(OrderLine.order_id).where(OrderLine.kind != LineKind.TICKET)
        fulfilled = select(Fulfilment.order_id)
        unfulfilled = select(func.count(Order.id)).where(
            Order.id.in_(merch_orders), Order.id.not_in(fulfilled),
            Order.status != OrderStatus.REFUNDED,
        )  # fmt: skip
        assert await s.scalar(unfulfilled) == 0
        assert await s.scalar(select(func.count(Fulfilment.id))) > 0
        shipped = select(func.count(Fulfilment.id)).where(
            Fulfilment.status == FulfilmentStatus.SHIPPED
        )
        assert await s.scalar(shipped) > 0
        homeless = select(func.count(Fulfilment.id)).where(
            Fulfilment.order_id.not_in(select(ShippingAddress.order_id))
        )
        assert await s.scalar(homeless) == 0

    # The demo campaign brought visits and orders, some with its code's discount, and the
    # ledger's royalty on the discounted nets.
    async with db.read_session() as s:
        campaign = await s.scalar(select(Campaign).where(Campaign.referral_code == "FERRY-FANS"))
        assert campaign is not None
        report = await campaign_report(s, campaign.id, "2026-Q4")
        coded = (
            await s.execute(select(Order).where(Order.campaign_id == campaign.id))
        ).scalars().all()  # fmt: skip
        uses = await s.scalar(select(PromoCode.uses).where(PromoCode.code == "FERRY10"))
        line_discounts = await s.scalar(
            select(func.sum(OrderLine.discount_minor)).where(
                OrderLine.order_id.in_([o.id for o in coded])
            )
        )
    assert report.referral_visits > report.orders > 0
    assert report.tickets + report.bundles + report.merch_units > 0
    assert [m.currency for m in report.money] == ["USD"]
    assert report.money[0].discounts_minor > 0
    assert report.money[0].net_minor == sum(o.total_minor for o in coded)
    assert report.royalty and report.royalty[0].royalty_micros > 0
    assert uses == sum(1 for o in coded if o.promo_code_id is not None) > 0
    assert line_discounts == sum(o.discount_minor for o in coded)

    before = await _fingerprint(db)
    assert "already loaded" in await load_demo(db, orders=60, today=TODAY, progress=False)
    assert await _fingerprint(db) == before

    # Deterministic: a second, fresh database gets exactly the same orders and royalties.
    other = Database(f"sqlite+aiosqlite:///{tmp_path}/again.db")
    async with other.engine.begin() as conn:
        from tiein.models import load_all_models

        await conn.run_sync(load_all_models().create_all)
    await load_demo(other, orders=60, today=TODAY, progress=False)
    assert await _fingerprint(other) == before
    await other.dispose()
