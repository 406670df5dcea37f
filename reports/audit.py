"""The label audit of an agreement and period (SPEC §10): do the licensee's labels add up?

Every unit of a licensed product carries one authenticity label, so for each product, at the
end of the period:

    issued   labels of the agreement's batches requested before the period's end
    sold     units sold before the period's end, in every channel, from the royalty ledger:
             storefront and bundle (what tiein sold itself; refunds netted) and licensee
             retail (the accepted sales reports, amendments included)
    on_hand  the product's stock in tiein at the period's end: today's stock plus the
             storefront and bundle units sold since then (tiein keeps no stock history, so
             stock adjusted by hand after the period's end shows in the gap)
    gap      issued - sold - on_hand

A gap beyond the tolerance — the larger of `gap_bps` of the labels issued (default 2 %,
rounded down) and `gap_min_units` (default 10) — is flagged, per product and for the
agreement: a positive gap means labelled units that were neither sold through a channel nor
in stock (typically retail sales missing from the licensee's reports); a negative one means
units sold or stocked without labels.

A code verified suspiciously often is flagged as cloned: `clone_min` verifications (default
5) from `clone_networks` (3) or more distinct client networks, or `clone_total` (20) in all,
up to the period's end. A network stands in for SPEC §10's "country" (see
licensing.label_models: a country header is whatever the client says).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product
from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds
from licensing.codes import LicensingError
from licensing.label_models import LabelBatch, LabelCode, LabelVerification
from licensing.models import Agreement, Channel, RoyaltyEntry

MAX_CLONED_SHOWN = 100


@dataclass(frozen=True)
class AuditPolicy:
    """The audit's thresholds (settings TIEIN_AUDIT_GAP_BPS, TIEIN_AUDIT_GAP_MIN_UNITS,
    TIEIN_LABEL_CLONE_MIN, TIEIN_LABEL_CLONE_NETWORKS, TIEIN_LABEL_CLONE_TOTAL)."""

    gap_bps: int = 200
    gap_min_units: int = 10
    clone_min: int = 5
    clone_networks: int = 3
    clone_total: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> AuditPolicy:
        return cls(
            gap_bps=settings.audit_gap_bps,
            gap_min_units=settings.audit_gap_min_units,
            clone_min=settings.label_clone_min,
            clone_networks=settings.label_clone_networks,
            clone_total=settings.label_clone_total,
        )

    def tolerance(self, issued: int) -> int:
        """How many units the gap may be off: max(gap_bps of `issued`, gap_min_units)."""
        return max(max(issued, 0) * self.gap_bps // 10_000, self.gap_min_units)


@dataclass(frozen=True)
class AuditLine:
    """One product's figures (or, with product_id 0, the agreement's)."""

    product_id: int
    sku: str
    name: str
    issued: int
    storefront_units: int
    bundle_units: int
    retail_units: int
    on_hand: int
    tolerance: int

    @property
    def sold(self) -> int:
        return self.storefront_units + self.bundle_units + self.retail_units

    @property
    def gap(self) -> int:
        return self.issued - self.sold - self.on_hand

    @property
    def flagged(self) -> bool:
        return abs(self.gap) > self.tolerance

    @property
    def status(self) -> str:
        if not self.flagged:
            return "within tolerance"
        return "labels unaccounted for" if self.gap > 0 else "units without labels"


@dataclass(frozen=True)
class ClonedLabel:
    code: str
    sku: str
    verifications: int
    networks: int
    last_verified_at: datetime


@dataclass(frozen=True)
class AuditResult:
    agreement_id: int
    agreement_code: str
    period: str
    until: datetime  # the period's end: every figure counts what happened before it
    lines: tuple[AuditLine, ...]
    total: AuditLine
    cloned: tuple[ClonedLabel, ...]  # the most verified first, at most MAX_CLONED_SHOWN
    cloned_count: int
    policy: AuditPolicy = field(default_factory=AuditPolicy)

    @property
    def flagged(self) -> bool:
        return (
            self.total.flagged
            or any(line.flagged for line in self.lines)
            or bool(self.cloned_count)
        )


async def audit(
    session: AsyncSession, agreement_id: int, period: str, policy: AuditPolicy | None = None
) -> AuditResult:
    """The label audit of one agreement at the end of `period`, in six queries."""
    policy = policy or AuditPolicy()
    period = check_period(period)
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    _, until = period_bounds(period)
    products = (
        await session.execute(
            select(Product.id, Product.sku, Product.name, Product.stock)
            .where(Product.agreement_id == agreement_id)
            .order_by(Product.sku)
        )
    ).all()
    issued = dict(
        (
            await session.execute(
                select(LabelBatch.product_id, func.sum(LabelBatch.quantity))
                .where(LabelBatch.agreement_id == agreement_id, LabelBatch.requested_at < until)
                .group_by(LabelBatch.product_id)
            )
        ).all()
    )
    before = RoyaltyEntry.occurred_at < until
    units: defaultdict[tuple[int, str, bool], int] = defaultdict(int)
    rows = await session.execute(
        select(
            RoyaltyEntry.product_id,
            RoyaltyEntry.channel,
            func.sum(case((before, RoyaltyEntry.units), else_=0)),
            func.sum(case((before, 0), else_=RoyaltyEntry.units)),
        )
        .where(RoyaltyEntry.agreement_id == agreement_id)
        .group_by(RoyaltyEntry.product_id, RoyaltyEntry.channel)
    )
    for product_id, channel, in_time, since in rows:
        units[(product_id, Channel(channel), True)] += int(in_time or 0)
        units[(product_id, Channel(channel), False)] += int(since or 0)
    lines = []
    for product_id, sku, name, stock in products:
        sold_since = sum(
            units[(product_id, c, False)] for c in (Channel.STOREFRONT, Channel.BUNDLE)
        )
        got = int(issued.get(product_id) or 0)
        lines.append(
            AuditLine(
                product_id=product_id,
                sku=sku,
                name=name,
                issued=got,
                storefront_units=units[(product_id, Channel.STOREFRONT, True)],
                bundle_units=units[(product_id, Channel.BUNDLE, True)],
                retail_units=units[(product_id, Channel.LICENSEE_RETAIL, True)],
                on_hand=stock + sold_since,
                tolerance=policy.tolerance(got),
            )
        )
    total_issued = sum(line.issued for line in lines)
    total = AuditLine(
        product_id=0,
        sku="",
        name="All products",
        issued=total_issued,
        storefront_units=sum(line.storefront_units for line in lines),
        bundle_units=sum(line.bundle_units for line in lines),
        retail_units=sum(line.retail_units for line in lines),
        on_hand=sum(line.on_hand for line in lines),
        tolerance=policy.tolerance(total_issued),
    )
    cloned, cloned_count = await _cloned(session, agreement_id, until, policy)
    return AuditResult(
        agreement_id=agreement.id,
        agreement_code=agreement.code,
        period=period,
        until=until,
        lines=tuple(lines),
        total=total,
        cloned=cloned,
        cloned_count=cloned_count,
        policy=policy,
    )


async def _cloned(
    session: AsyncSession, agreement_id: int, until: datetime, policy: AuditPolicy
) -> tuple[tuple[ClonedLabel, ...], int]:
    """The agreement's codes verified like clones before `until`: the most verified first."""
    times = func.count(LabelVerification.id)
    networks = func.count(func.distinct(LabelVerification.network))
    per_label = (
        select(
            LabelVerification.label_id.label("label_id"),
            times.label("times"),
            networks.label("networks"),
            func.max(LabelVerification.verified_at).label("last_at"),
        )
        .join(LabelCode, LabelCode.id == LabelVerification.label_id)
        .join(LabelBatch, LabelBatch.id == LabelCode.batch_id)
        .where(LabelBatch.agreement_id == agreement_id, LabelVerification.verified_at < until)
        .group_by(LabelVerification.label_id)
        .having(
            or_(
                times >= policy.clone_total,
                and_(times >= policy.clone_min, networks >= policy.clone_networks),
            )
        )
        .subquery()
    )
    count = await session.scalar(select(func.count()).select_from(per_label))
    rows = await session.execute(
        select(
            LabelCode.code,
            Product.sku,
            per_label.c.times,
            per_label.c.networks,
            per_label.c.last_at,
        )
        .join(LabelCode, LabelCode.id == per_label.c.label_id)
        .join(LabelBatch, LabelBatch.id == LabelCode.batch_id)
        .join(Product, Product.id == LabelBatch.product_id)
        .order_by(per_label.c.times.desc(), LabelCode.code)
        .limit(MAX_CLONED_SHOWN)
    )
    cloned = tuple(
        ClonedLabel(code, sku, int(n), int(nets), last) for code, sku, n, nets, last in rows
    )
    return cloned, int(count or 0)
