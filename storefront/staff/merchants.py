"""Merchants: the list, onboarding a merchant, and one merchant's page (details and contacts,
agreements, products, API tokens, webhook subscriptions). Tokens and subscriptions are
issued and revoked in storefront.staff.merchant_access; every rule is licensing's."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.countries import country_choices, country_name
from kernel.errors import DomainError, DomainErrors
from licensing.merchant_overview import merchant_list, merchant_overview
from licensing.merchants import (
    ROLES,
    ContactInput,
    create_merchant,
    merchant_by_slug,
    suggest_slug,
    update_merchant,
)
from licensing.models import TokenScope
from licensing.webhooks import EVENTS
from storefront.staff.auth import require_staff
from storefront.staff.common import flash, page
from storefront.web import path_for, path_param, read_form

BLANK_CONTACT_ROWS = 2  # empty rows offered under the filled ones
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_role")


SCOPE_NOTES = {
    TokenScope.READ.value: "read the merchant's agreements, products, orders and statements",
    TokenScope.WRITE.value: "change its products and stock, submit designs and sales reports",
    TokenScope.TOKENS.value: "issue and revoke the merchant's own tokens",
}


def errors_of(error: DomainError) -> list[DomainError]:
    return error.errors if isinstance(error, DomainErrors) else [error]


def field_errors(errors: list[DomainError]) -> dict[str, str]:
    """field → message (the first refusal of each field)."""
    found: dict[str, str] = {}
    for e in errors:
        found.setdefault(e.field or "", e.message)
    return found


def contact_rows(form: FormData) -> list[tuple[str, str, str]]:
    """The contact rows of a form that hold a name or an e-mail, in order."""
    names, emails, roles = (form.getlist(k) for k in CONTACT_FIELDS)
    rows = []
    for n in range(max(len(names), len(emails), len(roles))):
        row = tuple(str(col[n]) if n < len(col) else "" for col in (names, emails, roles))
        if row[0].strip() or row[1].strip():
            rows.append(row)
    return rows  # type: ignore[return-value]


def with_blanks(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    blank_role = ROLES[0] if not rows else ""
    blanks = [("", "", blank_role)] + [("", "", "")] * (BLANK_CONTACT_ROWS - 1)
    return rows + blanks


def _contact_inputs(rows: list[tuple[str, str, str]]) -> list[ContactInput]:
    return [ContactInput(name, email, role) for name, email, role in rows]


def _choices() -> dict[str, Any]:
    return {"countries": list(country_choices().items()), "roles": ROLES}


@require_staff
async def merchants_page(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        rows = await merchant_list(session)
    return page(request, "staff/merchants.html", merchants=rows, country_name=country_name)


async def _new_form(
    request: Request, status_code: int, values: dict[str, str], rows: list, errors: list
) -> Response:
    return page(
        request,
        "staff/merchant_new.html",
        status_code,
        values=values,
        contacts=with_blanks(rows),
        field_errors=field_errors(errors),
        codes=" ".join(sorted({str(e.code) for e in errors})),
        **_choices(),
    )


@require_staff
async def new_merchant(request: Request) -> Response:
    """GET: the onboarding form. POST: onboard; a blank slug is made from the name."""
    if request.method == "GET":
        return await _new_form(request, 200, {}, [], [])
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in ("name", "slug", "country")}
    rows = contact_rows(form)
    slug = values["slug"].strip() or suggest_slug(values["name"])
    try:
        async with request.app.state.db.session() as session:
            merchant = await create_merchant(
                session,
                slug=slug,
                name=values["name"],
                country=values["country"],
                contacts=_contact_inputs(rows),
            )
            slug = merchant.slug
    except DomainError as error:
        if not values["slug"].strip() and slug:
            values["slug"] = slug  # the suggestion, to keep or change
        return await _new_form(request, 400, values, rows, errors_of(error))
    flash(request, f"{values['name'].strip()} is onboarded. Sign its first agreement below.")
    return RedirectResponse(path_for(request, "staff_merchant", slug=slug), status_code=303)


async def merchant_page_response(
    request: Request, slug: str, status_code: int = 200, **forms: Any
) -> Response:
    """The merchant's page; `forms` holds a refused form's values and errors, to show again:
    `details` (values, rows, errors), `token` (values, errors), `webhook` (values, errors)."""
    async with request.app.state.db.read_session() as session:
        try:
            overview = await merchant_overview(session, slug)
        except DomainError:
            raise HTTPException(404) from None
    merchant = overview.merchant
    details = forms.get("details") or {
        "values": {"name": merchant.name, "country": merchant.country},
        "rows": [(c.name, c.email, c.role) for c in overview.contacts],
        "errors": [],
    }
    token = forms.get("token") or {
        "values": {"scopes": [TokenScope.READ.value, TokenScope.WRITE.value]},
        "errors": [],
    }
    webhook = forms.get("webhook") or {"values": {"events": []}, "errors": []}
    refused = details["errors"] + token["errors"] + webhook["errors"]
    return page(
        request,
        "staff/merchant.html",
        status_code,
        o=overview,
        m=merchant,
        country_name=country_name,
        details=details["values"],
        contacts=with_blanks(details["rows"]),
        details_errors=field_errors(details["errors"]),
        token_form=token["values"],
        token_errors=field_errors(token["errors"]),
        webhook_form=webhook["values"],
        webhook_errors=field_errors(webhook["errors"]),
        codes=" ".join(sorted({str(e.code) for e in refused})),
        scopes=SCOPE_NOTES,
        events=EVENTS,
        **_choices(),
    )


@require_staff
async def merchant_page(request: Request) -> Response:
    return await merchant_page_response(request, path_param(request, "slug"))


@require_staff
async def update_details(request: Request) -> Response:
    """POST: the merchant's name, country and contacts (the rows replace every contact)."""
    form = await read_form(request)
    slug = path_param(request, "slug")
    values = {k: str(form.get(k, "")) for k in ("name", "country")}
    rows = contact_rows(form)
    try:
        async with request.app.state.db.session() as session:
            merchant = await merchant_by_slug(session, slug)
            await update_merchant(
                session,
                merchant.id,
                name=values["name"],
                country=values["country"],
                contacts=_contact_inputs(rows),
            )
    except DomainError as error:
        if error.field == "slug":
            raise HTTPException(404) from None
        details = {"values": values, "rows": rows, "errors": errors_of(error)}
        return await merchant_page_response(request, slug, 400, details=details)
    flash(request, "The merchant's details and contacts are saved.")
    return RedirectResponse(path_for(request, "staff_merchant", slug=slug), status_code=303)


routes = [
    Route("/staff/merchants", merchants_page, methods=["GET"], name="staff_merchants"),
    Route("/staff/merchants/new", new_merchant, methods=["GET", "POST"], name="staff_new_merchant"),
    Route("/staff/merchants/{slug}", merchant_page, methods=["GET"], name="staff_merchant"),
    Route(
        "/staff/merchants/{slug}/details",
        update_details,
        methods=["POST"],
        name="staff_merchant_details",
    ),
]
