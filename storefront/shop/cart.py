"""The cart pages: add, change, remove. The cart lives in the signed session cookie; every
change is checked by `orders.cart` (licensing, stock, seats, limits) and a refusal comes back
to the shopper in words."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog.models import Film
from kernel.errors import DomainError
from kernel.parsing import clean_text, parse_choice, parse_id, parse_int
from orders.cart import MAX_ITEMS, MAX_QUANTITY, Cart, CartItem, add_to_cart, price_item
from orders.cart_summary import CartSummary, cart_summary
from orders.promo_checkout import quote_cart
from storefront.shop.common import (
    country_context,
    flash,
    now,
    pop_flash,
    reading,
    safe_next,
    shopper_country,
)
from storefront.shop.line_words import film_titles
from storefront.shop.promo import FIELD as PROMO_FIELD
from storefront.shop.promo import MAX_LEN as PROMO_MAX_LEN
from storefront.shop.promo import cart_code, quote_shown, remember, same_code
from storefront.shop.promo_guard import promo_check_refused
from storefront.shop.recommendations import Recommendations, also_bought, cart_sources
from storefront.shop.refusals import refusal_words, summary_words
from storefront.web import read_form, render, request_language, t

SESSION_KEY = "cart"


def shown_films(summary: CartSummary) -> list[Film]:
    """The films of the cart's tickets and bundles (loaded with their showtimes)."""
    return [
        line.priced.showtime.film
        for line in summary.lines
        if line.priced is not None and line.priced.showtime is not None
    ]


def current_cart(request: Request) -> Cart:
    return Cart.from_session(request.session.get(SESSION_KEY))


def save_cart(request: Request, cart: Cart) -> None:
    request.session[SESSION_KEY] = cart.to_session()


def _item_from_form(form: FormData) -> CartItem | None:
    """The item a form asks for; None for a quantity outside 1..MAX_QUANTITY. A malformed
    field raises InvalidInput (a 400)."""
    qty = parse_int(form.get("qty") or "1", field="qty", min=0)
    if not 1 <= qty <= MAX_QUANTITY:
        return None
    kind = parse_choice(form.get("kind"), ("product", "ticket", "bundle"), field="kind")
    if kind == "product":
        sku = clean_text(form.get("sku"), field="sku", max_len=64, required=True)
        return CartItem.product(sku, qty)
    showtime = parse_id(form.get("showtime_id"), field="showtime_id")
    if kind == "ticket":
        return CartItem.ticket(showtime, qty)
    # The sizes chosen for the bundle's components: `choice_<position>` = a variant id.
    choices = {
        parse_int(key.removeprefix("choice_"), field=key, min=1, max=99): parse_id(
            form.get(key), field=key
        )
        for key in list(form.keys())[:40]
        if key.startswith("choice_")
    }
    offer = parse_id(form.get("offer_id"), field="offer_id")
    return CartItem.bundle(offer, showtime, qty, choices)


async def add(request: Request) -> Response:
    """POST /cart/add: a product, tickets or a bundle, checked before it goes in."""
    form = await read_form(request)
    back = safe_next(form.get("next"), "/cart")
    item = _item_from_form(form)
    if item is None:
        flash(
            request,
            t(request, "Choose a quantity between %(low)s and %(high)s.", low=1, high=MAX_QUANTITY),
            "error",
        )
        return RedirectResponse(back, 303)
    cart = current_cart(request)
    try:
        async with reading(request) as session:
            cart = await add_to_cart(
                session, cart, item, country=shopper_country(request), now=now(request)
            )
    except DomainError as exc:
        flash(request, refusal_words(request, exc), "error")
        return RedirectResponse(back, 303)
    save_cart(request, cart)
    flash(request, t(request, "Added to your cart."))
    return RedirectResponse("/cart", 303)


