"""Checkout, the card step and the order page. The views only call `orders` services and
turn their DomainErrors into messages next to the field they are about."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog.tickets import ticket_qr_svg
from kernel.errors import DomainError
from kernel.i18n import N_
from kernel.parsing import clean_text
from orders.addresses import (
    FIELD_PREFIX,
    PARTS,
    AddressField,
    address_fields,
    format_lines,
    load_shipping_address,
)
from orders.card_step import confirm_with_token
from orders.cart import Cart
from orders.cart_summary import cart_summary
from orders.checkout import order_by_access, place_order
from orders.fulfilment_views import fulfilments_of_order
from orders.models import Order, OrderStatus
from orders.payments import StripeGateway
from orders.promo_checkout import AppliedPromo
from storefront.shop import queries
from storefront.shop.cart import current_cart, save_cart, shown_films
from storefront.shop.common import (
    check_csrf_header,
    clean_country,
    database,
    flash,
    now,
    pop_flash,
    reading,
    shopper_country,
)
from storefront.shop.line_words import bundle_offers, film_titles
from storefront.shop.order_access import order_from_link
from storefront.shop.promo import cart_code, quote_shown, remember, same_code
from storefront.shop.promo_guard import promo_check_refused
from storefront.shop.recommendations import Recommendations, also_bought, order_sources
from storefront.shop.referrals import referral_campaign
from storefront.shop.refusals import (
    address_label,
    country_names,
    decline_words,
    refusal_words,
    refusals_of,
    summary_words,
)
from storefront.web import path_param, query_param, read_form, render, request_language, t

# The checkout form's contact fields and the longest text each takes; the address fields
# (`shipping_<part>`) are checked, each with its own message, by `orders.addresses`.
FORM_FIELDS = {"email": 254, "country": 100, "promo_code": 100}
ADDRESS_FIELDS = [FIELD_PREFIX + part for part in PARTS]
# The browser's autofill names of the address parts.
AUTOCOMPLETE = {
    "name": "shipping name",
    "line1": "shipping address-line1",
    "line2": "shipping address-line2",
    "city": "shipping address-level2",
    "area": "shipping address-level1",
    "postcode": "shipping postal-code",
    "phone": "shipping tel",
}
STATUS_WORDS = {
    OrderStatus.PENDING_PAYMENT: N_("Awaiting payment"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.CANCELLED: N_("Cancelled"),
    OrderStatus.EXPIRED: N_("Expired (not paid in time)"),
    OrderStatus.PARTIALLY_REFUNDED: N_("Partly refunded"),
    OrderStatus.REFUNDED: N_("Refunded"),
}


def order_url(order: Order, key: str) -> str:
    return f"/orders/{order.number}?{urlencode({'key': key})}"


def pay_url(order: Order, key: str) -> str:
    return f"/pay/{order.number}?{urlencode({'key': key})}"


def _gateway(request: Request) -> StripeGateway | None:
    """The app's Stripe gateway (None when no keys are configured): one connection pool for
    every request, closed with the app."""
    return request.app.state.gateway


def _address_form(country: str) -> list[AddressField]:
    """The country's address fields; none for a code the address data does not know (the
    order is then refused on its country)."""
    try:
        return address_fields(country)
    except DomainError:
        return []


def _form_errors(
    request: Request, exc: DomainError, fields: set[str]
) -> tuple[dict[str, str], list[str]]:
    """Each refusal next to its field, in the shopper's language; those about no field of
    the form above it."""
    errors: dict[str, str] = {}
    messages: list[str] = []
    for error in refusals_of(exc):
        words = refusal_words(request, error)
        if error.field in fields:
            errors.setdefault(error.field, words)
        elif words not in messages:
            messages.append(words)
    return errors, messages


async def _checkout_page(
    request: Request,
    cart: Cart,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    messages: list[str],
    status_code: int = 200,
    remember_code: bool = False,
) -> Response:
    """The checkout form; with `remember_code` (the shopper applied the code here) a code
    the quote accepts, or an emptied field, becomes the cart's code too."""
    country = clean_country(values.get("country")) or shopper_country(request)
    promo: AppliedPromo | None = None
    async with reading(request) as session:
        summary = await cart_summary(session, cart, country=country, now=now(request))
        titles = await film_titles(session, shown_films(summary), request_language(request))
        if "promo_code" not in errors:  # the discount per line, shown before the order
            promo, refused = await quote_shown(
                request, session, cart, summary, values.get("promo_code", ""),
                country=country, now=now(request),
            )  # fmt: skip
            if refused is not None:
                errors = {**errors, "promo_code": refused}
    if remember_code and (promo is not None or not values.get("promo_code")):
        remember(request, promo.code.code if promo is not None else None)
    return render(
        request,
        "checkout/checkout.html",
        status_code,
        promo=promo,
        summary=summary_words(request, summary),
        values=values,
        errors=errors,
        messages=messages + [m for m in summary.errors if m not in messages],
        countries=country_names(request_language(request)),
        country=country,
        needs_shipping=cart.ships_merch,
        address_fields=_address_form(country),
        autocomplete=AUTOCOMPLETE,
        address_label=lambda label: address_label(request_language(request), label),
        flashes=pop_flash(request),
        film_titles=titles,
    )


