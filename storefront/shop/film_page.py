"""What a film page shows, read in five statements whatever the number of showtimes and
products (the page's sixth is the content version, storefront.page_cache):

1. the film with its poster, its title row in the page's language and its franchise's name;
2. its showtimes of the next two weeks, each with its cinema (fresh seats);
3. its bundle offers with components, products (fresh stock) and the products' variants;
4. the terms of the components' agreements (`licensing.sellable.load_terms`, one statement);
5. the merch the sellable rule lets the storefront sell here today, with its photos, and
   the products its shoppers also bought (storefront.shop.recommendations' ranking, read
   as a subquery of the same statement).

Then, in Python: the date strip and cinema filter (the page lists one day's showtimes, in the
cinema's own time zone), and each bundle's availability per showtime of that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from catalog.bundles import chooses_variant
from catalog.film_status import film_not_archived
from catalog.film_titles import film_synopsis, film_title
from catalog.image_models import Image, ProductImage
from catalog.models import (
    BundleComponent,
    BundleOffer,
    Cinema,
    Film,
    FilmTitle,
    Franchise,
    Product,
    Showtime,
    Variant,
)
from catalog.product_images import Photo
from catalog.showtimes import local_start
from licensing.models import Channel
from licensing.sellable import load_terms, sellable_clause
from orders.availability import availability_of_loaded
from storefront.shop.recommendations import Sources, ranked_products
from storefront.shop.refusals import say

DAYS_AHEAD = 14
STRIP_DAYS = 5  # days shown as links; the later ones sit behind one "later dates" tap


@dataclass
class BundleOption:
    showtime: Showtime
    available: int
    message: str


@dataclass
class OfferView:
    offer: BundleOffer
    options: list[BundleOption] = field(default_factory=list)
    # (component, its product's variants) for each component whose size the shopper picks
    choices: list[tuple[BundleComponent, list[Variant]]] = field(default_factory=list)

    @property
    def any_available(self) -> bool:
        return any(o.available for o in self.options)

    @property
    def reason(self) -> str:
        messages = {o.message for o in self.options if o.message}
        return messages.pop() if len(messages) == 1 else ""


@dataclass
class FilmPage:
    film: Film
    title: str
    synopsis: str
    franchise_name: str | None
    poster: Image | None
    days: list[date]  # days with showtimes (at the chosen cinema, if one is chosen)
    day: date | None  # the day shown
    cinemas: list[Cinema]  # cinemas showing the film
    cinema: Cinema | None  # the cinema chosen, None for all
    groups: list[tuple[Cinema, list[Showtime]]]  # the day's showtimes by cinema
    offers: list[OfferView]
    merch: list[Product]
    photos: dict[int, list[Photo]]
    also_bought: list[Product]  # what shoppers who came for the film also bought


def parse_day(value: str) -> date | None:
    """`YYYY-MM-DD`, else None (the page then shows its first day)."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_cinema(value: str) -> int | None:
    """A cinema id, else None (all cinemas)."""
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


async def _film(session: AsyncSession, slug: str, language: str) -> Any:
    return (
        await session.execute(
            select(Film, Image, FilmTitle, Franchise.name)
            .outerjoin(Image, Image.id == Film.poster_image_id)
            .outerjoin(
                FilmTitle, and_(FilmTitle.film_id == Film.id, FilmTitle.language == language)
            )
            .outerjoin(Franchise, Franchise.id == Film.franchise_id)
            .where(Film.slug == slug, film_not_archived())
        )
    ).first()


async def _showtimes(session: AsyncSession, film_id: int, now: datetime) -> list[Showtime]:
    rows = await session.scalars(
        select(Showtime)
        .join(Showtime.cinema)
        .options(contains_eager(Showtime.cinema))
        .where(
            Showtime.film_id == film_id,
            Showtime.starts_at > now,
            Showtime.starts_at < now + timedelta(days=DAYS_AHEAD),
        )
        .order_by(Showtime.starts_at, Showtime.cinema_id, Showtime.id)
    )
    return list(rows)


async def _offers(
    session: AsyncSession, film_id: int, now: datetime
) -> tuple[list[BundleOffer], dict[int, list[Variant]]]:
    rows = await session.execute(
        select(BundleOffer, Variant)
        .join(BundleOffer.components)
        .join(BundleComponent.product)
        .outerjoin(Variant, Variant.product_id == Product.id)
        .options(contains_eager(BundleOffer.components).contains_eager(BundleComponent.product))
        .where(BundleOffer.film_id == film_id, BundleOffer.valid_to > now)
        .order_by(
            BundleOffer.valid_from, BundleOffer.id, BundleComponent.position, Variant.position
        )
    )
    offers: dict[int, BundleOffer] = {}
    variants: dict[int, dict[int, Variant]] = defaultdict(dict)
    for offer, variant in rows.unique():
        offers.setdefault(offer.id, offer)
        if variant is not None:
            variants[variant.product_id][variant.id] = variant
    return list(offers.values()), {p: list(v.values()) for p, v in variants.items()}


