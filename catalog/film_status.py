"""A film's status in cinemas, computed from its dates (SPEC §7), in one place.

- `archived`: staff archived it (`Film.archived_at` set), whatever its dates; it is hidden
  from the public;
- otherwise `coming_soon`: its release date is after today;
- `now_showing`: released (release date today or earlier) with a showtime to come, i.e. one
  starting at or after now;
- `out_of_cinemas`: released, and no showtime to come.

"Today" is the date of `now` (UTC). The rule has a Python form for one film (`film_status`)
and SQL forms for lists (`film_status_clause`, a WHERE clause over `Film`, and
`film_status_column`, the status as a column); tests/catalog/test_film_status.py checks with
hypothesis that they agree, on both databases.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, case, exists, not_
from sqlalchemy.sql.elements import ColumnElement

from catalog.models import Film, Showtime


class FilmStatus(StrEnum):
    """Where a film stands in cinemas, as of now."""

    COMING_SOON = "coming_soon"
    NOW_SHOWING = "now_showing"
    OUT_OF_CINEMAS = "out_of_cinemas"
    ARCHIVED = "archived"


def is_to_come(starts_at: datetime, now: datetime) -> bool:
    """A showtime is still to come until it starts (one starting right now still counts)."""
    return starts_at >= now


def film_status(
    release_date: date, *, showtime_to_come: bool, now: datetime, archived: bool = False
) -> FilmStatus:
    """The Python form: the status of a film released on `release_date` that has (or has
    not) a showtime to come (`is_to_come`) as of `now`; ARCHIVED when staff archived it."""
    if archived:
        return FilmStatus.ARCHIVED
    if release_date > now.date():
        return FilmStatus.COMING_SOON
    return FilmStatus.NOW_SHOWING if showtime_to_come else FilmStatus.OUT_OF_CINEMAS


def showtimes_to_come(now: datetime) -> ColumnElement[bool]:
    """SQL form of `is_to_come`, over `Showtime`."""
    return Showtime.starts_at >= now


def _has_showtime_to_come(now: datetime) -> ColumnElement[bool]:
    return exists().where(Showtime.film_id == Film.id, showtimes_to_come(now))


def film_not_archived() -> ColumnElement[bool]:
    """SQL, over `Film`: the films staff have not archived (what the public may see)."""
    return Film.archived_at.is_(None)


def film_status_clause(status: FilmStatus | str, now: datetime) -> ColumnElement[bool]:
    """The SQL form as a WHERE clause over `Film`: true exactly for the films whose
    `film_status` is `status`."""
    today = now.date()
    match FilmStatus(status):
        case FilmStatus.ARCHIVED:
            return not_(film_not_archived())
        case FilmStatus.COMING_SOON:
            return and_(film_not_archived(), Film.release_date > today)
        case FilmStatus.NOW_SHOWING:
            return and_(film_not_archived(), Film.release_date <= today, _has_showtime_to_come(now))
        case FilmStatus.OUT_OF_CINEMAS:
            return and_(
                film_not_archived(), Film.release_date <= today, not_(_has_showtime_to_come(now))
            )


def film_status_column(now: datetime) -> ColumnElement[str]:
    """The SQL form as a column over `Film`: its `FilmStatus` value, for listing films with
    their status in one statement."""
    return case(
        (Film.archived_at.is_not(None), FilmStatus.ARCHIVED.value),
        (Film.release_date > now.date(), FilmStatus.COMING_SOON.value),
        (_has_showtime_to_come(now), FilmStatus.NOW_SHOWING.value),
        else_=FilmStatus.OUT_OF_CINEMAS.value,
    )
