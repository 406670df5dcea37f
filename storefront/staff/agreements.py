"""License agreements: the list, and one agreement's terms, statements and status."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import Category
from kernel.errors import DomainError, DomainErrors
from kernel.money import format_money
from kernel.parsing import clean_text
from kernel.periods import check_period, period_of, periods_between
from licensing.agreements import (
    STATUS_CHANGES,
    create_agreement,
    get_agreement_by_code,
    list_agreements,
    set_agreement_status,
)
from licensing.codes import LicensingError
from licensing.lifecycle import expires_on, last_selling_day
from licensing.models import Agreement, AgreementStatus, Channel
from licensing.statements import StatementFigures
from reports.agreements import agreement_history, signing_choices
from reports.audit import AuditPolicy, audit
from storefront.charts import Series, line_chart
from storefront.staff.agreement_form import BLANK_TIER_ROWS, agreement_input, tier_rows
from storefront.staff.auth import require_staff
from storefront.staff.common import (
    Confirmation,
    confirm_page,
    confirmed,
    error_message,
    flash,
    flash_error,
    page,
)
from storefront.staff.tables import STATEMENT_NOTES
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
        axis=(f"Royalty ({currency})", lambda value: format_money(round(value), currency)),
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
        statement_notes=STATEMENT_NOTES,
        last_selling_day=last_selling_day(agreement),
        expires_on=expires_on(agreement),
    )


# What each status change means, said on the confirmation page before it is made.
STATUS_CONSEQUENCES = {
    AgreementStatus.ACTIVE: (
        "{licensee} may sell licensed products under it, within its films, territories, "
        "channels and term ({term})."
    ),
    AgreementStatus.TERMINATED: (
        "The agreement ends now, before its term: none of its products can be sold any more "
        "and no new product can be made under it."
    ),
    AgreementStatus.EXPIRED: (
        "The agreement is marked as run out: none of its products can be sold any more, "
        "whatever its end date ({end})."
    ),
}
FINAL = "This cannot be undone: a {status} agreement never becomes active again."


@require_staff
async def change_status(request: Request) -> Response:
    """Change an agreement's status in two steps: the first POST names the new status and is
    answered with what it will do; only the second (`confirmed=yes`) changes it. The list
    offers no status until one is chosen, so an unchosen form changes nothing."""
    form = await read_form(request)
    code = path_param(request, "code")
    back = RedirectResponse(path_for(request, "staff_agreement", code=code), status_code=303)
    wanted = clean_text(form.get("status"), field="status", max_len=40)
    if not wanted:
        flash(request, "Choose the new status first; nothing was changed.", "error")
        return back
    try:
        if not confirmed(form):
            async with request.app.state.db.read_session() as session:
                agreement = await get_agreement_by_code(session, code)
                status = _next_status(agreement.code, agreement.status, wanted)
                return confirm_page(request, _status_confirmation(request, agreement, status))
        async with request.app.state.db.session() as session:
            agreement = await get_agreement_by_code(session, code)
            await set_agreement_status(session, agreement.id, wanted, now=now(request))
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"{code} is now {wanted}.")
    return back


def _next_status(code: str, current: AgreementStatus, wanted: str) -> AgreementStatus:
    """The status asked for, if the agreement may go there from where it is."""
    allowed = STATUS_CHANGES[current]
    if wanted not in {s.value for s in allowed}:
        choices = " or ".join(sorted(s.value for s in allowed)) or "nothing else"
        raise DomainError(
            LicensingError.INVALID_STATUS_CHANGE,
            f"Agreement {code} cannot go from {current.value} to {wanted}; it can become "
            f"{choices}.",
            "status",
        )
    return AgreementStatus(wanted)


def _status_confirmation(
    request: Request, agreement: Agreement, status: AgreementStatus
) -> Confirmation:
    licensee = agreement.merchant.name
    term = f"{agreement.start_date} to {agreement.end_date}"
    consequences = [
        f"{agreement.code} ({licensee}) goes from {agreement.status.value} to {status.value}.",
        STATUS_CONSEQUENCES[status].format(licensee=licensee, term=term, end=agreement.end_date),
    ]
    if not STATUS_CHANGES[status]:
        consequences.append(FINAL.format(status=status.value))
    return Confirmation(
        title=f"Make {agreement.code} {status.value}",
        action=path_for(request, "staff_agreement_status", code=agreement.code),
        consequences=consequences,
        button=f"Yes, make {agreement.code} {status.value}",
        cancel=path_for(request, "staff_agreement", code=agreement.code),
        fields=[("status", status.value)],
    )


@require_staff
async def audit_page(request: Request) -> Response:
    code = path_param(request, "code")
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, code)
        except DomainError:
            raise HTTPException(404) from None
        current = period_of(now(request))
        period = query_param(request, "period", 16) or current
        try:
            period = check_period(period)
            policy = AuditPolicy.from_settings(request.app.state.settings)
            result = await audit(session, agreement.id, period, policy)
        except DomainError as error:
            return page(
                request,
                "staff/audit.html",
                400,
                agreement=agreement,
                period=period,
                periods=_term_periods(agreement, current, ""),
                result=None,
                error=error_message(error),
                error_code=error.code,
            )
    return page(
        request,
        "staff/audit.html",
        agreement=agreement,
        period=period,
        periods=_term_periods(agreement, current, period),
        result=result,
        error=None,
    )


def _term_periods(agreement: Agreement, current: str, chosen: str) -> list[str]:
    """The periods an audit may look at, newest first: those of the term (with its sell-off)
    that have begun, and the one being shown."""
    first = period_of(agreement.start_date)
    last = min(period_of(agreement.end_date), current)
    names = set(periods_between(first, last)[-40:]) if first <= last else set()
    return sorted(names | ({chosen} if chosen else set()), reverse=True)


# --- signing a new agreement ---------------------------------------------------------------
# The view only turns form text into typed values (agreement_form); every rule is
# create_agreement's.


async def _new_form(
    request: Request, status_code: int, values: dict[str, object], errors: list[DomainError]
) -> Response:
    async with request.app.state.db.read_session() as session:
        choices = await signing_choices(session)
    rows = tier_rows(values.get("tier_threshold", []), values.get("tier_rate", []))  # type: ignore[arg-type]
    filled = [r for r in rows if any(v.strip() for v in r)]
    rows = filled + [("", "")] * max(BLANK_TIER_ROWS, 3 - len(filled))
    return page(
        request,
        "staff/agreement_new.html",
        status_code,
        merchants=choices.merchants,
        films=choices.films,
        categories=[(c.value, c.value) for c in Category],
        channels=[(c.value, c.value.replace("_", " ")) for c in Channel],
        values=values,
        tiers=rows,
        errors=[e.message for e in errors if not (e.field or "").startswith("tiers.")],
        field_errors={e.field: e.message for e in errors if e.field},
        codes=" ".join(sorted({str(e.code) for e in errors})),
    )


LISTS = ("film_ids", "categories", "channels", "tier_threshold", "tier_rate")


@require_staff
async def new_agreement(request: Request) -> Response:
    if request.method == "GET":
        settings = request.app.state.settings
        blank: dict[str, object] = {k: [] for k in LISTS}
        blank["merchant_id"] = query_param(request, "merchant_id", 12)  # from a merchant's page
        return await _new_form(
            request, 200, blank | {"currency": settings.currency, "sell_off_days": "0"}, []
        )
    form = await read_form(request)
    lists = {k: [str(v) for v in form.getlist(k)] for k in LISTS}
    values: dict[str, object] = {k: str(v) for k, v in form.items() if k not in lists} | lists
    try:
        async with request.app.state.db.session() as session:
            agreement = await create_agreement(session, **agreement_input(dict(form), lists))
            code = agreement.code
    except DomainError as error:
        errors = error.errors if isinstance(error, DomainErrors) else [error]
        return await _new_form(request, 400, values, errors)
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
