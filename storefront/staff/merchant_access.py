"""A merchant's API tokens and webhook subscriptions, from its page in the console.

A new token's secret, or a new subscription's signing secret, is shown once: on the page
that answers the POST (never cached, never kept in the session or anywhere else), and never
again; tiein keeps only a hash (tokens) or a salt (subscriptions). Revoking a token and
deleting a subscription are confirmed first."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kernel.errors import Checks, DomainError
from kernel.parsing import clean_text
from licensing.accounts import Viewer
from licensing.merchants import merchant_by_slug
from licensing.models import ApiToken
from licensing.tokens import issue_api_token, parse_scopes, revoke_api_token_as
from licensing.webhook_urls import check_webhook_url
from licensing.webhooks import (
    WebhookSubscription,
    check_events,
    create_subscription,
    delete_subscription,
)
from storefront.staff.auth import current_staff, require_staff
from storefront.staff.common import (
    Confirmation,
    confirm_page,
    confirmed,
    flash,
    flash_error,
    path_id,
)
from storefront.staff.merchants import errors_of, merchant_page_response
from storefront.web import now, path_for, path_param, read_form, render

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _staff(request: Request) -> Viewer:
    user = current_staff(request)
    assert user is not None
    return Viewer(staff_user_id=int(user["id"]), name=str(user["username"]))


def _back(request: Request, slug: str) -> RedirectResponse:
    return RedirectResponse(path_for(request, "staff_merchant", slug=slug), status_code=303)


def _secret_page(request: Request, **context: object) -> Response:
    response = render(request, "staff/secret_once.html", **context)
    response.headers.update(NO_STORE)
    return response


@require_staff
async def issue_token(request: Request) -> Response:
    """POST: issue a token with the chosen scopes; the answer shows its secret once."""
    form = await read_form(request)
    slug = path_param(request, "slug")
    chosen = [str(s) for s in form.getlist("scopes")]
    label = str(form.get("name", ""))
    try:
        scopes = parse_scopes(",".join(chosen))
        async with request.app.state.db.session() as session:
            merchant = await merchant_by_slug(session, slug)
            token, secret = await issue_api_token(
                session, _staff(request), merchant_id=merchant.id, scopes=scopes, name=label
            )
            name = merchant.name
    except DomainError as error:
        if error.field == "slug":
            raise HTTPException(404) from None
        values = {"scopes": chosen, "name": label}
        return await merchant_page_response(
            request, slug, 400, token={"values": values, "errors": errors_of(error)}
        )
    return _secret_page(
        request,
        title=f"API token for {name}",
        what="token",
        secret=secret,
        details=f"Scopes: {token.scopes.replace(',', ', ')}. Label: {label or '(none)'}.",
        usage="Send it as `Authorization: Bearer <token>` to /graphql.",
        back=path_for(request, "staff_merchant", slug=slug),
    )


async def _merchants_row(request: Request, model: type[Any]) -> tuple[str, Any, Any]:
    """The merchant's slug, the merchant and its `model` row named by the path (404 for an unknown
    merchant, or a row of another merchant: never told apart)."""
    slug = path_param(request, "slug")
    pk = path_id(request)
    async with request.app.state.db.read_session() as session:
        try:
            merchant = await merchant_by_slug(session, slug)
        except DomainError:
            raise HTTPException(404) from None
        row = await session.get(model, pk)
    if row is None or row.merchant_id != merchant.id:
        raise HTTPException(404)
    return slug, merchant, row


@require_staff
async def revoke_token(request: Request) -> Response:
    """POST twice: what revoking does, then (`confirmed=yes`) revoke."""
    form = await read_form(request)
    slug, merchant, token = await _merchants_row(request, ApiToken)
    pk = token.id
    if token.revoked_at is not None:
        flash(request, "That token was revoked already; nothing changed.")
        return _back(request, slug)
    if not confirmed(form):
        shown = f"{token.name or 'unnamed'} ({token.prefix}…)"
        return confirm_page(
            request,
            Confirmation(
                title=f"Revoke the token {shown}",
                action=path_for(request, "staff_merchant_revoke_token", slug=slug, id=str(pk)),
                consequences=[
                    f"Every request {merchant.name} makes with the token {shown} is refused "
                    "from now on.",
                    "This cannot be undone: issue a new token to give access again.",
                ],
                button="Yes, revoke the token",
                cancel=path_for(request, "staff_merchant", slug=slug),
            ),
        )
    try:
        async with request.app.state.db.session() as session:
            await revoke_api_token_as(session, _staff(request), pk, now=now(request))
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"The token {token.prefix}… is revoked.")
    return _back(request, slug)


@require_staff
async def add_webhook(request: Request) -> Response:
    """POST: subscribe a URL to events; the answer shows the signing secret once. The URL is
    checked and resolved, and the key loaded, before the write transaction begins."""
    form = await read_form(request)
    slug = path_param(request, "slug")
    url = clean_text(form.get("url"), field="url", max_len=4000)
    events = [str(e) for e in form.getlist("events")]
    key = await request.app.state.secret_key.load(request.app.state.db)
    checks = Checks()
    target = None
    with checks:
        allow = request.app.state.settings.webhook_allow_private
        target = await check_webhook_url(url, allow_private=allow)
    with checks:
        check_events(events)
    try:
        checks.done()
        async with request.app.state.db.session() as session:
            merchant = await merchant_by_slug(session, slug)
            subscription, secret = await create_subscription(
                session,
                merchant_id=merchant.id,
                url=url,
                events=events,
                key=key,
                now=now(request),
                checked=target,
            )
            name = merchant.name
    except DomainError as error:
        if error.field == "slug":
            raise HTTPException(404) from None
        found = errors_of(error)
        for e in found:  # one message for the event boxes, not one per box
            if (e.field or "").startswith("events"):
                e.field = "events"
        values = {"url": url, "events": events}
        return await merchant_page_response(
            request, slug, 400, webhook={"values": values, "errors": found}
        )
    return _secret_page(
        request,
        title=f"Webhook subscription for {name}",
        what="signing secret",
        secret=secret,
        details=f"{subscription.url} receives {', '.join(subscription.events)}.",
        usage="It is the HMAC-SHA256 key that verifies the Tiein-Signature header.",
        back=path_for(request, "staff_merchant", slug=slug),
    )


@require_staff
async def delete_webhook(request: Request) -> Response:
    """POST twice: what deleting does, then (`confirmed=yes`) delete."""
    form = await read_form(request)
    slug, merchant, subscription = await _merchants_row(request, WebhookSubscription)
    pk = subscription.id
    if subscription.deleted_at is not None:
        flash(request, "That subscription was deleted already; nothing changed.")
        return _back(request, slug)
    if not confirmed(form):
        return confirm_page(
            request,
            Confirmation(
                title=f"Delete the subscription of {subscription.url}",
                action=path_for(request, "staff_merchant_delete_webhook", slug=slug, id=str(pk)),
                consequences=[
                    f"{subscription.url} receives no more events for {merchant.name}; "
                    "deliveries still waiting are not sent.",
                    "Its deliveries stay listed. To receive events again, subscribe anew "
                    "(a new signing secret).",
                ],
                button="Yes, delete the subscription",
                cancel=path_for(request, "staff_merchant", slug=slug),
            ),
        )
    try:
        async with request.app.state.db.session() as session:
            await delete_subscription(session, pk, merchant_id=merchant.id, now=now(request))
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"The subscription of {subscription.url} is deleted.")
    return _back(request, slug)


routes = [
    Route(
        "/staff/merchants/{slug}/tokens",
        issue_token,
        methods=["POST"],
        name="staff_merchant_tokens",
    ),
    Route(
        "/staff/merchants/{slug}/tokens/{id}/revoke",
        revoke_token,
        methods=["POST"],
        name="staff_merchant_revoke_token",
    ),
    Route(
        "/staff/merchants/{slug}/webhooks",
        add_webhook,
        methods=["POST"],
        name="staff_merchant_webhooks",
    ),
    Route(
        "/staff/merchants/{slug}/webhooks/{id}/delete",
        delete_webhook,
        methods=["POST"],
        name="staff_merchant_delete_webhook",
    ),
]
