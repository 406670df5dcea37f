"""Staff's film mutations (createFilm, updateFilm, archiveFilm): titles per language with the
original title as the fallback, every bad field named with a code and nothing stored, staff
only; an archived film is hidden from the public API everywhere while staff still see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from catalog.models import Film, FilmTitle, Franchise
from kernel.db import Database
from tests.conftest import count_queries
from tests.factory import make_film
from tests.graphql.conftest import NOW, Gql, World, gid

CREATE = """mutation($input: CreateFilmInput!) { createFilm(input: $input) {
  film { id slug title originalTitle synopsis status runtimeMinutes
         titles { language title synopsis }
         en: title(language: "en") ja: title(language: "ja") zh: title(language: "zh-Hans")
         jaSynopsis: synopsis(language: "ja") }
  errors { field code message } } }"""
UPDATE = """mutation($input: UpdateFilmInput!) { updateFilm(input: $input) {
  film { slug title titles { language title } ja: title(language: "ja") }
  errors { field code message } } }"""
ARCHIVE = """mutation($input: ArchiveFilmInput!) { archiveFilm(input: $input) {
  film { slug status archivedAt } errors { field code message } } }"""


def film_input(**extra: Any) -> dict[str, Any]:
    return {
        "slug": "lantern-sea",
        "originalTitle": "灯籠の海",
        "titles": [
            {"language": "en", "title": "Lantern Sea", "synopsis": "A town of lights."},
            {"language": "ja", "title": "灯籠の海", "synopsis": "光の町。"},
        ],
        "releaseDate": (NOW.date() + timedelta(days=30)).isoformat(),
        "runtimeMinutes": 104,
        "rating": "PG",
        "franchiseSlug": "sea-tales",
        **extra,
    }


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def stored(db: Database) -> tuple[int, int, int]:
    async with db.read_session() as session:
        return (
            await session.scalar(select(func.count(Film.id))),
            await session.scalar(select(func.count(FilmTitle.id))),
            await session.scalar(select(func.count(Franchise.id))),
        )


async def test_staff_creates_a_film_with_titles_per_language(gql: Gql, world: World) -> None:
    result = payload(await gql(CREATE, {"input": film_input()}, token=world.staff_token))
    assert result["errors"] == []
    film = result["film"]
    assert film["slug"] == "lantern-sea" and film["status"] == "COMING_SOON"
    # the `en` title is the film's title; each language has its own text...
    assert film["title"] == film["en"] == "Lantern Sea"
    assert film["synopsis"] == "A town of lights."
    assert film["ja"] == "灯籠の海" and film["jaSynopsis"] == "光の町。"
    # ...and a language without one shows the original title
    assert film["zh"] == "灯籠の海"
    assert [t["language"] for t in film["titles"]] == ["en", "ja"]


async def test_a_film_with_only_an_original_title_shows_it_everywhere(
    gql: Gql, world: World
) -> None:
    result = payload(await gql(CREATE, {"input": film_input(titles=[])}, token=world.staff_token))
    assert result["errors"] == []
    assert result["film"]["title"] == result["film"]["en"] == "灯籠の海"


async def test_bad_input_names_every_field_and_stores_nothing(
    gql: Gql, world: World, db: Database
) -> None:
    before = await stored(db)
    bad = film_input(
        slug="Lantern Sea!",
        titles=[
            {"language": "xx", "title": "Nope"},
            {"language": "en", "title": "   "},
            {"language": "EN", "title": "Twice"},
            {"language": "ja", "title": "x" * 201},
        ],
        releaseDate="1500-01-01",
        runtimeMinutes=0,
        rating="R" * 17,
        franchiseSlug="Not A Slug",
    )
    result = payload(await gql(CREATE, {"input": bad}, token=world.staff_token))
    assert result["film"] is None
    codes = {e["field"]: e["code"] for e in result["errors"]}
    assert codes == {
        "slug": "INVALID_SLUG",
        "titles.1.language": "INVALID_LANGUAGE",
        "titles.2.title": "INVALID",
        "titles.3.language": "DUPLICATE",
        "titles.4.title": "INVALID_INPUT",
        "releaseDate": "INVALID",
        "runtimeMinutes": "INVALID",
        "rating": "INVALID_INPUT",
        "franchiseSlug": "INVALID_SLUG",
    }
    assert all(e["message"] for e in result["errors"])
    # a NUL anywhere in the input is refused before the mutation runs
    nul = await gql(CREATE, {"input": film_input(titles=[{"language": "en", "title": "A\x00"}])},
                    token=world.staff_token)  # fmt: skip
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await stored(db) == before


async def test_a_duplicate_slug_or_a_film_without_any_title_is_refused(
    gql: Gql, world: World, db: Database
) -> None:
    before = await stored(db)
    taken = payload(
        await gql(CREATE, {"input": film_input(slug="moon-harbor")}, token=world.staff_token)
    )
    assert [(e["field"], e["code"]) for e in taken["errors"]] == [("slug", "DUPLICATE")]
    untitled = payload(
        await gql(
            CREATE, {"input": film_input(originalTitle="", titles=[])}, token=world.staff_token
        )
    )
    assert [(e["field"], e["code"]) for e in untitled["errors"]] == [("originalTitle", "INVALID")]
    many = [{"language": "en", "title": f"T{i}"} for i in range(500)]
    crowded = payload(
        await gql(CREATE, {"input": film_input(titles=many)}, token=world.staff_token)
    )
    assert [(e["field"], e["code"]) for e in crowded["errors"]] == [("titles", "INVALID")]
    too_long = payload(
        await gql(CREATE, {"input": film_input(runtimeMinutes=601)}, token=world.staff_token)
    )
    assert [(e["field"], e["code"]) for e in too_long["errors"]] == [("runtimeMinutes", "INVALID")]
    assert await stored(db) == before


async def test_staff_update_a_film_s_titles_and_slug(gql: Gql, world: World) -> None:
    film_id = gid("Film", world.film_id)
    result = payload(
        await gql(
            UPDATE,
            {"input": {"id": film_id, "slug": "moon-harbour",
                       "titles": [{"language": "en", "title": "Moon Harbour"},
                                  {"language": "ja", "title": "月の港"}]}},
            token=world.staff_token,
        )
    )  # fmt: skip
    assert result["errors"] == []
    assert result["film"] == {
        "slug": "moon-harbour",
        "title": "Moon Harbour",
        "titles": [{"language": "en", "title": "Moon Harbour"},
                   {"language": "ja", "title": "月の港"}],
        "ja": "月の港",
    }  # fmt: skip
    clash = payload(
        await gql(UPDATE, {"input": {"id": film_id, "slug": "paper-comets"}},
                  token=world.staff_token)
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in clash["errors"]] == [("slug", "DUPLICATE")]
    missing = payload(
        await gql(UPDATE, {"input": {"id": gid("Film", 99999), "rating": "G"}},
                  token=world.staff_token)
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("id", "NOT_FOUND")]


async def test_film_mutations_are_for_staff_only(gql: Gql, world: World, db: Database) -> None:
    before = await stored(db)
    film_id = gid("Film", world.film_id)
    for query, value in (
        (CREATE, film_input()),
        (UPDATE, {"id": film_id, "rating": "G"}),
        (ARCHIVE, {"id": film_id}),
    ):
        as_merchant = await gql(query, {"input": value}, token=world.a.token)
        assert as_merchant["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        as_public = await gql(query, {"input": value})
        assert as_public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await stored(db) == before
    public = await gql.data('{ film(slug: "moon-harbor") { status rating } }')
    assert public["film"]["status"] != "ARCHIVED"


PUBLIC_VIEW = """query($id: ID!) {
  films(first: 50) { nodes { slug } }
  film(slug: "moon-harbor") { slug }
  node(id: $id) { id }
  showtimes(first: 50) { nodes { film { slug } } }
  bundleOffers(first: 50) { nodes { film { slug } } }
  products(first: 50) { nodes { sku film { slug } } }
}"""


def slugs_seen(data: dict[str, Any]) -> set[str]:
    seen = {n["slug"] for n in data["films"]["nodes"]}
    for key in ("showtimes", "bundleOffers", "products"):
        seen |= {n["film"]["slug"] for n in data[key]["nodes"]}
    if data["film"]:
        seen.add(data["film"]["slug"])
    return seen


async def test_an_archived_film_is_hidden_from_the_public_and_its_merch_not_sold(
    gql: Gql, world: World
) -> None:
    film_id = gid("Film", world.film_id)
    variables = {"id": film_id}
    before = await gql.data(PUBLIC_VIEW, variables)
    assert "moon-harbor" in slugs_seen(before) and before["node"] == {"id": film_id}

    result = payload(await gql(ARCHIVE, {"input": {"id": film_id}}, token=world.staff_token))
    assert result["errors"] == []
    assert result["film"]["status"] == "ARCHIVED" and result["film"]["archivedAt"]

    after = await gql.data(PUBLIC_VIEW, variables)
    assert "moon-harbor" not in slugs_seen(after)
    assert after["film"] is None and after["node"] is None
    assert after["products"]["nodes"] == []  # every product of the world is of that film
    filtered = await gql.data("{ films(first: 50, filter: {status: ARCHIVED}) { nodes { slug } } }")
    assert filtered["films"]["nodes"] == []

    # staff still see it, with its status; its licensee still sees its products
    staff = await gql.data(PUBLIC_VIEW, variables, token=world.staff_token)
    assert staff["film"] == {"slug": "moon-harbor"} and staff["node"] == {"id": film_id}
    archived = await gql.data(
        "{ films(first: 50, filter: {status: ARCHIVED}) { nodes { slug status } } }",
        token=world.staff_token,
    )
    assert archived["films"]["nodes"] == [{"slug": "moon-harbor", "status": "ARCHIVED"}]
    own = await gql.data("{ products(first: 50) { nodes { sku film { slug } } } }",
                         token=world.a.token)  # fmt: skip
    assert {n["film"]["slug"] for n in own["products"]["nodes"]} == {"moon-harbor"}

    # and archiving can be undone
    back = payload(
        await gql(ARCHIVE, {"input": {"id": film_id, "archived": False}}, token=world.staff_token)
    )
    assert back["film"]["archivedAt"] is None
    assert "moon-harbor" in slugs_seen(await gql.data(PUBLIC_VIEW, variables))


FILMS = """{ films(first: 100) { nodes { slug title status archivedAt
  titles { language title } ja: title(language: "ja") zh: synopsis(language: "zh-Hans") } } }"""


async def test_listing_films_with_their_titles_takes_the_same_statements_for_more_films(
    gql: Gql, world: World, db: Database
) -> None:
    await gql.data("{ viewer { kind } }", token=world.staff_token)  # the token's first use
    counts, sizes = [], []
    for more in (0, 30):
        async with db.session() as session:
            for i in range(more):
                film = await make_film(session, slug=f"many-{i}", title=f"Many {i}")
                session.add(FilmTitle(film_id=film.id, language="ja", title=f"多 {i}"))
                if i % 3 == 0:
                    film.archived_at = NOW
        with count_queries(db) as counter:
            data = await gql.data(FILMS, token=world.staff_token)
        counts.append(
            len([q for q in counter.statements if not q.lstrip().startswith("UPDATE api_tokens")])
        )
        sizes.append(len(data["films"]["nodes"]))
    assert sizes == [2, 32]
    assert counts[0] == counts[1], counts
