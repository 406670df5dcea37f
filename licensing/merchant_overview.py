"""What the staff console shows of merchants: the list with its counts, and one merchant's
page (details, contacts, agreements, products, API tokens, webhook subscriptions, recent
deliveries). Read-only; each function runs a fixed number of statements, whatever the
number of merchants, products or agreements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Product
from catalog.products import sku_prefix
from licensing.accounts import scopes_of
from licensing.merchants import MerchantContact, contacts_of, merchant_by_slug
from licensing.models import Agreement, AgreementStatus, ApiToken, Merchant, TokenScope
from licensing.webhooks import WebhookDelivery, WebhookSubscription

RECENT_DELIVERIES = 20


@dataclass(frozen=True)
class MerchantRow:
    slug: str
    name: str
    country: str
    sku_prefix: str
    active_agreements: int
    products: int


async def merchant_list(session: AsyncSession) -> list[MerchantRow]:
    """Every merchant by name, with its active agreements and products counted (one
    statement)."""
    active = (
        select(Agreement.merchant_id, func.count().label("n"))
        .where(Agreement.status == AgreementStatus.ACTIVE)
        .group_by(Agreement.merchant_id)
        .subquery()
    )
    products = (
        select(Product.merchant_id, func.count().label("n"))
        .group_by(Product.merchant_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Merchant.id,
            Merchant.slug,
            Merchant.name,
            Merchant.country,
            func.coalesce(active.c.n, 0),
            func.coalesce(products.c.n, 0),
        )
        .outerjoin(active, active.c.merchant_id == Merchant.id)
        .outerjoin(products, products.c.merchant_id == Merchant.id)
        .order_by(func.lower(Merchant.name), Merchant.id)
    )
    return [
        MerchantRow(slug, name, country, sku_prefix(pk), int(a), int(p))
        for pk, slug, name, country, a, p in rows.all()
    ]


@dataclass(frozen=True)
class AgreementLine:
    code: str
    status: AgreementStatus
    start_date: date
    end_date: date
    currency: str


@dataclass(frozen=True)
class ProductLine:
    sku: str
    name: str
    stage: ApprovalStage
    stock: int
    agreement_code: str


@dataclass(frozen=True)
class TokenLine:
    id: int
    name: str
    prefix: str
    scopes: tuple[TokenScope, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class SubscriptionLine:
    id: int
    url: str
    events: tuple[str, ...]
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None


@dataclass(frozen=True)
class DeliveryLine:
    id: int
    event_type: str
    url: str
    status: str
    attempts: int
    last_response_code: int | None
    created_at: datetime


@dataclass(frozen=True)
class MerchantOverview:
    merchant: Merchant
    sku_prefix: str
    contacts: list[MerchantContact]
    agreements: list[AgreementLine]
    products: list[ProductLine]
    tokens: list[TokenLine]
    subscriptions: list[SubscriptionLine]
    deliveries: list[DeliveryLine]


async def merchant_overview(session: AsyncSession, slug: str) -> MerchantOverview:
    """One merchant and everything the console shows on its page (NOT_FOUND for an unknown
    slug), in seven statements: revoked tokens are listed after the live ones, deleted
    subscriptions not at all, deliveries the RECENT_DELIVERIES latest."""
    merchant = await merchant_by_slug(session, slug)
    contacts = await contacts_of(session, merchant.id)
    agreements = [
        AgreementLine(*row)
        for row in await session.execute(
            select(
                Agreement.code,
                Agreement.status,
                Agreement.start_date,
                Agreement.end_date,
                Agreement.currency,
            )
            .where(Agreement.merchant_id == merchant.id)
            .order_by(Agreement.code)
        )
    ]
    products = [
        ProductLine(*row)
        for row in await session.execute(
            select(Product.sku, Product.name, Product.approval_stage, Product.stock, Agreement.code)
            .join(Agreement, Agreement.id == Product.agreement_id)
            .where(Product.merchant_id == merchant.id)
            .order_by(Product.sku)
        )
    ]
    tokens = [
        TokenLine(
            t.id,
            t.name,
            t.prefix,
            tuple(s for s in TokenScope if s in scopes_of(t.scopes)),
            t.created_at,
            t.last_used_at,
            t.revoked_at,
        )
        for t in await session.scalars(
            select(ApiToken)
            .where(ApiToken.merchant_id == merchant.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    ]
    subscriptions = [
        SubscriptionLine(
            s.id, s.url, tuple(s.events or ()), s.created_at, s.failing_since, s.disabled_at
        )
        for s in await session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.merchant_id == merchant.id,
                WebhookSubscription.deleted_at.is_(None),
            )
            .order_by(WebhookSubscription.id)
        )
    ]
    deliveries = [
        DeliveryLine(*row)
        for row in await session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.event_type,
                WebhookSubscription.url,
                WebhookDelivery.status,
                WebhookDelivery.attempts,
                WebhookDelivery.last_response_code,
                WebhookDelivery.created_at,
            )
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.merchant_id == merchant.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(RECENT_DELIVERIES)
        )
    ]
    return MerchantOverview(
        merchant,
        sku_prefix(merchant.id),
        contacts,
        agreements,
        products,
        tokens,
        subscriptions,
        deliveries,
    )
