"""Staff's film mutations: createFilm, updateFilm, archiveFilm (catalog.film_admin)."""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from catalog.film_admin import (
    FilmInput,
    TitleInput,
    archive_film,
    create_film,
    unarchive_film,
    update_film,
)
from graphql_schema import types as t
from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import MutationBase, errors_field, find
from graphql_schema.uploads import uploaded_image

FILM_FIELDS = {"film_id": "id", "film": "id", "poster_upload_id": "posterUploadId"}
_POSTER = (
    "The poster: the `id` that `POST /uploads` returned for an image uploaded with a staff "
    "token (another's upload is not found)."
)


class FilmTitleInput(graphene.InputObjectType):
    """A film's title and synopsis in one language."""

    language = graphene.String(required=True, description="One of en, zh-Hans, ja.")
    title = graphene.String(required=True, description="The title, 200 characters at most.")
    synopsis = graphene.String(description="The synopsis, 5000 characters at most.")


def _titles(given: Any) -> list[TitleInput] | None:
    if given is None:
        return None
    return [TitleInput(t.language, t.title, t.synopsis or "") for t in given]


def _film_input(input: Any) -> FilmInput:
    """The service's FilmInput from a createFilm or updateFilm input (left out: None)."""
    return FilmInput(
        slug=input.slug,
        original_title=input.original_title,
        titles=_titles(input.titles),
        release_date=input.release_date,
        runtime_minutes=input.runtime_minutes,
        rating=input.rating,
        franchise_slug=input.franchise_slug,
        franchise_name=input.franchise_name,
        poster_image_id=uploaded_image(input.poster_upload_id),
    )


_TITLES = (
    "Titles and synopses per language, each language once. A language without one shows "
    "the original title. The `en` title is the film's `title`."
)


class CreateFilmInput(graphene.InputObjectType):
    """A new film: an `en` title or an original title at least."""

    slug = graphene.String(
        required=True, description="Its unique URL name: lower-case letters, digits, dashes."
    )
    original_title = graphene.String(description="The title in its original language.")
    titles = graphene.List(graphene.NonNull(FilmTitleInput), description=_TITLES)
    release_date = graphene.Date(
        required=True, description="The cinema release date (1888 to ten years ahead)."
    )
    runtime_minutes = graphene.Int(required=True, description="Running time, 1 to 600 minutes.")
    rating = graphene.String(description="The age rating, e.g. PG-13 (16 characters at most).")
    franchise_slug = graphene.String(
        description="The franchise it belongs to, by slug; a new slug makes the franchise."
    )
    franchise_name = graphene.String(
        description="The name of a franchise made new (default: from its slug)."
    )
    poster_upload_id = graphene.ID(description=_POSTER)


class CreateFilm(MutationBase):
    """Add a film (staff). Its status is then computed from its dates."""

    permissions = (STAFF,)
    input_type = CreateFilmInput
    input_description = "The film."
    fields = FILM_FIELDS
    film = graphene.Field(t.Film, description="The new film.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        return await create_film(session, _film_input(input), now=info.context.now)


class UpdateFilmInput(graphene.InputObjectType):
    """What changes in a film; a field left out stays as it is."""

    id = graphene.ID(required=True, description="The film.")
    slug = graphene.String(description="A new unique URL name.")
    original_title = graphene.String(description="The title in its original language.")
    titles = graphene.List(
        graphene.NonNull(FilmTitleInput),
        description=f"{_TITLES} Given, they replace every title of the film.",
    )
    release_date = graphene.Date(description="The cinema release date.")
    runtime_minutes = graphene.Int(description="Running time, 1 to 600 minutes.")
    rating = graphene.String(description="The age rating.")
    franchise_slug = graphene.String(
        description='The franchise, by slug (made when new); "" takes the film out of it.'
    )
    franchise_name = graphene.String(description="The name of a franchise made new.")
    poster_upload_id = graphene.ID(
        description=f"{_POSTER} Left out, the poster stays; `setFilmPoster` removes it."
    )


class UpdateFilm(MutationBase):
    """Change a film (staff)."""

    permissions = (STAFF,)
    input_type = UpdateFilmInput
    input_description = "The changes."
    fields = FILM_FIELDS
    film = graphene.Field(t.Film, description="The film, changed.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        film = await find(session, info, cm.Film, input.id, type_name="Film", field="id")
        return await update_film(session, film.id, _film_input(input), now=info.context.now)


class ArchiveFilmInput(graphene.InputObjectType):
    """Which film to archive (or bring back)."""

    id = graphene.ID(required=True, description="The film.")
    archived = graphene.Boolean(
        default_value=True,
        description="True (default) archives the film; false brings an archived film back.",
    )


class ArchiveFilm(MutationBase):
    """Archive a film (staff): it is hidden from the public everywhere (films, its showtimes
    and bundle offers) and none of its merch or bundles are sold any more; staff and its
    licensees still see it. `archived: false` brings it back."""

    permissions = (STAFF,)
    input_type = ArchiveFilmInput
    input_description = "The film."
    fields = FILM_FIELDS
    film = graphene.Field(t.Film, description="The film.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        film = await find(session, info, cm.Film, input.id, type_name="Film", field="id")
        if input.archived is False:
            return await unarchive_film(session, film.id)
        return await archive_film(session, film.id, now=info.context.now)


class FilmMutations(graphene.ObjectType):
    create_film = CreateFilm.field()
    update_film = UpdateFilm.field()
    archive_film = ArchiveFilm.field()
