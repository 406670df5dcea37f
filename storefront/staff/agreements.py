"""License agreements: the list, and one agreement's terms, statements and status."""

from __future__ import annotations

from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import Category
from kernel.errors import DomainError
from kernel.money import check_currency, format_money, parse_amount
from kernel.parsing import MAX_ID, clean_text, parse_id, parse_int, parse_optional_int
from kernel.periods import check_period, period_of
from licensing.agreements import (
    STATUS_CHANGES,
    create_agreement,
    get_agreement_by_code,
    list_agreements,
    set_agreement_status,
)
from licensing.codes import LicensingError
from licensing.models import AgreementStatus, Channel
from licensing.royalty import micros_to_minor
from licensing.statements import StatementFigures
from reports.agreements import agreement_history, signing_choices
from reports.audit import audit
from storefront.charts import Series, line_chart
from storefront.staff.auth import require_staff
from storefront.staff.common import error_message, flash, page
from storefront.web import now, path_for, path_param, query_param, read_form


@require_staff
async def agreements_page(request: Request) -> Response:
    wanted = query_param(request, "status")
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
    code = path_param(request, "code")
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, code)
        except DomainError:
            raise HTTPException(404) from None
        history = await agreement_history(session, agreement, today=now(request).date())
    return page(
        request,
        "staff/agreement.html",
        agreement=agreement,
        films=history.films,
        statements=history.statements,
        chart=_statement_chart(history.statements, agreement.currency),
        next_statuses=sorted(s.value for s in STATUS_CHANGES[agreement.status]),
    )


@require_staff
async def change_status(request: Request) -> Response:
    form = await read_form(request)
    code = path_param(request, "code")
    wanted = clean_text(form.get("status"), field="status", max_len=40)
    try:
        async with request.app.state.db.session() as session:
            agreement = await get_agreement_by_code(session, code)
            await set_agreement_status(session, agreement.id, wanted, now=now(request))
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, f"{code} is now {wanted}.")
    return RedirectResponse(path_for(request, "staff_agreement", code=code), status_code=303)


@require_staff
async def audit_page(request: Request) -> Response:
    code = path_param(request, "code")
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, code)
        except DomainError:
            raise HTTPException(404) from None
        period = query_param(request, "period", 16) or period_of(now(request))
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


# --- signing a new agreement ---------------------------------------------------------------
# The view only turns form text into typed values; every rule is create_agreement's.


def _int(text: str, field: str, *, optional: bool = False) -> int | None:
    """A whole number of the form (32-bit, as the columns are); the service checks ranges."""
    if optional:
        return parse_optional_int(text, field=field, min=-MAX_ID, max=MAX_ID)
    return parse_int(text, field=field, min=-MAX_ID, max=MAX_ID)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            LicensingError.INVALID_TERM, f"{text!r} is not a date like 2026-07-01.", field
        ) from None


def _amount(text: str, currency: str, field: str, *, optional: bool = False) -> int | None:
    text = text.strip()
    if optional and not text:
        return None
    return parse_amount(text or "0", currency, field=field)


def _tiers(text: str, currency: str) -> list[tuple[int, int]]:
    """Lines of "threshold rate_bps", the threshold an amount: "0 800" / "1000.00 1200"."""
    tiers = []
    for n, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise DomainError(
                LicensingError.INVALID_TIERS,
                f"Tier line {n}: write a threshold and a rate, like 1000.00 1200.",
                "tiers",
            )
        threshold = parse_amount(parts[0], currency, field="tiers")
        tiers.append((threshold, _int(parts[1], "tiers") or 0))
    return tiers


def agreement_input(form: dict[str, object], lists: dict[str, list[str]]) -> dict[str, object]:
    """The keyword arguments of `create_agreement` from the submitted form."""
    text = {k: str(v) for k, v in form.items()}
    currency = check_currency(text.get("currency", ""))
    territories = text.get("territories", "").replace(",", " ").split()
    return {
        "code": text.get("code", ""),
        "merchant_id": parse_id(text.get("merchant_id", ""), field="merchant"),
        "film_ids": [parse_id(f, field="films") for f in lists["film_ids"]],
        "categories": lists["categories"],
        "territories": [t.upper() for t in territories],
        "channels": lists["channels"],
        "start_date": _date(text.get("start_date", ""), "startDate"),
        "end_date": _date(text.get("end_date", ""), "endDate"),
        "sell_off_days": _int(text.get("sell_off_days", "") or "0", "sellOffDays"),
        "currency": currency,
        "rate_bps": _int(text.get("rate_bps", ""), "rateBps"),
        "bundle_rate_bps": _int(text.get("bundle_rate_bps", ""), "bundleRateBps", optional=True),
        "per_unit_min_minor": _amount(
            text.get("per_unit_min", ""), currency, "perUnitMin", optional=True
        ),
        "tiers": _tiers(text.get("tiers", ""), currency),
        "advance_minor": _amount(text.get("advance", ""), currency, "advance"),
        "minimum_guarantee_minor": _amount(
            text.get("minimum_guarantee", ""), currency, "minimumGuarantee"
        ),
        "status": AgreementStatus.ACTIVE
        if text.get("status") == "active"
        else AgreementStatus.DRAFT,
    }


async def _new_form(
    request: Request, status_code: int, values: dict[str, object], error: str | None
) -> Response:
    async with request.app.state.db.read_session() as session:
        choices = await signing_choices(session)
    return page(
        request,
        "staff/agreement_new.html",
        status_code,
        merchants=choices.merchants,
        films=choices.films,
        categories=[(c.value, c.value) for c in Category],
        channels=[(c.value, c.value.replace("_", " ")) for c in Channel],
        values=values,
        error=error,
    )


@require_staff
async def new_agreement(request: Request) -> Response:
    if request.method == "GET":
        settings = request.app.state.settings
        return await _new_form(
            request,
            200,
            {
                "currency": settings.currency,
                "sell_off_days": "0",
                "film_ids": [],
                "categories": [],
                "channels": [],
            },
            None,
        )
    form = await read_form(request)
    lists = {k: [str(v) for v in form.getlist(k)] for k in ("film_ids", "categories", "channels")}
    values: dict[str, object] = {k: str(v) for k, v in form.items() if k not in lists} | lists
    try:
        async with request.app.state.db.session() as session:
            agreement = await create_agreement(session, **agreement_input(dict(form), lists))
            code = agreement.code
    except DomainError as error:
        return await _new_form(request, 400, values, error_message(error))
    flash(request, f"Agreement {code} signed.")
    return RedirectResponse(path_for(request, "staff_agreement", code=code), status_code=303)


routes = [
    Route("/staff/agreements", agreements_page, methods=["GET"], name="staff_agreements"),
    Route(
        "/staff/agreements/new",
        new_agreement,
        methods=["GET", "POST"],
        name="staff_new_agreement",
    ),
    Route("/staff/agreements/{code}", agreement_page, methods=["GET"], name="staff_agreement"),
    Route("/staff/agreements/{code}/audit", audit_page, methods=["GET"], name="staff_audit"),
    Route(
        "/staff/agreements/{code}/status",
        change_status,
        methods=["POST"],
        name="staff_agreement_status",
    ),
]
