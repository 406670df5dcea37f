"""Cinema mutations (staff): cinemas, their screens, and showtimes scheduled on screens.

`createShowtime` keeps its name and its old inputs: `screenId` is the screen to use; an old
client may still send `cinemaId` (deprecated) without it, which picks the cinema's screen when
the cinema has exactly one (every cinema that existed before screens has one) and is refused
with SCREEN_REQUIRED otherwise. `capacity` became optional: the screen's seats by default, at
most the screen's seats. The screen is chosen here (`_screen_for`); the capacity rule and the
rest (overlaps, the cleaning gap) are in catalog.scheduling.
"""

from __future__ import annotations

from typing import Any

import graphene
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import models as cm
from catalog.codes import CatalogError
from catalog.films import create_cinema
from catalog.scheduling import MAX_BATCH, create_showtime, schedule_showtimes
from catalog.screens import create_screen, update_screen
from graphql_schema import types as t
from graphql_schema.auth import STAFF
from graphql_schema.mutations.base import (
    MoneyInput,
    MutationBase,
    amount,
    aware,
    errors_field,
    find,
)
from kernel.errors import Checks, DomainError

MONEY_FIELDS = {"price_minor": "price", "currency": "price.currency"}


class CreateCinemaInput(graphene.InputObjectType):
    """A new cinema."""

    name = graphene.String(required=True, description="The cinema's name.")
    city = graphene.String(required=True, description="The city.")
    country = graphene.String(
        required=True, description="ISO 3166-1 alpha-2 country code; unknown codes are refused."
    )
    timezone = graphene.String(
        description='IANA time zone, e.g. "America/New_York"; showtimes are shown, and '
        "schedules are read, in it. Unknown names are refused (INVALID_TIMEZONE). Default UTC."
    )


class CreateCinema(MutationBase):
    """Add a cinema (staff). It has no screen yet: add them with `createScreen`."""

    permissions = (STAFF,)
    input_type = CreateCinemaInput
    input_description = "The cinema."
    cinema = graphene.Field(t.Cinema, description="The new cinema.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        return await create_cinema(
            session,
            name=input.name,
            city=input.city,
            country=input.country,
            timezone=input.timezone or "UTC",
        )


class CreateScreenInput(graphene.InputObjectType):
    """A new screen (auditorium) of a cinema."""

    cinema_id = graphene.ID(required=True, description="The cinema.")
    name = graphene.String(required=True, description='Its name, unique in the cinema ("2").')
    capacity = graphene.Int(required=True, description="Its seats, at least 1.")


class CreateScreen(MutationBase):
    """Add a screen to a cinema (staff)."""

    permissions = (STAFF,)
    input_type = CreateScreenInput
    input_description = "The screen."
    screen = graphene.Field(t.Screen, description="The new screen.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        cinema = await find(
            session, info, cm.Cinema, input.cinema_id, type_name="Cinema", field="cinemaId"
        )
        return await create_screen(
            session, cinema_id=cinema.id, name=input.name, capacity=input.capacity
        )


class UpdateScreenInput(graphene.InputObjectType):
    """Changes to a screen; fields left out stay as they are."""

    id = graphene.ID(required=True, description="The screen.")
    name = graphene.String(description="A new name, unique in the cinema.")
    capacity = graphene.Int(
        description="New seats; also the capacity of its showtimes still to come. Not below "
        "the seats one of them has sold or holds (CAPACITY_BELOW_SEATS_TAKEN)."
    )


