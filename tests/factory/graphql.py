"""The GraphQL tests' world: staff with a token, two licensees with tokens, films, a showtime,
a bundle, a paid order with a line of each licensee and a sales report of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Category
from kernel.db import Database
from kernel.periods import period_of
from licensing.sales_reports import ReportLineInput, submit_sales_report
from orders.models import LineKind
from tests.factory.builders import (
    make_agreement,
    make_api_token,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_order,
    make_order_line,
    make_product,
    make_showtime,
    make_staff_user,
)


@dataclass
class MerchantSide:
    id: int
    token: str
    agreement_id: int
    token_id: int
    approved_id: int  # an approved product (publicly sellable)
    draft_id: int  # a draft product
    approved_sku: str
    draft_sku: str


@dataclass
class GraphqlWorld:
    staff_token: str
    staff_token_id: int
    film_id: int
    other_film_id: int
    cinema_id: int
    showtime_id: int
    bundle_id: int
    a: MerchantSide
    b: MerchantSide
    order_id: int = 0
    line_ids: dict[str, int] = field(default_factory=dict)  # merchant slug -> order line id
    report_ids: dict[str, int] = field(default_factory=dict)  # merchant slug -> sales report
    period: str = ""


async def merchant_side(
    session: AsyncSession, slug: str, film_ids: list[int], product_film: int, n: int
) -> MerchantSide:
    """A licensee `slug` with agreement LA-2026-000n (apparel, toys, posters; US and GB;
    2020-2099) over `film_ids`, an approved tee and a draft toy of `product_film`, a token."""
    merchant = await make_merchant(session, slug=slug)
    agreement = await make_agreement(
        session, merchant_id=merchant.id, film_ids=film_ids, code=f"LA-2026-{n:04d}",
        categories=["apparel", "toys", "posters"], territories=["US", "GB"],
        channels=["storefront", "bundle", "licensee_retail"], start_date=date(2020, 1, 1),
        end_date=date(2099, 12, 31),
    )  # fmt: skip
    approved = await make_product(session, agreement, product_film, sku=f"{slug.upper()}-TEE",
                                  name=f"{slug} tee", stock=10)  # fmt: skip
    draft = await make_product(session, agreement, product_film, sku=f"{slug.upper()}-TOY",
                               name=f"{slug} toy", category=Category.TOYS, price_minor=1500,
                               stock=5, stage=ApprovalStage.DRAFT)  # fmt: skip
    token, secret = await make_api_token(session, merchant=merchant, name=f"{slug} token")
    return MerchantSide(merchant.id, secret, agreement.id, token.id, approved.id, draft.id,
                        approved.sku, draft.sku)  # fmt: skip


async def graphql_world(db: Database, *, now: datetime) -> GraphqlWorld:
    """Staff "lena" (a token, no password); "moon-harbor" (released) and "paper-comets"
    (2030); cinema Rex with a showtime in 3 days; licensees "acme" (both films) and "bolt"
    (the first); bundle MOON-TEE of acme's tee; then paid order T-1001 with one tee of each
    licensee and each licensee's sales report for the period of `now`; committed."""
    async with db.session() as session:
        staff = await make_staff_user(session, username="lena", display_name="Lena")
        staff_api_token, staff_token = await make_api_token(session, staff_user=staff, name="lena")
        film = await make_film(session, slug="moon-harbor", title="Moon Harbor",
                               release_date=date(2025, 5, 1), runtime_minutes=112)  # fmt: skip
        other = await make_film(session, slug="paper-comets", title="Paper Comets",
                                release_date=date(2030, 1, 1), runtime_minutes=98)  # fmt: skip
        cinema = await make_cinema(session, name="Rex", city="Austin")
        showtime = await make_showtime(session, film_id=film.id, cinema_id=cinema.id,
                                       starts_at=now + timedelta(days=3), capacity=80,
                                       price_minor=1400)  # fmt: skip
        a = await merchant_side(session, "acme", [film.id, other.id], film.id, 1)
        b = await merchant_side(session, "bolt", [film.id], film.id, 2)
        offer = await make_bundle(
            session, film_id=film.id, code="MOON-TEE", name="Ticket + tee", price_minor=3600,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
            components=[(a.approved_id, 1)],
        )  # fmt: skip
    world = GraphqlWorld(
        staff_token, staff_api_token.id, film.id, other.id, cinema.id, showtime.id, offer.id, a, b
    )
    world.period = period_of(now)
    async with db.session() as session:
        order = await make_order(session, now=now, number="T-1001", email="shopper@example.com",
                                 total_minor=5000)  # fmt: skip
        world.order_id = order.id
        for slug, side in (("acme", a), ("bolt", b)):
            line = await make_order_line(session, order.id, kind=LineKind.PRODUCT,
                                         product_id=side.approved_id, merchant_id=side.id,
                                         description="tee", unit_price_minor=2500)  # fmt: skip
            world.line_ids[slug] = line.id
            report = await submit_sales_report(
                session,
                agreement_id=side.agreement_id,
                period=world.period,
                lines=[ReportLineInput(side.approved_sku, "US", 2, 5000, 4000)],
                submitted_by="setup",
                merchant_id=side.id,
                now=now,
            )
            world.report_ids[slug] = report.id
    return world
