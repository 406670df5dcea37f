"""Catalog types: films, cinemas, screens, showtimes and licensed products."""

from __future__ import annotations

from typing import Any

import graphene

from catalog import image_models as im
from catalog import models as cm
from catalog.film_status import film_status
from catalog.film_titles import film_synopsis, film_title
from graphql_schema import scalars as sc
from graphql_schema.relay import Node
from graphql_schema.types.base import NodeObject, _lazy, _load, _page
from graphql_schema.types.media import Artwork, Image, ProductPhoto, media_url
from graphql_schema.visibility import sees_merchant_private
from licensing import models as lm


class FilmTitle(graphene.ObjectType):
    """A film's title and synopsis in one language."""

    language = graphene.String(required=True, description="The language: en, zh-Hans or ja.")
    title = graphene.String(required=True, description="The title in that language.")
    synopsis = graphene.String(required=True, description="The synopsis in that language.")


_LANGUAGE = "A language (en, zh-Hans, ja): the text in it, or else the original title"


class Film(NodeObject):
    """A film of the studio, whose IP partners license."""

    class Meta:
        interfaces = (Node,)

    slug = graphene.String(required=True, description="The film's unique URL name.")
    title = graphene.String(
        required=True,
        language=graphene.String(description=f"{_LANGUAGE} (its title when it has none)."),
        description="The title (in English, or the original title); with `language`, the "
        "title in that language, or else the original title.",
    )
    original_title = graphene.String(required=True, description="The original title, if any.")
    synopsis = graphene.String(
        required=True,
        language=graphene.String(description=f"{_LANGUAGE}'s synopsis: the default one."),
        description="A short synopsis; with `language`, the one in that language if any.",
    )
    titles = graphene.List(
        graphene.NonNull(FilmTitle),
        required=True,
        description="The film's titles and synopses per language, by language.",
    )
    archived_at = graphene.DateTime(
        description="When staff archived the film (hidden from the public); null if not."
    )
    release_date = graphene.Date(required=True, description="The cinema release date.")
    runtime_minutes = graphene.Int(required=True, description="Running time in minutes.")
    rating = graphene.String(required=True, description="The age rating, e.g. PG-13.")
    poster_url = graphene.String(
        required=True,
        description="The poster image URL: the uploaded poster's full-size image when there "
        "is one (see `poster` for its thumbnails), else the URL set before uploads; empty "
        "when there is none.",
    )
    poster = graphene.Field(
        Image, description="The uploaded poster, with its thumbnails; null when none is set."
    )
    status = graphene.Field(
        graphene.NonNull(sc.FilmStatus), description="Where the film stands in cinemas now."
    )
    products = _page("film.products", "licensed products of the film", _lazy("ProductConnection"))
    showtimes = _page("film.showtimes", "showtimes of the film", _lazy("ShowtimeConnection"))
    bundle_offers = _page(
        "film.bundle_offers", "bundle offers of the film", _lazy("BundleOfferConnection")
    )

    @staticmethod
    def resolve_poster(root: cm.Film, info: Any) -> Any:
        return _load(info, im.Image, root.poster_image_id)

    @staticmethod
    async def resolve_poster_url(root: cm.Film, info: Any) -> str:
        if root.poster_image_id is None:
            return root.poster_url
        image = await info.context.loaders.get(im.Image, root.poster_image_id)
        return media_url(info, image.key) if image is not None else root.poster_url

    @staticmethod
    async def resolve_status(root: cm.Film, info: Any) -> str:
        upcoming = await info.context.loaders.list("film.upcoming").load(root.id)
        now = info.context.now
        archived = root.archived_at is not None
        return film_status(
            root.release_date, showtime_to_come=bool(upcoming), now=now, archived=archived
        ).value

    @staticmethod
    async def resolve_title(root: cm.Film, info: Any, language: str | None = None) -> str:
        if language is None:
            return root.title
        titles = await info.context.loaders.list("film.titles").load(root.id)
        return film_title(root, language, titles)

    @staticmethod
    async def resolve_synopsis(root: cm.Film, info: Any, language: str | None = None) -> str:
        if language is None:
            return root.synopsis
        titles = await info.context.loaders.list("film.titles").load(root.id)
        return film_synopsis(root, language, titles)

    @staticmethod
    def resolve_titles(root: cm.Film, info: Any) -> Any:
        return info.context.loaders.list("film.titles").load(root.id)


