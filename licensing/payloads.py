"""The licensing side's objects as a merchant sees them in its webhook events (SPEC §8;
DESIGN §1: the package that owns the object makes its payload, when the event is queued)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from catalog.models import ApprovalStage, Product
from catalog.payloads import global_id, money, product_payload
from licensing.models import Agreement, ReviewAction, RoyaltyStatement, SalesReport

LineError = tuple[int, str, str, str]  # as licensing.sales_reports.LineError


def product_reviewed_payload(
    product: Product,
    *,
    action: ReviewAction,
    from_stage: ApprovalStage,
    comment: str,
    reviewer: str,
    at: datetime,
) -> dict[str, Any]:
    """`product.reviewed`: the product in its new stage and the review that moved it."""
    return {
        "product": product_payload(product),
        "review": {
            "action": action.value,
            "from_stage": from_stage.value,
            "to_stage": product.approval_stage.value,
            "reviewer": reviewer,
            "comment": comment,
            "reviewed_at": at.isoformat(),
        },
    }


def _agreement(agreement: Agreement) -> dict[str, str]:
    return {"id": global_id("Agreement", agreement.id), "code": agreement.code}


def accepted_report_payload(report: SalesReport, agreement: Agreement) -> dict[str, Any]:
    """`sales_report.processed` of an accepted report: its lines as posted."""
    currency = agreement.currency
    return {
        "status": "accepted",
        "sales_report": {
            "id": global_id("SalesReport", report.id),
            "agreement": _agreement(agreement),
            "period": report.period,
            "version": report.version,
            "submitted_at": report.submitted_at.isoformat(),
            "lines": [
                {
                    "line": line.line_no,
                    "sku": line.sku,
                    "territory": line.territory,
                    "units": line.units,
                    "gross": money(line.gross_minor, currency),
                    "net": money(line.net_minor, currency),
                }
                for line in report.lines
            ],
        },
        "errors": [],
    }


def rejected_report_payload(
    agreement: Agreement, period: str, line_errors: Sequence[LineError], at: datetime
) -> dict[str, Any]:
    """`sales_report.processed` of a rejected report: nothing was stored; every bad line
    and why (line 0 is the report as a whole)."""
    return {
        "status": "rejected",
        "sales_report": {
            "id": None,
            "agreement": _agreement(agreement),
            "period": period,
            "submitted_at": at.isoformat(),
        },
        "errors": [
            {"line": n, "field": field, "code": code, "message": message}
            for n, field, code, message in line_errors
        ],
    }


def statement_payload(statement: RoyaltyStatement, agreement: Agreement) -> dict[str, Any]:
    """`statement.closed`: a royalty statement as frozen when its period closed."""
    currency = statement.currency
    return {
        "id": global_id("RoyaltyStatement", f"{statement.agreement_id}.{statement.period}"),
        "agreement": _agreement(agreement),
        "period": statement.period,
        "units": statement.units,
        "net_sales": money(statement.net_sales_minor, currency),
        "royalty_earned": money(statement.royalty_earned_minor, currency),
        "cumulative_earned": money(statement.cumulative_earned_minor, currency),
        "advance_recouped": money(statement.advance_recouped_minor, currency),
        "royalty_payable": money(statement.royalty_payable_minor, currency),
        "mg_shortfall": money(statement.mg_shortfall_minor, currency),
        "has_adjustments": statement.has_adjustments,
        "frozen_at": statement.frozen_at.isoformat(),
    }
