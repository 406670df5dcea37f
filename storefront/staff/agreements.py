"""License agreements: the list, and one agreement's terms, statements and status."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import Film
from licensing.agreements import (
    STATUS_CHANGES,
    get_agreement_by_code,
    list_agreements,
    set_agreement_status,
)
from licensing.audit import audit
from licensing.models import AgreementStatus, RoyaltyEntry
from licensing.royalty import micros_to_minor
from licensing.statements import StatementFigures, compute_statement
from storefront.charts import Series, line_chart
from storefront.staff.auth import require_staff
from storefront.staff.common import error_message, flash, page
from storefront.web import read_form
from tiein.db import now_utc
from tiein.errors import DomainError
from tiein.money import format_money
from tiein.periods import check_period, period_of, periods_between

MAX_PERIODS = 40  # ten years of quarters on one page


@require_staff
async def agreements_page(request: Request) -> Response:
    wanted = request.query_params.get("status", "")
    status = AgreementStatus(wanted) if wanted in set(AgreementStatus) else None
    async with request.app.state.db.read_session() as session:
        agreements = await list_agreements(session, status=status)
    return page(
        request,
        "staff/agreements.html",
        agreements=agreements,
        statuses=[s.value for s in AgreementStatus],
        status=status.value if status else "",
    )


def _statement_chart(statements: list[StatementFigures], currency: str) -> str:
    periods = [s.period for s in statements]
    if not statements:
        return ""
    advance = statements[0].advance_minor
    guarantee = statements[0].minimum_guarantee_minor
    series = [
        Series(
            "Cumulative royalty earned",
            [s.cumulative_earned_minor for s in statements],
            [format_money(s.cumulative_earned_minor, currency) for s in statements],
        )
    ]
    if guarantee:
        series.append(
            Series(
                "Minimum guarantee",
                [guarantee] * len(periods),
                [format_money(guarantee, currency)] * len(periods),
                dashed=True,
            )
        )
    if advance:
        series.append(
            Series(
                "Advance",
                [advance] * len(periods),
                [format_money(advance, currency)] * len(periods),
                dashed=True,
            )
        )
    return line_chart(
        periods,
        series,
        title="Cumulative royalty earned by period",
        description=(
            f"Cumulative royalty earned from {periods[0]} to {periods[-1]}, "
            f"against the advance ({format_money(advance, currency)}) and the minimum "
            f"guarantee ({format_money(guarantee, currency)}); the table below has the figures."
        ),
        ident="agreement-cumulative",
    )


@require_staff
async def agreement_page(request: Request) -> Response:
    code = request.path_params["code"]
    today = now_utc().date()
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, code)
        except DomainError:
            raise HTTPException(404) from None
        film_ids = [f.film_id for f in agreement.films]
        films = (
            list(await session.scalars(select(Film.title).where(Film.id.in_(film_ids))))
            if film_ids
            else []
        )
        last_entry = await session.scalar(
            select(func.max(RoyaltyEntry.period)).where(RoyaltyEntry.agreement_id == agreement.id)
        )
        first = period_of(agreement.start_date)
        term_end = period_of(agreement.end_date + timedelta(days=agreement.sell_off_days))
        last = max(min(period_of(today), term_end), last_entry or first)
        periods = periods_between(first, last)[-MAX_PERIODS:] if last >= first else []
        statements = [await compute_statement(session, agreement.id, p) for p in periods]
    return page(
        request,
        "staff/agreement.html",
        agreement=agreement,
        films=sorted(films),
        statements=statements,
        chart=_statement_chart(statements, agreement.currency),
        next_statuses=sorted(s.value for s in STATUS_CHANGES[agreement.status]),
    )


@require_staff
async def change_status(request: Request) -> Response:
    form = await read_form(request)
    code = request.path_params["code"]
    wanted = str(form.get("status", ""))
    try:
        async with request.app.state.db.session() as session:
            agreement = await get_agreement_by_code(session, code)
            await set_agreement_status(session, agreement.id, wanted, now=now_utc())
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, f"{code} is now {wanted}.")
    return RedirectResponse(request.url_for("staff_agreement", code=code), status_code=303)


@require_staff
async def audit_page(request: Request) -> Response:
    code = request.path_params["code"]
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, code)
        except DomainError:
            raise HTTPException(404) from None
        period = request.query_params.get("period") or period_of(now_utc())
        try:
            period = check_period(period)
            result = await audit(session, agreement.id, period)
        except DomainError as error:
            return page(
                request,
                "staff/audit.html",
                400,
                agreement=agreement,
                period=period,
                result=None,
                error=error_message(error),
            )
    return page(
        request,
        "staff/audit.html",
        agreement=agreement,
        period=period,
        result=result,
        at_risk_minor=micros_to_minor(result.royalty_at_risk_micros),
        error=None,
    )


routes = [
    Route("/staff/agreements", agreements_page, methods=["GET"], name="staff_agreements"),
    Route("/staff/agreements/{code}", agreement_page, methods=["GET"], name="staff_agreement"),
    Route("/staff/agreements/{code}/audit", audit_page, methods=["GET"], name="staff_audit"),
    Route(
        "/staff/agreements/{code}/status",
        change_status,
        methods=["POST"],
        name="staff_agreement_status",
    ),
]