async def checkout_form(request: Request) -> Response:
    """GET /checkout: the cart once more, and the email, country and (for merch) the
    shipping address, with the fields of the shopper's country."""
    cart = current_cart(request)
    if not cart.items:
        return RedirectResponse("/cart", 303)
    values = {"country": shopper_country(request), "promo_code": cart_code(request)}
    return await _checkout_page(request, cart, values=values, errors={}, messages=[])


async def checkout_submit(request: Request) -> Response:
    """POST /checkout: place the order (every line checked again, items reserved, a
    PaymentIntent created) and go to the card step; on any refusal nothing changes and the
    form comes back with each reason next to its field. When the shopper chose another
    country than the one whose address fields the form showed (`address_country`), the
    form comes back with that country's fields first, without JavaScript."""
    form = await read_form(request)
    cart = current_cart(request)
    if not cart.items:
        return RedirectResponse("/cart", 303)
    values = {
        name: clean_text(form.get(name), field=name, max_len=max_len)
        for name, max_len in FORM_FIELDS.items()
    }
    values["country"] = values["country"].upper()
    # Address parts go to the service as typed (read_form refused control characters and
    # huge values): it answers each bad part in words next to its field.
    values.update({name: str(form.get(name) or "").strip() for name in ADDRESS_FIELDS})
    typed = values["promo_code"]
    # A code the cart already took was checked then: only another one takes a check.
    checked = not typed or same_code(typed, cart_code(request))
    if not checked and (refused := await promo_check_refused(request)):
        return await _checkout_page(
            request, cart, values=values, errors={"promo_code": refused}, messages=[],
            status_code=429,
        )  # fmt: skip
    needs_shipping = cart.ships_merch
    shown = str(form.get("address_country") or values["country"]).upper()
    if needs_shipping and shown != values["country"]:
        where = country_names(request_language(request)).get(values["country"], "")
        flash(
            request,
            t(
                request,
                "The address form now asks for an address in %(country)s: check it, then continue.",
                country=where,
            ),
        )
        return await _checkout_page(request, cart, values=values, errors={}, messages=[])
    if form.get("apply"):  # "Apply" the promo code: the page again, with its discount
        return await _checkout_page(
            request, cart, values=values, errors={}, messages=[], remember_code=True
        )
    shipping = {name.removeprefix(FIELD_PREFIX): values[name] for name in ADDRESS_FIELDS}
    settings = request.app.state.settings
    try:
        placed = await place_order(  # commits as it goes: no lock held during Stripe
            database(request),
            cart,
            email=values["email"],
            country=values["country"],
            shipping=shipping if needs_shipping else None,
            now=now(request),
            gateway=_gateway(request),
            reservation_minutes=settings.reservation_minutes,
            language=request_language(request),
            promo_code=values["promo_code"] or None,
            campaign_id=referral_campaign(request, now(request)),
        )
    except DomainError as exc:
        errors, messages = _form_errors(request, exc, {*FORM_FIELDS, *ADDRESS_FIELDS, "promoCode"})
        if "promoCode" in errors:
            errors["promo_code"] = errors.pop("promoCode")
        return await _checkout_page(
            request, cart, values=values, errors=errors, messages=messages, status_code=400
        )
    save_cart(request, Cart())
    remember(request, None)
    request.session["country"] = placed.order.country
    if placed.order.status != OrderStatus.PENDING_PAYMENT:  # nothing to pay
        return RedirectResponse(order_url(placed.order, placed.access_key), 303)
    return RedirectResponse(pay_url(placed.order, placed.access_key), 303)


async def _order_for(request: Request, session: Any, number: str, key: str) -> Order:
    """The order behind an unguessable link; a wrong or missing key is a plain 404."""
    order = await order_by_access(session, number, key)
    if order is None:
        raise HTTPException(404)
    return order


