"""The shopper's catalog pages: home, film, product, and the public "is it genuine?" check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from babel.dates import format_skeleton
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from catalog.film_status import FilmStatus
from catalog.product_images import photos_of_products, photos_of_variants, posters_of_films
from kernel import i18n
from kernel.content_version import content_version
from orders.cart_items import MAX_QUANTITY
from storefront.page_cache import cacheable, cached_page, minute_of
from storefront.shop import queries
from storefront.shop.common import (
    country_context,
    now,
    pop_flash,
    reading,
    shopper_country,
)
from storefront.shop.film_page import STRIP_DAYS, FilmPage, load_film_page, parse_cinema, parse_day
from storefront.shop.line_words import film_titles
from storefront.shop.recommendations import (
    Recommendations,
    Sources,
    also_bought,
    next_showtimes,
)
from storefront.shop.refusals import say
from storefront.web import (
    path_for,
    path_param,
    query_param,
    render,
    render_text,
    request_language,
)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        name,
        status_code,
        flashes=pop_flash(request),
        **country_context(request),
        **context,
    )


async def _public_page(
    request: Request,
    name: str,
    what: tuple,
    load: Callable[[AsyncSession, datetime], Awaitable[dict[str, Any]]],
) -> Response:
    """A public page from `load(session, now)`'s context, cached by content version
    (storefront.page_cache; `what` names the page in the key), with its ETag."""
    country = shopper_country(request)
    at = minute_of(now(request))
    async with reading(request) as session:

        async def render_page(shared: dict[str, Any]) -> str:
            context = await load(session, at)
            return render_text(
                request,
                name,
                shared,
                flashes=pop_flash(request),
                **country_context(request),
                **context,
            )

        if not cacheable(request):
            return HTMLResponse(await render_page({}))
        version = await content_version(session)
        key = (*what, version, request_language(request), country, at)
        return await cached_page(request, key, render_page)


async def home(request: Request) -> Response:
    """The films by status (`catalog.film_status`): now showing, coming soon, and the
    films out of cinemas whose licensed merch may still be sold; and the bundles on sale."""

    async def load(session: AsyncSession, at: datetime) -> dict[str, Any]:
        films = await queries.films_by_status(session, now=at)
        bundles = await queries.featured_bundles(session, now=at)
        shown = films[FilmStatus.NOW_SHOWING] + films[FilmStatus.COMING_SOON]
        posters = await posters_of_films(session, shown)
        return {
            "now_showing": films[FilmStatus.NOW_SHOWING],
            "more_films": films[FilmStatus.OUT_OF_CINEMAS],
            "coming_soon": sorted(films[FilmStatus.COMING_SOON], key=lambda f: f.release_date),
            "bundles": bundles,
            "posters": posters,
        }

    return await _public_page(request, "catalog/home.html", ("home",), load)


def _film_context(request: Request, page: FilmPage) -> dict[str, Any]:
    language = request_language(request)
    locale = i18n.locale_of(language)
    return {
        "page": page,
        "film": page.film,
        "flashes": pop_flash(request),
        **country_context(request),
        "moment": lambda at, zone: i18n.format_moment(at, zone, language),
        "day_label": lambda day: format_skeleton("MMMEd", day, locale=locale),
        "strip_days": page.days[:STRIP_DAYS],
        "later_days": page.days[STRIP_DAYS:],
        "recommendations": Recommendations(page.also_bought),
    }


async def film(request: Request) -> Response:
    """A film: poster, synopsis, a date strip and cinema filter over its showtimes (one day
    shown, in the cinema's time zone), bundles with their live availability for that day, and
    the licensed merch that may be sold here today. Cached by content version (page_cache)."""
    slug = path_param(request, "slug")
    day = parse_day(query_param(request, "day", max_len=20))
    cinema_id = parse_cinema(query_param(request, "cinema", max_len=20))
    country = shopper_country(request)
    language = request_language(request)
    at = minute_of(now(request))
    shown: list[FilmPage] = []
    async with reading(request) as session:

        async def render_page(shared: dict[str, Any]) -> str:
            page = await load_film_page(
                session,
                slug,
                language=language,
                country=country,
                day=day,
                cinema_id=cinema_id,
                now=at,
            )
            if page is None:  # unknown or archived: hidden from the public
                raise HTTPException(404)
            shown.append(page)
            context = _film_context(request, page)
            return render_text(request, "catalog/film.html", shared, **context)

        if not cacheable(request):
            return HTMLResponse(await render_page({}))
        version = await content_version(session)
        key = ("film", version, slug, day, cinema_id, language, country, at)
        return await cached_page(
            request, key, render_page, keep=lambda: _asked_as_shown(shown[0], day, cinema_id)
        )


def _asked_as_shown(page: FilmPage, day: object, cinema_id: int | None) -> bool:
    """Whether the day and cinema asked for are the ones the page shows (or were not
    asked): only then is the page cached under them (storefront.page_cache)."""
    return (day is None or day == page.day) and (
        cinema_id is None or (page.cinema is not None and page.cinema.id == cinema_id)
    )


async def product(request: Request) -> Response:
    """A licensed product with its "official licensed product" panel."""
    sku = path_param(request, "sku")
    country = shopper_country(request)

    async def load(session: AsyncSession, at: datetime) -> dict[str, Any]:
        page = await queries.product_page(session, sku, country=country, now=at)
        if page is None:
            raise HTTPException(404)
        photos = (await photos_of_products(session, [page.product.id]))[page.product.id]
        variant_photos = await photos_of_variants(session, page.variants)
        recommended = Recommendations(
            await also_bought(
                session, Sources(product_ids=[page.product.id]), country=country, now=at
            ),
            await next_showtimes(session, page.product.film_id, now=at),
            page.product.film.slug,
        )
        titles = await film_titles(session, [page.product.film], request_language(request))
        return {
            "film_title": titles[page.product.film.id],
            "product": page.product,
            "merchant": page.merchant,
            "agreement": page.agreement,
            "refusal": page.refusal
            and say(
                request_language(request),
                page.refusal_code,
                {"product": page.product.name, "country": country, "date": at.date()},
                page.refusal,
            ),
            "photos": photos,
            "variants": page.variants,
            "variant_photos": variant_photos,
            "recommendations": recommended,
            "max_quantity": MAX_QUANTITY,
        }

    return await _public_page(request, "catalog/product.html", ("product", sku), load)


async def verify(request: Request) -> Response:
    """`/verify?code=…` (the form) lands on `/verify/{code}`; `/verify` alone shows the form."""
    code = query_param(request, "code")
    if code:
        # quoted whole: a code may hold any character, "/" and "?" included
        return RedirectResponse(path_for(request, "verify") + "/" + quote(code, safe=""), 303)
    return _page(request, "catalog/verify.html", code=None, result=None)
