"""The shopper's catalog pages: home, film, product, and the public "is it genuine?" check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog.bundles import bundle_offers_for_film, chooses_variant
from catalog.film_status import FilmStatus
from catalog.films import film_by_slug
from catalog.image_models import Image
from catalog.product_images import photos_of_products
from catalog.showtimes import group_by_day_and_cinema, showtimes_for_film
from catalog.variants import variants_of
from kernel.countries import country_in_sentence
from orders.availability import bundle_availability
from storefront.shop import queries
from storefront.shop.common import (
    COUNTRIES,
    now,
    pop_flash,
    reading,
    shopper_country,
)
from storefront.shop.recommendations import (
    Recommendations,
    Sources,
    also_bought,
    next_showtimes,
)
from storefront.web import path_for, path_param, query_param, render


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    country = shopper_country(request)
    return render(
        request,
        name,
        status_code,
        flashes=pop_flash(request),
        country=country,
        country_label=country_in_sentence(country),
        countries=COUNTRIES,
        **context,
    )


async def home(request: Request) -> Response:
    """The films by status (`catalog.film_status`): now showing, coming soon, and the
    films out of cinemas whose licensed merch may still be sold; and the bundles on sale."""
    at = now(request)
    async with reading(request) as session:
        films = await queries.films_by_status(session, now=at)
        bundles = await queries.featured_bundles(session, now=at)
    return _page(
        request,
        "catalog/home.html",
        now_showing=films[FilmStatus.NOW_SHOWING],
        more_films=films[FilmStatus.OUT_OF_CINEMAS],
        coming_soon=sorted(films[FilmStatus.COMING_SOON], key=lambda f: f.release_date),
        bundles=bundles,
    )


@dataclass
class BundleOption:
    showtime: Any
    available: int
    message: str


@dataclass
class OfferView:
    offer: Any
    options: list[BundleOption] = field(default_factory=list)
    # (component, its product's variants) for each component whose size the shopper picks
    choices: list[tuple[Any, list[Any]]] = field(default_factory=list)

    @property
    def any_available(self) -> bool:
        return any(o.available for o in self.options)

    @property
    def reason(self) -> str:
        messages = {o.message for o in self.options if o.message}
        return messages.pop() if len(messages) == 1 else ""


async def film(request: Request) -> Response:
    """A film: poster, synopsis, showtimes by day and cinema, bundles with their live
    availability per showtime, and the licensed merch that may be sold here today."""
    at = now(request)
    country = shopper_country(request)
    async with reading(request) as session:
        found = await film_by_slug(session, path_param(request, "slug"))
        if found is None or found.archived_at is not None:  # archived: hidden from the public
            raise HTTPException(404)
        showtimes = await showtimes_for_film(session, found.id, now=at)
        offers = await bundle_offers_for_film(session, found.id, now=at)
        availability = (
            await bundle_availability(session, offers, showtimes, now=at) if offers else {}
        )
        merch = await queries.sellable_merch_for_film(session, found.id, country=country, now=at)
        photos = await photos_of_products(session, [p.id for p in merch])
        poster = await session.get(Image, found.poster_image_id) if found.poster_image_id else None
        to_choose = [c for o in offers for c in o.components if chooses_variant(c)]
        variants = await variants_of(session, [c.product_id for c in to_choose])
    offer_views = []
    for offer in offers:
        view = OfferView(offer)
        view.choices = [(c, variants[c.product_id]) for c in offer.components if chooses_variant(c)]
        for showtime in showtimes:
            if showtime.currency != offer.currency:
                continue
            verdict = availability.get((offer.id, showtime.id))
            if verdict is None:
                continue
            view.options.append(
                BundleOption(showtime, int(verdict.available or 0), verdict.message or "")
            )
        offer_views.append(view)
    return _page(
        request,
        "catalog/film.html",
        film=found,
        groups=group_by_day_and_cinema(showtimes),
        offers=offer_views,
        merch=merch,
        photos=photos,
        poster=poster,
    )


async def product(request: Request) -> Response:
    """A licensed product with its "official licensed product" panel."""
    country = shopper_country(request)
    async with reading(request) as session:
        page = await queries.product_page(
            session, path_param(request, "sku"), country=country, now=now(request)
        )
        if page is None:
            raise HTTPException(404)
        photos = (await photos_of_products(session, [page.product.id]))[page.product.id]
        recommended = Recommendations(
            await also_bought(
                session, Sources(product_ids=[page.product.id]), country=country, now=now(request)
            ),
            await next_showtimes(session, page.product.film_id, now=now(request)),
            page.product.film.slug,
        )
    return _page(
        request,
        "catalog/product.html",
        product=page.product,
        merchant=page.merchant,
        agreement=page.agreement,
        refusal=page.refusal,
        photos=photos,
        variants=page.variants,
        recommendations=recommended,
    )


async def verify(request: Request) -> Response:
    """`/verify?code=…` (the form) lands on `/verify/{code}`; `/verify` alone shows the form."""
    code = query_param(request, "code")
    if code:
        # quoted whole: a code may hold any character, "/" and "?" included
        return RedirectResponse(path_for(request, "verify") + "/" + quote(code, safe=""), 303)
    return _page(request, "catalog/verify.html", code=None, result=None)