async def update(request: Request) -> Response:
    """POST /cart/update: set a line's quantity (0 removes it); a larger quantity is checked
    again (stock, seats, limits)."""
    form = await read_form(request)
    cart = current_cart(request)
    index = parse_int(form.get("index"), field="index", min=0, max=MAX_ITEMS)
    qty = parse_int(form.get("qty"), field="qty", min=0)
    if index >= len(cart) or qty > MAX_QUANTITY:
        flash(
            request,
            t(request, "Choose a quantity between %(low)s and %(high)s.", low=0, high=MAX_QUANTITY),
            "error",
        )
        return RedirectResponse("/cart", 303)
    changed = cart.with_quantity(index, qty)
    if qty > cart.items[index].qty:
        try:
            async with reading(request) as session:
                await price_item(
                    session,
                    changed.items[index],
                    country=shopper_country(request),
                    now=now(request),
                )
        except DomainError as exc:
            flash(request, refusal_words(request, exc), "error")
            return RedirectResponse("/cart", 303)
    save_cart(request, changed)
    flash(
        request,
        t(request, "Your cart was updated.") if qty else t(request, "Removed from your cart."),
    )
    return RedirectResponse("/cart", 303)


async def remove(request: Request) -> Response:
    """POST /cart/remove: drop a line."""
    form = await read_form(request)
    cart = current_cart(request)
    index = parse_int(form.get("index"), field="index", min=0, max=MAX_ITEMS)
    if index < len(cart):
        save_cart(request, cart.without(index))
        flash(request, t(request, "Removed from your cart."))
    return RedirectResponse("/cart", 303)


async def show(request: Request) -> Response:
    """GET /cart: every line priced now, with the reason for any line that cannot be bought,
    and the promo code's discount per line (or the reason it no longer applies)."""
    return await _cart_page(request, promo_value=cart_code(request))


async def _cart_page(
    request: Request,
    *,
    promo_value: str,
    promo_error: str | None = None,
    status_code: int = 200,
) -> Response:
    cart = current_cart(request)
    country = shopper_country(request)
    applied = cart_code(request)
    async with reading(request) as session:
        summary = await cart_summary(session, cart, country=country, now=now(request))
        titles = await film_titles(session, shown_films(summary), request_language(request))
        promo, refused = await quote_shown(
            request, session, cart, summary, applied, country=country, now=now(request)
        )
        recommended = Recommendations(
            await also_bought(session, cart_sources(cart), country=country, now=now(request))
        )
    return render(
        request,
        "cart/cart.html",
        status_code,
        summary=summary_words(request, summary),
        flashes=pop_flash(request),
        **country_context(request),
        max_quantity=MAX_QUANTITY,
        film_titles=titles,
        recommendations=recommended,
        promo=promo,
        promo_applied=applied,
        promo_value=promo_value,
        promo_error=promo_error or refused,
    )


async def promo_code(request: Request) -> Response:
    """POST /cart/promo: apply a promo code to the cart (one per cart; checked by checkout's
    own rules and remembered for checkout), or with `remove` take it off. A refused code
    comes back next to the field with its reason, and nothing is remembered."""
    form = await read_form(request)
    if form.get("remove"):
        if cart_code(request):
            remember(request, None)
            flash(request, t(request, "The promo code was removed."))
        return RedirectResponse("/cart", 303)
    typed = clean_text(form.get(PROMO_FIELD), field=PROMO_FIELD, max_len=PROMO_MAX_LEN)
    cart = current_cart(request)
    if not cart.items:
        return RedirectResponse("/cart", 303)
    applied = cart_code(request)
    error = None
    if not typed:
        error = t(request, "Enter a promo code.")
    elif applied and not same_code(typed, applied):
        error = t(
            request, "One promo code per order: remove %(code)s to use another.", code=applied
        )
    elif limited := await promo_check_refused(request):
        return await _cart_page(request, promo_value=typed, promo_error=limited, status_code=429)
    else:
        try:
            async with reading(request) as session:
                quote = await quote_cart(
                    session, cart, typed, country=shopper_country(request), now=now(request)
                )
        except DomainError as exc:
            error = refusal_words(request, exc)
    if error is not None:
        return await _cart_page(request, promo_value=typed, promo_error=error, status_code=400)
    remember(request, quote.code.code)
    flash(request, t(request, "Promo code %(code)s applied.", code=quote.code.code))
    return RedirectResponse("/cart", 303)