class Cinema(NodeObject):
    """A cinema that screens showtimes."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="The cinema's name.")
    city = graphene.String(required=True, description="The city.")
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 country code.")
    timezone = graphene.String(
        required=True, description="IANA time zone in which its showtimes are shown."
    )
    showtimes = _page("cinema.showtimes", "showtimes here", _lazy("ShowtimeConnection"))
    screens = graphene.List(
        graphene.NonNull(_lazy("Screen")),
        required=True,
        description="Its screens (auditoriums), by name.",
    )

    @staticmethod
    def resolve_screens(root: cm.Cinema, info: Any) -> Any:
        return info.context.loaders.list("cinema.screens").load(root.id)


class Screen(NodeObject):
    """A screen (auditorium) of a cinema; every showtime is on one."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="Its name, unique in its cinema.")
    capacity = graphene.Int(
        required=True, description="Its seats: the capacity a new showtime on it starts with."
    )
    cinema = graphene.Field(graphene.NonNull(Cinema), description="Its cinema.")

    @staticmethod
    def resolve_cinema(root: cm.Screen, info: Any) -> Any:
        return _load(info, cm.Cinema, root.cinema_id)


class Showtime(NodeObject):
    """A screening of a film at a cinema."""

    class Meta:
        interfaces = (Node,)

    film = graphene.Field(graphene.NonNull(Film), description="The film screened.")
    cinema = graphene.Field(graphene.NonNull(Cinema), description="Where.")
    screen = graphene.Field(graphene.NonNull(Screen), description="The screen it is on.")
    starts_at = graphene.DateTime(required=True, description="When it starts (UTC).")
    capacity = graphene.Int(required=True, description="Seats in total.")
    seats_left = graphene.Int(required=True, description="Seats neither sold nor held.")
    price = sc.money_field("The ticket price.", "price_minor")

    @staticmethod
    def resolve_film(root: cm.Showtime, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_cinema(root: cm.Showtime, info: Any) -> Any:
        return _load(info, cm.Cinema, root.cinema_id)

    @staticmethod
    def resolve_screen(root: cm.Showtime, info: Any) -> Any:
        return _load(info, cm.Screen, root.screen_id)


class ProductReview(graphene.ObjectType):
    """One step of a product's approval history: a submission or a review."""

    action = graphene.Field(graphene.NonNull(sc.ReviewAction), description="What was done.")
    from_stage = graphene.Field(graphene.NonNull(sc.ApprovalStage), description="The stage before.")
    to_stage = graphene.Field(graphene.NonNull(sc.ApprovalStage), description="The stage after.")
    actor = graphene.String(
        required=True, description="Who did it, as recorded (`merchant:7`, `staff:ana`)."
    )
    actor_name = graphene.String(
        required=True, description="Who did it, by name: the merchant's or the staff member's."
    )
    comment = graphene.String(required=True, description="The comment given.")
    created_at = graphene.DateTime(required=True, description="When.")
    artwork = graphene.List(
        graphene.NonNull(Artwork),
        required=True,
        description="The images submitted with this step: concept art with a concept "
        "submission, sample photos with a sample submission (empty for a review).",
    )

    @staticmethod
    def resolve_artwork(root: Any, info: Any) -> Any:
        return info.context.loaders.list("review.artwork").load(root.id)

    @staticmethod
    async def resolve_actor_name(root: Any, info: Any) -> str:
        actor = str(root.actor)
        kind, _, rest = actor.partition(":")
        if kind == "merchant" and rest.isdigit():
            found = await info.context.loaders.list("actor.merchant_name").load(int(rest))
        else:
            username = actor.removeprefix("staff:")
            found = await info.context.loaders.list("actor.staff_name").load(username)
        return found[0] if found else actor


class Product(NodeObject):
    """A licensed product of one merchant, under one agreement, for one film."""

    class Meta:
        interfaces = (Node,)

    sku = graphene.String(required=True, description="The unique stock-keeping unit.")
    name = graphene.String(required=True, description="The product name.")
    description = graphene.String(required=True, description="A description for shoppers.")
    category = graphene.Field(graphene.NonNull(sc.Category), description="Its category.")
    price = sc.money_field("The unit price.", "price_minor")
    stock = graphene.Int(description="Units in stock; null unless you are staff or its merchant.")
    in_stock = graphene.Boolean(required=True, description="Whether at least one unit is left.")
    low_stock_threshold = graphene.Int(
        description="`stock.low` webhooks are sent when stock falls to this or below; null "
        "when not set, or unless you are staff or its merchant."
    )
    approval_stage = graphene.Field(
        graphene.NonNull(sc.ApprovalStage), description="Where it stands in approval."
    )
    image_url = graphene.String(required=True, description="The product image URL.")
    options = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Its option names in order (`size`, `colour`); empty when it has no "
        "variants. A product with variants is bought by choosing one.",
    )
    variants = graphene.List(
        graphene.NonNull(_lazy("Variant")),
        required=True,
        description="Its variants, in order (at most 100).",
    )
    film = graphene.Field(graphene.NonNull(Film), description="The film it is licensed from.")
    merchant = graphene.Field(
        graphene.NonNull(_lazy("Merchant")), description="Who makes and sells it."
    )
    agreement = graphene.Field(
        _lazy("Agreement"),
        description="The agreement it is sold under; null unless you may see it.",
    )
    images = graphene.List(
        graphene.NonNull(ProductPhoto),
        required=True,
        description="Its photos in display order, with thumbnails and alt text.",
    )
    history = graphene.List(
        graphene.NonNull(ProductReview),
        required=True,
        description="Submissions and reviews, oldest first (its merchant and staff only).",
    )
    created_at = graphene.DateTime(required=True, description="When it was created.")
    updated_at = graphene.DateTime(required=True, description="When it last changed.")

    @staticmethod
    def resolve_stock(root: cm.Product, info: Any) -> int | None:
        return root.stock if sees_merchant_private(info.context.viewer, root.merchant_id) else None

    @staticmethod
    def resolve_low_stock_threshold(root: cm.Product, info: Any) -> int | None:
        private = sees_merchant_private(info.context.viewer, root.merchant_id)
        return root.low_stock_threshold if private else None

    @staticmethod
    def resolve_in_stock(root: cm.Product, info: Any) -> bool:
        return root.stock > 0

    @staticmethod
    def resolve_film(root: cm.Product, info: Any) -> Any:
        return _load(info, cm.Film, root.film_id)

    @staticmethod
    def resolve_merchant(root: cm.Product, info: Any) -> Any:
        return _load(info, lm.Merchant, root.merchant_id)

    @staticmethod
    def resolve_agreement(root: cm.Product, info: Any) -> Any:
        return _load(info, lm.Agreement, root.agreement_id)

    @staticmethod
    def resolve_images(root: cm.Product, info: Any) -> Any:
        return info.context.loaders.list("product.images").load(root.id)

    @staticmethod
    def resolve_variants(root: cm.Product, info: Any) -> Any:
        return info.context.loaders.list("product.variants").load(root.id)

    @staticmethod
    def resolve_history(root: cm.Product, info: Any) -> Any:
        return info.context.loaders.list("product.history").load(root.id)
