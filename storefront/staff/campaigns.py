"""Campaigns in the console (SPEC §9): the list with a form to create one (films, channel,
dates, referral code), and one campaign's page with its promo codes, a form to add one, and
its attribution report of a period as a chart, a table and a CSV equal to the table.

Dates are whole UTC days: a campaign or code runs from the start of its first day to the end
of its last one. A percentage is typed as a percent ("12.5"), stored in bps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import Film
from kernel.errors import Checks, DomainError, DomainErrors
from kernel.money import check_currency, parse_amount
from kernel.parsing import clean_text, parse_optional_int
from kernel.periods import check_period, period_of
from orders.promotion_models import Campaign, CampaignChannel, PromoCode, PromoKind, PromoScope
from orders.promotions import PromoError, create_campaign, create_promo_code
from reports.campaigns import CampaignReport, campaign_report
from storefront.staff.auth import require_staff
from storefront.staff.campaign_report import report_charts, report_table
from storefront.staff.common import flash, known_periods, page, path_id, period_choices
from storefront.staff.tables import csv_response
from storefront.web import now, path_for, query_param, read_form

LABELS = {
    "name": "Name", "channel": "Channel", "filmIds": "Films", "startsAt": "First day",
    "endsAt": "Last day", "referralCode": "Referral code", "code": "Code", "kind": "Kind",
    "percentBps": "Percentage", "amountMinor": "Amount", "currency": "Currency",
    "scope": "Applies to", "validFrom": "First day", "validTo": "Last day",
    "minSubtotalMinor": "Minimum", "useLimit": "Uses in all", "perEmailLimit": "Uses per e-mail",
    "period": "Period",
}  # fmt: skip
_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")


def in_words(error: DomainError) -> list[str]:
    """Each refusal as a sentence naming the form's field ("Last day: …")."""
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    out = []
    for one in errors:
        label = LABELS.get(one.field or "", "")
        out.append(f"{label}: {one.message}" if label else one.message)
    return out


def _day(value: object, field: str, *, last: bool = False) -> datetime:
    """A YYYY-MM-DD day as a UTC moment: its start, or the end of it when `last`."""
    text = clean_text(value, field=field, max_len=10, required=True)
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        day = date.fromisoformat(text)
        moment = datetime.combine(day, time(), tzinfo=UTC)
        return moment + timedelta(days=1) if last else moment
    except (ValueError, OverflowError):  # 9999-12-31 has no next day
        raise DomainError(PromoError.INVALID, "Give a date like 2026-05-01.", field) from None


def _percent_bps(value: object) -> int:
    text = clean_text(value, field="percentBps", max_len=10, required=True)
    if not _PERCENT.fullmatch(text):
        raise DomainError(
            PromoError.INVALID_PERCENT, "Give a percentage like 10 or 12.5.", "percentBps"
        )
    return int(Decimal(text) * 100)


async def _films(session: Any) -> list[Film]:
    return list(await session.scalars(select(Film).order_by(Film.title, Film.id)))


async def _list_page(request: Request, status: int = 200, **context: Any) -> Response:
    async with request.app.state.db.read_session() as session:
        campaigns = list(
            await session.scalars(
                select(Campaign)
                .options(selectinload(Campaign.films))
                .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
                .limit(500)
            )
        )
        films = await _films(session)
    return page(
        request,
        "staff/campaigns.html",
        status,
        campaigns=campaigns,
        films=films,
        film_titles={f.id: f.title for f in films},
        channels=[c.value for c in CampaignChannel],
        errors=context.get("errors", []),
        values=context.get("values", {}),
        chosen_films=context.get("chosen_films", set()),
    )


@require_staff
async def campaigns_page(request: Request) -> Response:
    return await _list_page(request)


@require_staff
async def add_campaign(request: Request) -> Response:
    form = await read_form(request)
    keys = ("name", "channel", "starts_on", "ends_on", "referral_code")
    values = {k: form.get(k, "") for k in keys}
    raw_films = form.getlist("film_ids")[:100]
    chosen = {int(v) for v in raw_films if isinstance(v, str) and v.isdigit() and len(v) < 10}
    checks = Checks()
    starts_at = ends_at = datetime.now(UTC)
    with checks:
        starts_at = _day(values["starts_on"], "startsAt")
    with checks:
        ends_at = _day(values["ends_on"], "endsAt", last=True)
    if len(chosen) != len(raw_films):
        checks.add(DomainError(PromoError.UNKNOWN_FILM, "A film chosen does not exist.", "filmIds"))
    try:
        checks.done()
        async with request.app.state.db.session() as session:
            campaign = await create_campaign(
                session,
                name=values["name"],
                channel=values["channel"],
                film_ids=sorted(chosen),
                starts_at=starts_at,
                ends_at=ends_at,
                referral_code=values["referral_code"] or None,
            )
    except DomainError as error:
        return await _list_page(
            request, 400, errors=in_words(error), values=values, chosen_films=chosen
        )
    flash(request, f"The campaign {campaign.name} was created. Add its promo codes next.")
    return RedirectResponse(path_for(request, "staff_campaign", id=campaign.id), status_code=303)


async def _report(request: Request, campaign_id: int) -> tuple[str, CampaignReport]:
    period = check_period(query_param(request, "period", 16) or period_of(now(request)))
    async with request.app.state.db.read_session() as session:
        return period, await campaign_report(session, campaign_id, period)


