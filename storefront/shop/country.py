"""The shopper's country: chosen once, kept in the signed session, used by every page that
decides what may be sold (territories) until checkout asks for the shipping country."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storefront.shop.common import clean_country, flash, safe_next
from storefront.shop.refusals import country_words
from storefront.web import read_form, request_language, t


async def choose_country(request: Request) -> Response:
    """POST /country: remember the shopper's country and go back to the page they were on."""
    form = await read_form(request)
    country = clean_country(form.get("country"))
    if country is None:
        flash(request, t(request, "Choose a country from the list."), "error")
    else:
        request.session["country"] = country
        flash(
            request,
            t(
                request,
                "Showing what is on sale in %(country)s.",
                country=country_words(request_language(request), country),
            ),
        )
    return RedirectResponse(safe_next(form.get("next")), 303)