class UpdateScreen(MutationBase):
    """Rename a screen or change its seats (staff)."""

    permissions = (STAFF,)
    input_type = UpdateScreenInput
    input_description = "The changes."
    screen = graphene.Field(t.Screen, description="The screen as changed.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        screen = await find(session, info, cm.Screen, input.id, type_name="Screen", field="id")
        return await update_screen(
            session, screen.id, name=input.name, capacity=input.capacity, now=info.context.now
        )


class CreateShowtimeInput(graphene.InputObjectType):
    """A new screening on a screen."""

    film_id = graphene.ID(required=True, description="The film.")
    screen_id = graphene.ID(description="The screen it is on (required unless `cinemaId`).")
    cinema_id = graphene.ID(
        description="The cinema: with `screenId`, the screen must be one of its screens; "
        "alone, its only screen is used.",
        deprecation_reason="Give `screenId`; a cinema alone works only while it has one screen.",
    )
    starts_at = graphene.DateTime(
        required=True, description="When it starts, with its UTC offset; in the future."
    )
    capacity = graphene.Int(description="Seats, at least 1; default and at most the screen's.")
    price = graphene.Field(graphene.NonNull(MoneyInput), description="The ticket price.")


async def _screen_for(session: AsyncSession, info: Any, input: Any) -> cm.Screen:
    """The screen a createShowtime input names (see the module's docstring)."""
    cinema = None
    if input.cinema_id is not None:
        cinema = await find(
            session, info, cm.Cinema, input.cinema_id, type_name="Cinema", field="cinemaId"
        )
    if input.screen_id is not None:
        screen = await find(
            session, info, cm.Screen, input.screen_id, type_name="Screen", field="screenId"
        )
        if cinema is not None and screen.cinema_id != cinema.id:
            raise DomainError(
                CatalogError.SCREEN_NOT_OF_CINEMA,
                f"{screen.name} is not a screen of {cinema.name}.",
                "screenId",
            )
        return screen
    if cinema is None:
        raise DomainError(CatalogError.SCREEN_REQUIRED, "Name the screen.", "screenId")
    screens = list(await session.scalars(select(cm.Screen).where(cm.Screen.cinema_id == cinema.id)))
    if len(screens) != 1:
        raise DomainError(
            CatalogError.SCREEN_REQUIRED,
            f"{cinema.name} has {len(screens)} screens: name the screen.",
            "screenId",
        )
    return screens[0]


class CreateShowtime(MutationBase):
    """Schedule one showtime on a screen (staff). It must start in the future and overlap
    no showtime of the screen (the film's runtime plus the cleaning gap)."""

    permissions = (STAFF,)
    input_type = CreateShowtimeInput
    input_description = "The showtime."
    fields = MONEY_FIELDS
    showtime = graphene.Field(t.Showtime, description="The new showtime.")
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()
        film = screen = starts_at = None
        price_minor, currency = 1, "USD"
        with checks:
            film = await find(
                session, info, cm.Film, input.film_id, type_name="Film", field="filmId"
            )
        with checks:
            screen = await _screen_for(session, info, input)
        with checks:
            price_minor, currency = amount(input.price, "price")
        with checks:
            starts_at = aware(input.starts_at, "startsAt")
        checks.done()  # the service needs every one of them
        return await create_showtime(
            session,
            film_id=film.id,
            screen_id=screen.id,
            starts_at=starts_at,
            capacity=input.capacity,
            price_minor=price_minor,
            currency=currency,
            now=info.context.now,
            gap_minutes=info.context.settings.cleaning_gap_minutes,
        )


class ScheduleShowtimesInput(graphene.InputObjectType):
    """Showtimes of one film on one screen at the same local times every day of a range."""

    film_id = graphene.ID(required=True, description="The film.")
    screen_id = graphene.ID(required=True, description="The screen.")
    times = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description='Local times in the cinema\'s time zone, 24-hour "HH:MM", e.g. '
        '["14:30", "19:30"]. A time that does not exist on a day (clocks go forward) is '
        "refused (NONEXISTENT_LOCAL_TIME); one that happens twice is its first occurrence.",
    )
    from_date = graphene.Date(required=True, description="The first day (local).")
    to_date = graphene.Date(required=True, description="The last day (local), inclusive.")
    price = graphene.Field(graphene.NonNull(MoneyInput), description="The ticket price.")


class ScheduleShowtimes(MutationBase):
    __doc__ = f"""Create showtimes at each of `times` on every day from `fromDate` to `toDate`
    on one screen (staff), all or none: nothing is stored when one is refused (in the past,
    overlapping one another or the screen's showtimes, a time that does not exist that day,
    more than {MAX_BATCH} showtimes)."""

    permissions = (STAFF,)
    input_type = ScheduleShowtimesInput
    input_description = "The schedule."
    fields = MONEY_FIELDS
    showtimes = graphene.List(
        graphene.NonNull(t.Showtime), description="The new showtimes, soonest first."
    )
    errors = errors_field()

    @classmethod
    async def perform(cls, session: AsyncSession, info: Any, input: Any) -> Any:
        checks = Checks()
        film = screen = None
        price_minor, currency = 1, "USD"
        with checks:
            film = await find(
                session, info, cm.Film, input.film_id, type_name="Film", field="filmId"
            )
        with checks:
            screen = await find(
                session, info, cm.Screen, input.screen_id, type_name="Screen", field="screenId"
            )
        with checks:
            price_minor, currency = amount(input.price, "price")
        checks.done()
        return await schedule_showtimes(
            session,
            film_id=film.id,
            screen_id=screen.id,
            times=input.times,
            from_date=input.from_date,
            to_date=input.to_date,
            price_minor=price_minor,
            currency=currency,
            now=info.context.now,
            gap_minutes=info.context.settings.cleaning_gap_minutes,
        )


class CinemaMutations(graphene.ObjectType):
    create_cinema = CreateCinema.field()
    create_screen = CreateScreen.field()
    update_screen = UpdateScreen.field()
    create_showtime = CreateShowtime.field()
    schedule_showtimes = ScheduleShowtimes.field()
