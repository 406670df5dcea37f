"""Staff's film services (catalog.film_admin) and the title fallback (catalog.film_titles):
franchises picked or made by slug, partial updates, every refusal named with nothing stored,
archiving kept once, and a language without a title showing the original title."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from catalog.film_admin import (
    FilmInput,
    TitleInput,
    archive_film,
    create_film,
    list_films,
    unarchive_film,
    update_film,
)
from catalog.film_status import FilmStatus
from catalog.film_titles import check_language, film_synopsis, film_title, titles_of
from catalog.models import Film, FilmTitle, Franchise
from kernel.db import Database
from kernel.errors import DomainError, DomainErrors

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def film(**extra: object) -> FilmInput:
    values: dict[str, object] = {
        "slug": "kaiju-summer",
        "original_title": "怪獣の夏",
        "titles": [TitleInput("en", "Kaiju Summer", "Big and warm.")],
        "release_date": date(2026, 9, 1),
        "runtime_minutes": 101,
        "franchise_slug": "kaiju",
    }
    return FilmInput(**(values | extra))  # type: ignore[arg-type]


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.read_session() as session:
        return tuple(
            [await session.scalar(select(func.count(m.id))) for m in (Film, FilmTitle, Franchise)]
        )  # type: ignore[return-value]


async def test_films_join_a_franchise_by_slug_made_once(db: Database) -> None:
    async with db.session() as session:
        first = await create_film(session, film(), now=NOW)
        second = await create_film(session, film(slug="kaiju-winter"), now=NOW)
        assert first.franchise_id == second.franchise_id is not None
        assert await session.scalar(select(Franchise.name)) == "Kaiju"
        assert first.title == "Kaiju Summer" and first.synopsis == "Big and warm."


async def test_an_update_changes_only_the_fields_given(db: Database) -> None:
    async with db.session() as session:
        made = await create_film(session, film(), now=NOW)
        await update_film(session, made.id, FilmInput(rating="PG"), now=NOW)
        assert (made.rating, made.title, made.runtime_minutes) == ("PG", "Kaiju Summer", 101)
        # titles given replace them all; without an `en` one the original title shows
        await update_film(session, made.id, FilmInput(titles=[TitleInput("ja", "怪獣")]), now=NOW)
        assert made.title == "怪獣の夏"
        rows = (await titles_of(session, [made.id]))[made.id]
        assert [(r.language, r.title) for r in rows] == [("ja", "怪獣")]
        await update_film(session, made.id, FilmInput(franchise_slug=""), now=NOW)
        assert made.franchise_id is None


async def test_a_refused_film_stores_nothing_not_even_its_franchise(db: Database) -> None:
    before = await counts(db)
    with pytest.raises(DomainErrors) as refused:
        async with db.session() as session:
            await create_film(
                session,
                film(runtime_minutes=601, release_date=date(1887, 12, 31), rating="x" * 17,
                     titles=[TitleInput("fr", "Été")]),
                now=NOW,
            )  # fmt: skip
    fields = [e.field for e in refused.value.errors]
    assert fields == ["titles.1.language", "release_date", "runtime_minutes", "rating"]
    assert await counts(db) == before


@pytest.mark.parametrize("runtime", [0, -5, 601, True, "ninety", "1e3"])
async def test_the_runtime_is_1_to_600_whole_minutes(db: Database, runtime: object) -> None:
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await create_film(session, film(runtime_minutes=runtime), now=NOW)
    assert (refused.value.field, refused.value.code) == ("runtime_minutes", "INVALID")


async def test_archiving_is_kept_once_and_can_be_undone(db: Database) -> None:
    async with db.session() as session:
        made = await create_film(session, film(), now=NOW)
        await archive_film(session, made.id, now=NOW)
        await archive_film(session, made.id, now=datetime(2027, 1, 1, tzinfo=UTC))
        assert made.archived_at == NOW  # the first archiving is when it happened
        rows = await list_films(session, now=NOW)
        assert [(r.film.slug, r.status) for r in rows] == [("kaiju-summer", FilmStatus.ARCHIVED)]
        await unarchive_film(session, made.id)
        rows = await list_films(session, now=NOW)
        assert rows[0].status == FilmStatus.COMING_SOON and rows[0].franchise == "Kaiju"


def test_a_language_without_a_title_shows_the_original_title() -> None:
    made = Film(id=1, title="Kaiju Summer", original_title="怪獣の夏", synopsis="Big.")
    rows = [FilmTitle(film_id=1, language="en", title="Kaiju Summer", synopsis="Big and warm.")]
    assert film_title(made, "en", rows) == "Kaiju Summer"
    assert film_title(made, "ja", rows) == "怪獣の夏"
    assert film_title(made, "zh-Hans", []) == "怪獣の夏"
    assert film_synopsis(made, "ja", rows) == "Big."
    untitled = Film(id=2, title="Paper Comets", original_title="", synopsis="")
    assert film_title(untitled, "ja", []) == "Paper Comets"


@pytest.mark.parametrize("code", ["fr", "", "zh", "en-GB", "x" * 500, "ja\x00"])
def test_only_the_kept_languages_are_accepted(code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_language(code)
    assert refused.value.code == "INVALID_LANGUAGE" and len(refused.value.message) < 200


def test_a_language_is_matched_whatever_its_case() -> None:
    assert check_language("ZH-hans") == "zh-Hans" and check_language(" JA ") == "ja"