async def pay(request: Request) -> Response:
    """GET /pay/{number}?key=…: the card step (Stripe.js Card Element)."""
    key = query_param(request, "key")
    async with reading(request) as session:
        order = await _order_for(request, session, path_param(request, "number"), key)
        page = await queries.order_page(session, order.id)
        words = await _line_words(session, page, request_language(request))
    if order.status != OrderStatus.PENDING_PAYMENT:
        return RedirectResponse(order_url(order, key), 303)
    settings = request.app.state.settings
    expired = order.expires_at <= now(request)
    response = render(
        request,
        "checkout/pay.html",
        order=order,
        page=page,
        key=key,
        expired=expired,
        stripe_js_url=settings.stripe_js_url,
        publishable_key=settings.stripe_publishable_key,
        payments_configured=bool(settings.stripe_secret_key and settings.stripe_publishable_key),
        confirm_url=f"/pay/{order.number}/confirm",
        status_url=f"/orders/{order.number}/status?{urlencode({'key': key})}",
        order_url=order_url(order, key),
        **words,
    )
    _private(response)
    return response


async def _line_words(session: Any, page: queries.OrderPage, language: str) -> dict[str, Any]:
    """What `orders/_lines.html` needs to name the lines: films in the shopper's language
    and the bundle offers (a statement each, whatever the number of lines)."""
    films = [showtime.film for showtime in page.showtimes.values()]
    return {
        "film_titles": await film_titles(session, films, language),
        "offers": await bundle_offers(session, page.lines),
    }


def _private(response: Response) -> None:
    """Pages whose URL carries the order's key: never cached, never sent as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"


async def pay_confirm(request: Request) -> Response:
    """POST /pay/{number}/confirm (JSON from pay.js): the card token goes to Stripe through
    `orders.checkout.confirm_with_token`; the answer says what the page does next."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse(
            {"status": "error", "message": t(request, "The request did not arrive whole.")}, 400
        )
    check_csrf_header(request, request.headers.get("x-csrf-token") or body.get("csrf_token"))
    number = path_param(request, "number")
    key = clean_text(body.get("key"), field="key", max_len=200)
    token = clean_text(body.get("token"), field="token", max_len=200)
    async with reading(request) as session:
        order = await _order_for(request, session, number, key)
    gateway = _gateway(request)
    if gateway is None:
        return JSONResponse(
            {
                "status": "error",
                "message": t(request, "Card payments are not configured on this site right now."),
            },
            503,
        )
    try:
        # No session is open while Stripe is asked: the service reads, asks, then records.
        step = await confirm_with_token(
            database(request), order.id, token, gateway=gateway, now=now(request)
        )
    except DomainError as exc:
        return JSONResponse({"status": "error", "message": refusal_words(request, exc)}, 409)
    return JSONResponse(
        {
            "status": step.status,
            "client_secret": step.client_secret,
            "message": decline_words(request, step.code, step.message) if step.message else "",
            "next": order_url(order, key),
        }
    )


async def order_status(request: Request) -> Response:
    """GET /orders/{number}/status?key=…: the order's status, for the pay page to poll."""
    async with reading(request) as session:
        order = await _order_for(
            request, session, path_param(request, "number"), query_param(request, "key")
        )
    return JSONResponse({"status": order.status.value}, headers={"Cache-Control": "no-store"})


async def order(request: Request) -> Response:
    """GET /orders/{number}?key=… (or an e-mail's ?token=…): status, lines, bundle contents,
    shipments and what is still to ship, e-tickets, refunds."""
    key = query_param(request, "key")
    async with reading(request) as session:
        found = await order_from_link(request, session, path_param(request, "number"), key)
        page = await queries.order_page(session, found.id)
        fulfilments = await fulfilments_of_order(session, found.id)
        address = await load_shipping_address(session, found.id)
        words = await _line_words(session, page, request_language(request))
        recommended = Recommendations(
            await also_bought(session, order_sources(page), country=found.country, now=now(request))
        )
    qr = {
        ticket.code: ticket_qr_svg(ticket.code)
        for tickets in page.tickets.values()
        for ticket in tickets
        if ticket.voided_at is None
    }
    response = render(
        request,
        "orders/order.html",
        order=found,
        page=page,
        fulfilments=fulfilments,
        key=key,
        qr=qr,
        status_words=t(request, STATUS_WORDS.get(found.status, found.status.value)),
        **words,
        pay_url=pay_url(found, key),
        address_lines=format_lines(address) if address else [],
        flashes=pop_flash(request),
        recommendations=recommended,
        payable=bool(key)  # the card step takes checkout's key
        and found.status == OrderStatus.PENDING_PAYMENT
        and found.expires_at > now(request),
    )
    _private(response)
    return response
