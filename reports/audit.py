"""Audit of a licensee's report (SPEC §4): what it reported against what tiein observed.

*Reported*: the lines of the latest accepted version of the licensee's sales report for the
agreement and period, summed per SKU and territory.

*Observed*: what tiein saw of the same agreement's SKUs in its own channels (storefront and
bundles) with an occurred-at inside the period, per SKU and territory, refunds netted. The
licensee holds the stock and fulfils those sales, so its report of sell-through for a SKU and
territory is expected to cover at least them: when tiein observed more than was reported,
royalty is at risk. (tiein cannot see the licensee's own shops; its own sales are the only
independent evidence it has.)

Each discrepancy `observed - reported` is valued at the agreement's flat rate with its
per-unit minimum (tiers and bundle rates aside), as the royalty the difference would earn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Product
from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds
from licensing.codes import LicensingError
from licensing.models import (
    Agreement,
    Channel,
    RoyaltyEntry,
    SalesReport,
    SalesReportLine,
)
from licensing.royalty import entry_royalty, micros_to_minor


@dataclass(frozen=True)
class AuditLine:
    product_id: int
    sku: str
    territory: str
    reported_units: int
    reported_net_minor: int
    observed_units: int
    observed_net_minor: int
    units_difference: int  # observed - reported
    net_difference_minor: int  # observed - reported
    royalty_difference_micros: int  # what the difference earns; > 0: under-reported

    @property
    def status(self) -> str:
        if self.units_difference == 0 and self.net_difference_minor == 0:
            return "match"
        if self.units_difference > 0 or self.net_difference_minor > 0:
            return "under_reported"
        return "over_reported"

    @property
    def royalty_difference_minor(self) -> int:
        return micros_to_minor(self.royalty_difference_micros)


@dataclass(frozen=True)
class AuditResult:
    agreement_id: int
    agreement_code: str
    period: str
    currency: str
    report_version: int  # 0: no report
    lines: tuple[AuditLine, ...]

    @property
    def discrepancies(self) -> tuple[AuditLine, ...]:
        return tuple(line for line in self.lines if line.status != "match")

    @property
    def royalty_at_risk_micros(self) -> int:
        """The royalty of everything observed but not reported."""
        return sum(max(0, line.royalty_difference_micros) for line in self.lines)


async def audit(session: AsyncSession, agreement_id: int, period: str) -> AuditResult:
    """Reported against observed, per SKU and territory, for one agreement and period."""
    period = check_period(period)
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    version = await session.scalar(
        select(func.max(SalesReport.version)).where(
            SalesReport.agreement_id == agreement_id, SalesReport.period == period
        )
    )
    reported: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    if version:
        rows = await session.execute(
            select(
                SalesReportLine.product_id,
                SalesReportLine.territory,
                func.sum(SalesReportLine.units),
                func.sum(SalesReportLine.net_minor),
            )
            .join(SalesReport, SalesReport.id == SalesReportLine.report_id)
            .where(
                SalesReport.agreement_id == agreement_id,
                SalesReport.period == period,
                SalesReport.version == version,
            )
            .group_by(SalesReportLine.product_id, SalesReportLine.territory)
        )
        for product_id, territory, units, net in rows:
            reported[(product_id, territory)] = [int(units), int(net)]
    starts_at, ends_at = period_bounds(period)
    observed: dict[tuple[int, str], list[int]] = {}
    rows = await session.execute(
        select(
            RoyaltyEntry.product_id,
            RoyaltyEntry.territory,
            func.sum(RoyaltyEntry.units),
            func.sum(RoyaltyEntry.net_minor),
        )
        .where(
            RoyaltyEntry.agreement_id == agreement_id,
            RoyaltyEntry.channel.in_((Channel.STOREFRONT, Channel.BUNDLE)),
            RoyaltyEntry.occurred_at >= starts_at,
            RoyaltyEntry.occurred_at < ends_at,
        )
        .group_by(RoyaltyEntry.product_id, RoyaltyEntry.territory)
    )
    for product_id, territory, units, net in rows:
        observed[(product_id, territory)] = [int(units), int(net)]
    keys = sorted(reported.keys() | observed.keys())
    skus = dict(
        (
            await session.execute(
                select(Product.id, Product.sku).where(Product.id.in_({k[0] for k in keys}))
            )
        ).all()
    )
    lines = []
    for product_id, territory in keys:
        r_units, r_net = reported.get((product_id, territory), (0, 0))
        o_units, o_net = observed.get((product_id, territory), (0, 0))
        du, dn = o_units - r_units, o_net - r_net
        value = entry_royalty(
            du, dn, rate_bps=agreement.rate_bps, per_unit_min_minor=agreement.per_unit_min_minor
        ).micros
        lines.append(
            AuditLine(
                product_id=product_id,
                sku=skus.get(product_id, ""),
                territory=territory,
                reported_units=r_units,
                reported_net_minor=r_net,
                observed_units=o_units,
                observed_net_minor=o_net,
                units_difference=du,
                net_difference_minor=dn,
                royalty_difference_micros=value,
            )
        )
    lines.sort(key=lambda line: (line.sku, line.territory))
    return AuditResult(
        agreement_id=agreement.id,
        agreement_code=agreement.code,
        period=period,
        currency=agreement.currency,
        report_version=int(version or 0),
        lines=tuple(lines),
    )