async def _merch(
    session: AsyncSession, film_id: int, country: str, now: datetime
) -> tuple[list[Product], dict[int, list[Photo]], list[Product]]:
    """The film's merch sellable here today and what its shoppers also bought (the
    recommendations' ranking, storefront.shop.recommendations), in one statement."""
    ranked = ranked_products(Sources(film_ids=[film_id]), country=country, now=now)
    rows = await session.execute(
        select(Product, ProductImage.alt, Image, ranked.c.score)
        .outerjoin(ranked, ranked.c.product_id == Product.id)
        .outerjoin(ProductImage, ProductImage.product_id == Product.id)
        .outerjoin(Image, Image.id == ProductImage.image_id)
        .where(
            or_(Product.film_id == film_id, ranked.c.product_id.is_not(None)),
            sellable_clause(now.date(), channels=[Channel.STOREFRONT], country=country),
        )
        .order_by(Product.name, Product.id, ProductImage.position)
    )
    products: dict[int, Product] = {}
    photos: dict[int, list[Photo]] = defaultdict(list)
    scores: dict[int, int] = {}
    for product, alt, image, score in rows:
        products.setdefault(product.id, product)
        if score is not None:
            scores[product.id] = score
        if image is not None:
            photos[product.id].append(Photo(image, alt or ""))
    merch = [p for p in products.values() if p.film_id == film_id]
    bought = sorted(scores, key=lambda product_id: (-scores[product_id], product_id))
    return merch, photos, [products[product_id] for product_id in bought]


async def load_film_page(
    session: AsyncSession,
    slug: str,
    *,
    language: str,
    country: str,
    day: date | None,
    cinema_id: int | None,
    now: datetime,
) -> FilmPage | None:
    """The film page for `slug` (None when there is no such public film), showing `day` at
    `cinema_id` (all cinemas when None); a day or cinema without showtimes falls back to the
    first day with some."""
    found = await _film(session, slug, language)
    if found is None:
        return None
    film, poster, title_row, franchise_name = found
    titles = [title_row] if title_row is not None else []
    showtimes = await _showtimes(session, film.id, now)
    offers, variants = await _offers(session, film.id, now)
    agreement_ids = {c.product.agreement_id for o in offers for c in o.components}
    terms = await load_terms(session, agreement_ids)
    merch, photos, also_bought = await _merch(session, film.id, country, now)

    cinemas = sorted({s.cinema_id: s.cinema for s in showtimes}.values(), key=lambda c: c.name)
    cinema = next((c for c in cinemas if c.id == cinema_id), None)
    shown = [s for s in showtimes if cinema is None or s.cinema_id == cinema.id]
    days = sorted({local_start(s).date() for s in shown})
    if day not in days:
        day = days[0] if days else None
    todays = [s for s in shown if local_start(s).date() == day]
    groups = [
        (c, [s for s in todays if s.cinema_id == c.id])
        for c in cinemas
        if any(s.cinema_id == c.id for s in todays)
    ]
    fixed_stock = {v.id: v.stock for vs in variants.values() for v in vs}
    availability = availability_of_loaded(offers, todays, fixed_stock, terms, now=now)
    views = []
    for offer in offers:
        view = OfferView(offer)
        view.choices = [
            (c, variants.get(c.product_id, [])) for c in offer.components if chooses_variant(c)
        ]
        for showtime in todays:
            verdict = availability.get((offer.id, showtime.id))
            if verdict is None or showtime.currency != offer.currency:
                continue
            view.options.append(
                BundleOption(
                    showtime,
                    int(verdict.available or 0),
                    (
                        verdict.message
                        and say(language, verdict.refusal, verdict.params, verdict.message)
                    )
                    or "",
                )
            )
        views.append(view)
    return FilmPage(
        film=film,
        title=film_title(film, language, titles),
        synopsis=film_synopsis(film, language, titles),
        franchise_name=franchise_name,
        poster=poster,
        days=days,
        day=day,
        cinemas=cinemas,
        cinema=cinema,
        groups=groups,
        offers=views,
        merch=merch,
        photos=photos,
        also_bought=also_bought,
    )
