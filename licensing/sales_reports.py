"""Licensee sales reports (SPEC §4): a merchant reports its own retail sales per agreement and
period; every line is checked, a report with any bad line is rejected whole, naming each bad
line; an accepted report posts ledger entries (channel licensee_retail).

A second report for the same agreement and period is an amendment (version + 1): it replaces
the previous version's figures, so it posts only the difference per (SKU, territory), and
every version is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Product, Variant
from kernel.countries import country_code, country_in_sentence
from kernel.errors import DomainError
from kernel.periods import check_period, period_bounds, utc
from licensing.codes import LicensingError
from licensing.ledger import SaleLine, post_report_lines
from licensing.models import (
    Agreement,
    AgreementChannel,
    AgreementTerritory,
    Channel,
    SalesReport,
    SalesReportLine,
)
from licensing.payloads import accepted_report_payload, rejected_report_payload
from licensing.webhooks import WebhookEvent, queue_event


@dataclass
class ReportLineInput:
    sku: str
    territory: str
    units: int
    gross_minor: int | None  # None: the amount did not parse (its error is in `rejected`)
    net_minor: int | None


LineError = tuple[int, str, str, str]  # (line number from 1, field, code, message)


class ReportRejected(DomainError):
    """The whole report is refused; `line_errors` names every bad line and why. Line 0
    stands for the report as a whole (e.g. the channel is not licensed)."""

    def __init__(
        self, line_errors: list[LineError], *, agreement_id: int | None = None, period: str = ""
    ) -> None:
        lines = sorted({n for n, *_ in line_errors if n > 0})
        named = f"bad lines: {', '.join(map(str, lines))}" if lines else line_errors[0][3]
        super().__init__(
            LicensingError.REPORT_REJECTED, f"The report was rejected ({named}).", "lines"
        )
        self.line_errors = line_errors
        self.agreement_id = agreement_id  # of the report refused, for `report_rejected`
        self.period = period


async def submit_sales_report(
    session: AsyncSession,
    *,
    agreement_id: int,
    period: str,
    lines: Sequence[ReportLineInput],
    submitted_by: str,
    merchant_id: int | None,
    now: datetime,
    rejected: Sequence[LineError] = (),
) -> SalesReport:
    """Accept or reject a licensee's report for one agreement and period (SPEC §4).

    Each line needs a SKU of that agreement, a licensed territory, units > 0 and
    0 <= net <= gross; the agreement must license the licensee_retail channel. Any bad line
    rejects the whole report (ReportRejected, code REPORT_REJECTED, with `.line_errors`).
    `merchant_id` set means the caller is that merchant: another merchant's agreement is
    reported as not found. Entries occur at the end of the period (or now, if earlier).
    `rejected` holds line errors the caller found already (amounts that did not parse, whose
    lines carry None): they reject the report too, listed with the others by line.
    An accepted report queues the merchant's `sales_report.processed` webhooks; for a
    rejected one the caller calls `report_rejected` after the rollback.
    """
    period = check_period(period)
    agreement = await session.scalar(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update()
    )  # the lock serializes versions of one agreement's reports
    if agreement is None or (merchant_id is not None and agreement.merchant_id != merchant_id):
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    starts_at, ends_at = period_bounds(period)
    if utc(now) < starts_at:
        raise DomainError(
            LicensingError.PERIOD_NOT_STARTED, f"{period} has not started yet.", "period"
        )
    territories = set(
        (
            await session.scalars(
                select(AgreementTerritory.country).where(
                    AgreementTerritory.agreement_id == agreement_id
                )
            )
        ).all()
    )
    channels = set(
        (
            await session.scalars(
                select(AgreementChannel.channel).where(
                    AgreementChannel.agreement_id == agreement_id
                )
            )
        ).all()
    )
    skus = sorted({(line.sku or "").strip() for line in lines})
    products = {
        p.sku: p
        for p in (
            await session.scalars(
                select(Product).where(Product.sku.in_(skus), Product.agreement_id == agreement_id)
            )
        ).all()
    }
    # A line may name a variant's SKU (a size): it counts for the variant's product, whose
    # royalty entries are the product's (the line keeps the SKU reported).
    for variant_sku, product in (
        await session.execute(
            select(Variant.sku, Product)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.sku.in_(skus), Product.agreement_id == agreement_id)
        )
    ).all():
        products[variant_sku] = product

    errors: list[LineError] = list(rejected)
    if Channel.LICENSEE_RETAIL not in channels:
        errors.append(
            (
                0,
                "channel",
                LicensingError.CHANNEL_NOT_LICENSED.value,
                f"Agreement {agreement.code} does not license the licensee's own retail.",
            )
        )
    for n, line in enumerate(lines, start=1):
        errors.extend(_line_errors(n, line, agreement.code, products, territories))
    if errors:
        errors.sort(key=lambda e: e[0])
        raise ReportRejected(errors, agreement_id=agreement_id, period=period)

    previous = await session.scalar(
        select(SalesReport)
        .where(SalesReport.agreement_id == agreement_id, SalesReport.period == period)
        .order_by(SalesReport.version.desc())
        .limit(1)
        .options(selectinload(SalesReport.lines))
    )
    report = SalesReport(
        agreement_id=agreement_id,
        period=period,
        version=(previous.version + 1) if previous else 1,
        submitted_at=now,
        submitted_by=submitted_by,
        lines=[
            SalesReportLine(
                line_no=n,
                product_id=products[line.sku.strip()].id,
                sku=line.sku.strip(),
                territory=line.territory.strip().upper(),
                units=line.units,
                gross_minor=line.gross_minor,
                net_minor=line.net_minor,
            )
            for n, line in enumerate(lines, start=1)
        ],
    )
    session.add(report)
    await session.flush()

    occurred_at = min(utc(now), ends_at - timedelta(microseconds=1))
    if previous is None:
        postings = [
            SaleLine(
                f"report_line:{line.id}",
                line.product_id,
                line.units,
                line.net_minor,
                Channel.LICENSEE_RETAIL,
                line.territory,
                occurred_at,
            )
            for line in report.lines
        ]
    else:
        before, after = _totals(previous.lines), _totals(report.lines)
        postings = []
        for key in sorted(before.keys() | after.keys()):
            old_units, old_net = before.get(key, (0, 0))
            new_units, new_net = after.get(key, (0, 0))
            if (new_units, new_net) != (old_units, old_net):
                product_id, territory = key
                postings.append(
                    SaleLine(
                        f"report_diff:{report.id}:{product_id}:{territory}",
                        product_id,
                        new_units - old_units,
                        new_net - old_net,
                        Channel.LICENSEE_RETAIL,
                        territory,
                        occurred_at,
                    )
                )
    await post_report_lines(session, postings, now=now)
    await _queue_processed(session, agreement, accepted_report_payload(report, agreement), now)
    return report


async def report_rejected(
    session: AsyncSession, rejection: ReportRejected, *, now: datetime
) -> None:
    """Tell the merchant's `sales_report.processed` webhooks that a report was rejected.
    A rejected report stores nothing and its transaction rolls back, so the front door calls
    this in a transaction of its own after the refusal."""
    if rejection.agreement_id is None:
        return
    agreement = await session.get(Agreement, rejection.agreement_id)
    if agreement is not None:
        payload = rejected_report_payload(agreement, rejection.period, rejection.line_errors, now)
        await _queue_processed(session, agreement, payload, now)


async def _queue_processed(
    session: AsyncSession, agreement: Agreement, payload: dict[str, Any], now: datetime
) -> None:
    await queue_event(
        session,
        merchant_id=agreement.merchant_id,
        event=WebhookEvent.SALES_REPORT_PROCESSED,
        data=payload,
        now=now,
    )


def _line_errors(
    n: int,
    line: ReportLineInput,
    code: str,
    products: dict[str, Product],
    territories: set[str],
) -> list[LineError]:
    out: list[LineError] = []
    sku = (line.sku or "").strip()
    if sku not in products:
        out.append(
            (
                n,
                "sku",
                LicensingError.UNKNOWN_SKU.value,
                f"Line {n}: {sku!r} is not a product of agreement {code}.",
            )
        )
    territory = country_code(line.territory or "")
    if territory is None:
        out.append(
            (
                n,
                "territory",
                LicensingError.INVALID_TERRITORY.value,
                f"Line {n}: {line.territory!r} is not an ISO country code.",
            )
        )
    elif territory not in territories:
        out.append(
            (
                n,
                "territory",
                LicensingError.NOT_LICENSED_IN_TERRITORY.value,
                f"Line {n}: not licensed for sale in {country_in_sentence(territory)}.",
            )
        )
    if not isinstance(line.units, int) or line.units <= 0:
        out.append(
            (
                n,
                "units",
                LicensingError.UNITS_NOT_POSITIVE.value,
                f"Line {n}: units must be more than 0.",
            )
        )
    if (
        line.net_minor is not None
        and line.gross_minor is not None
        and not (0 <= line.net_minor <= line.gross_minor)
    ):
        out.append(
            (
                n,
                "net",
                LicensingError.NET_OUT_OF_RANGE.value,
                f"Line {n}: net must be between 0 and the gross amount.",
            )
        )
    return out  # fmt: skip


def _totals(lines: Sequence[SalesReportLine]) -> dict[tuple[int, str], tuple[int, int]]:
    totals: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        key = (line.product_id, line.territory)
        totals[key][0] += line.units
        totals[key][1] += line.net_minor
    return {key: (units, net) for key, (units, net) in totals.items()}


async def list_sales_reports(
    session: AsyncSession,
    *,
    agreement_id: int | None = None,
    merchant_id: int | None = None,
    period: str | None = None,
) -> list[SalesReport]:
    """Reports (every version), newest first, with their lines loaded."""
    query = select(SalesReport).options(selectinload(SalesReport.lines))
    if agreement_id is not None:
        query = query.where(SalesReport.agreement_id == agreement_id)
    if merchant_id is not None:
        mine = select(Agreement.id).where(Agreement.merchant_id == merchant_id)
        query = query.where(SalesReport.agreement_id.in_(mine))
    if period is not None:
        query = query.where(SalesReport.period == check_period(period))
    query = query.order_by(SalesReport.submitted_at.desc(), SalesReport.id.desc())
    return list((await session.scalars(query)).all())


async def latest_version(session: AsyncSession, agreement_id: int, period: str) -> int:
    """The latest accepted version of an agreement's report for a period (0: none)."""
    return int(
        await session.scalar(
            select(func.coalesce(func.max(SalesReport.version), 0)).where(
                SalesReport.agreement_id == agreement_id, SalesReport.period == period
            )
        )
        or 0
    )
