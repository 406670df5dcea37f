"""Fixtures of the GraphQL tests: a small world of two merchants, staff, films and products,
built with the real services, and a `gql` helper that posts one operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql_relay import to_global_id

from catalog.bundles import create_bundle_offer
from catalog.films import create_cinema, create_film
from catalog.models import ApprovalStage
from catalog.products import create_product
from catalog.showtimes import create_showtime
from kernel.db import Database
from kernel.periods import period_of
from licensing.accounts import create_api_token, create_merchant
from licensing.agreements import create_agreement
from licensing.models import AgreementStatus, StaffUser
from licensing.sales_reports import ReportLineInput, submit_sales_report
from orders.models import LineKind, Order, OrderLine, OrderStatus


class Gql:
    """Posts operations to /graphql with an optional bearer token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of an operation that must succeed without errors."""
        body = await self(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    return Gql(client)


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, str(pk))


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
class World:
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


NOW = datetime.now(UTC)


async def make_merchant_side(
    session: Any, slug: str, film_ids: list[int], product_film: int, n: int
) -> MerchantSide:
    merchant = await create_merchant(
        session, slug=slug, name=slug.title(), country="US", contact_email=f"{slug}@example.com"
    )
    agreement = await create_agreement(
        session,
        code=f"LA-2026-{n:04d}",
        merchant_id=merchant.id,
        film_ids=film_ids,
        categories=["apparel", "toys", "posters"],
        territories=["US", "GB"],
        channels=["storefront", "bundle", "licensee_retail"],
        start_date=date(2020, 1, 1),
        end_date=date(2099, 12, 31),
        currency="USD",
        rate_bps=1000,
        status=AgreementStatus.ACTIVE,
    )
    approved = await create_product(
        session,
        merchant_id=merchant.id,
        agreement_id=agreement.id,
        film_id=product_film,
        sku=f"{slug.upper()}-TEE",
        name=f"{slug} tee",
        category="apparel",
        price_minor=2500,
        currency="USD",
        stock=10,
    )
    approved.approval_stage = ApprovalStage.APPROVED
    draft = await create_product(
        session,
        merchant_id=merchant.id,
        agreement_id=agreement.id,
        film_id=product_film,
        sku=f"{slug.upper()}-TOY",
        name=f"{slug} toy",
        category="toys",
        price_minor=1500,
        currency="USD",
        stock=5,
    )
    token, secret = await create_api_token(session, merchant=merchant, name=f"{slug} token")
    await session.flush()
    return MerchantSide(
        merchant.id,
        secret,
        agreement.id,
        token.id,
        approved.id,
        draft.id,
        approved.sku,
        draft.sku,
    )


@pytest.fixture
async def world(db: Database) -> World:
    async with db.session() as session:
        # a staff user without a usable password: argon2 hashing is slow and the API
        # only needs the user's token
        staff = StaffUser(username="lena", display_name="Lena", password_hash="!")
        session.add(staff)
        await session.flush()
        staff_api_token, staff_token = await create_api_token(
            session, staff_user=staff, name="lena"
        )
        film = await create_film(
            session,
            slug="moon-harbor",
            title="Moon Harbor",
            release_date=date(2025, 5, 1),
            runtime_minutes=112,
        )
        other = await create_film(
            session,
            slug="paper-comets",
            title="Paper Comets",
            release_date=date(2030, 1, 1),
            runtime_minutes=98,
        )
        cinema = await create_cinema(session, name="Rex", city="Austin", country="US")
        showtime = await create_showtime(
            session,
            film_id=film.id,
            cinema_id=cinema.id,
            starts_at=NOW + timedelta(days=3),
            capacity=80,
            price_minor=1400,
            currency="USD",
            now=NOW,
        )
        a = await make_merchant_side(session, "acme", [film.id, other.id], film.id, 1)
        b = await make_merchant_side(session, "bolt", [film.id], film.id, 2)
        offer = await create_bundle_offer(
            session, film_id=film.id, code="MOON-TEE", name="Ticket + tee", price_minor=3600,
            currency="USD", valid_from=NOW - timedelta(days=1), valid_to=NOW + timedelta(days=30),
            per_order_limit=4, components=[(a.approved_id, 1)],
        )  # fmt: skip
    world = World(
        staff_token, staff_api_token.id, film.id, other.id, cinema.id, showtime.id, offer.id, a, b
    )
    world.period = period_of(NOW)
    async with db.session() as session:
        order = Order(
            number="T-1001", access_key_hash="0" * 64, email="shopper@example.com",
            country="US", currency="USD", status=OrderStatus.PAID, total_minor=5000,
            expires_at=NOW, paid_at=NOW,
        )  # fmt: skip
        session.add(order)
        await session.flush()
        world.order_id = order.id
        for side in (a, b):
            line = OrderLine(
                order_id=order.id, kind=LineKind.PRODUCT, product_id=side.approved_id,
                merchant_id=side.id, description="tee", quantity=1, unit_price_minor=2500,
                total_minor=2500,
            )  # fmt: skip
            session.add(line)
            await session.flush()
            world.line_ids["acme" if side is a else "bolt"] = line.id
            report = await submit_sales_report(
                session,
                agreement_id=side.agreement_id,
                period=world.period,
                lines=[ReportLineInput(side.approved_sku, "US", 2, 5000, 4000)],
                submitted_by="setup",
                merchant_id=side.id,
                now=NOW,
            )
            world.report_ids["acme" if side is a else "bolt"] = report.id
    return world