async def _campaign_page(
    request: Request, campaign_id: int, status: int = 200, **context: Any
) -> Response:
    async with request.app.state.db.read_session() as session:
        campaign = await session.scalar(
            select(Campaign).where(Campaign.id == campaign_id).options(selectinload(Campaign.films))
        )
        if campaign is None:
            raise HTTPException(404)
        codes = list(
            await session.scalars(
                select(PromoCode).where(PromoCode.campaign_id == campaign_id).order_by(PromoCode.id)
            )
        )
        films = await _films(session)
        known = await known_periods(session)
    current = period_of(now(request))
    report = report_error = None
    period = query_param(request, "period", 16) or current
    try:
        period, report = await _report(request, campaign_id)
    except DomainError as error:
        report_error = in_words(error)[0]
    return page(
        request,
        "staff/campaign.html",
        status if report_error is None else 400,
        campaign=campaign,
        codes=codes,
        film_titles={f.id: f.title for f in films},
        kinds=[k.value for k in PromoKind],
        scopes=[s.value for s in PromoScope],
        errors=context.get("errors", []),
        values=context.get("values", {}),
        period=period,
        periods=period_choices(known, current, chosen=period if report else ""),
        report_error=report_error,
        table=report_table(report) if report else None,
        charts=report_charts(report, campaign.name) if report else [],
        csv_url=f"{path_for(request, 'staff_campaign_csv', id=campaign_id)}?period={period}",
    )


@require_staff
async def campaign_page(request: Request) -> Response:
    return await _campaign_page(request, path_id(request))


@require_staff
async def add_code(request: Request) -> Response:
    campaign_id = path_id(request)
    form = await read_form(request)
    keys = ("code", "kind", "percent", "amount", "currency", "scope", "valid_from", "valid_to",
            "minimum", "use_limit", "per_email_limit", "campaign_films_only")  # fmt: skip
    values = {k: form.get(k, "") for k in keys}
    checks = Checks()
    fields: dict[str, Any] = {"percent_bps": None, "amount_minor": None, "currency": None}
    valid_from = valid_to = datetime.now(UTC)
    with checks:
        valid_from = _day(values["valid_from"], "validFrom")
    with checks:
        valid_to = _day(values["valid_to"], "validTo", last=True)
    if values["currency"]:
        with checks:
            fields["currency"] = check_currency(str(values["currency"]).upper())
    if values["kind"] == PromoKind.PERCENT:
        with checks:
            fields["percent_bps"] = _percent_bps(values["percent"])
    elif values["kind"] == PromoKind.FIXED and fields["currency"]:
        with checks:
            fields["amount_minor"] = parse_amount(
                values["amount"], fields["currency"], field="amountMinor"
            )
    minimum = 0
    if values["minimum"] and not fields["currency"] and not values["currency"]:
        checks.add(
            DomainError(PromoError.UNKNOWN_CURRENCY, "A minimum needs a currency.", "currency")
        )
    if values["minimum"] and fields["currency"]:
        with checks:
            minimum = parse_amount(values["minimum"], fields["currency"], field="minSubtotalMinor")
    limits = {}
    for key, field in (("use_limit", "useLimit"), ("per_email_limit", "perEmailLimit")):
        with checks:
            limits[key] = parse_optional_int(values[key], field=field, min=1, max=10_000_000)
    try:
        checks.done()
        async with request.app.state.db.session() as session:
            if await session.get(Campaign, campaign_id) is None:
                raise HTTPException(404)
            promo = await create_promo_code(
                session,
                campaign_id=campaign_id,
                code=values["code"],
                kind=values["kind"],
                valid_from=valid_from,
                valid_to=valid_to,
                scope=values["scope"] or PromoScope.ANY,
                campaign_films_only=values["campaign_films_only"] == "yes",
                min_subtotal_minor=minimum,
                **fields,
                **limits,
            )
    except DomainError as error:
        return await _campaign_page(
            request, campaign_id, 400, errors=in_words(error), values=values
        )
    flash(request, f"The promo code {promo.code} was created.")
    return RedirectResponse(path_for(request, "staff_campaign", id=campaign_id), status_code=303)


@require_staff
async def campaign_csv(request: Request) -> Response:
    campaign_id = path_id(request)
    try:
        period, report = await _report(request, campaign_id)
    except DomainError as error:
        if error.code == PromoError.UNKNOWN_CAMPAIGN:
            raise HTTPException(404) from None
        return Response(in_words(error)[0], status_code=400, media_type="text/plain")
    return csv_response(report_table(report), f"campaign-{campaign_id}-{period}.csv")


routes = [
    Route("/staff/campaigns", campaigns_page, methods=["GET"], name="staff_campaigns"),
    Route("/staff/campaigns", add_campaign, methods=["POST"], name="staff_add_campaign"),
    Route("/staff/campaigns/{id}", campaign_page, methods=["GET"], name="staff_campaign"),
    Route("/staff/campaigns/{id}/codes", add_code, methods=["POST"], name="staff_add_promo_code"),
    Route(
        "/staff/campaigns/{id}/report.csv", campaign_csv, methods=["GET"], name="staff_campaign_csv"
    ),
]
