"""Films in the staff console: the list with each film's status, adding and editing a film
with titles per language, bad input said in words with the field named and nothing stored,
and archiving after a confirmation, which hides the film from the shop and stops its sale."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import func, select

from catalog.models import Film, FilmTitle, Franchise
from kernel.config import Settings
from kernel.db import Database
from tests.factory import make_film, shop_world
from tests.storefront.console import confirm, csrf, post_form, staff_console

TODAY = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def world(db: Database):
    return await shop_world(db)


@pytest.fixture
async def staff(settings: Settings, db: Database, world) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_console(settings, db, clock=TODAY) as client:
        yield client


async def stored(db: Database) -> tuple[int, int, int]:
    async with db.read_session() as session:
        return (
            await session.scalar(select(func.count(Film.id))),
            await session.scalar(select(func.count(FilmTitle.id))),
            await session.scalar(select(func.count(Franchise.id))),
        )


def new_film(**extra: str) -> dict[str, str]:
    return {
        "slug": "lantern-sea",
        "original_title": "灯籠の海",
        "title_en": "Lantern Sea",
        "synopsis_en": "A town of lights.",
        "title_ja": "灯籠の海",
        "title_zh-Hans": "",
        "synopsis_zh-Hans": "",
        "release_date": (TODAY.date() + timedelta(days=20)).isoformat(),
        "runtime_minutes": "104",
        "rating": "PG",
        "franchise_slug": "sea-tales",
        **extra,
    }


async def test_the_film_list_shows_each_film_with_its_status(staff, world) -> None:
    page = await staff.get("/staff/films")
    assert page.status_code == 200
    assert 'href="/staff/films"' in page.text  # "Films" is in the staff navigation
    assert "Night Harbor" in page.text and "now showing" in page.text
    assert "coming soon" in page.text
    assert 'data-label="Status"' in page.text  # the table reflows on a phone


async def test_staff_add_a_film_with_titles_per_language(staff, db: Database) -> None:
    form = await staff.get("/staff/films/new")
    assert form.status_code == 200 and 'name="title_zh-Hans"' in form.text
    added = await post_form(staff, "/staff/films/new", new_film(), page="/staff/films/new")
    assert added.status_code == 303
    async with db.read_session() as session:
        film = await session.scalar(select(Film).where(Film.slug == "lantern-sea"))
        assert film is not None and film.title == "Lantern Sea" and film.runtime_minutes == 104
        titles = dict(
            (await session.execute(
                select(FilmTitle.language, FilmTitle.title).where(FilmTitle.film_id == film.id)
            )).all()
        )  # fmt: skip
    assert titles == {"en": "Lantern Sea", "ja": "灯籠の海"}  # a blank language is left out
    assert added.headers["location"] == f"/staff/films/{film.id}"
    edit = await staff.get(added.headers["location"])
    assert "Film lantern-sea added." in edit.text
    assert 'value="灯籠の海"' in edit.text and 'id="poster"' in edit.text


async def test_bad_input_is_said_in_words_naming_the_field_and_nothing_is_stored(
    staff, db: Database
) -> None:
    before = await stored(db)
    bad = new_film(
        slug="Lantern Sea!",
        title_ja="x" * 201,
        release_date="someday",
        runtime_minutes="0",
        franchise_slug="Not a slug",
    )
    page = await post_form(staff, "/staff/films/new", bad, page="/staff/films/new")
    assert page.status_code == 400
    html = page.text
    assert "Nothing was saved" in html
    assert "is not a slug (lower-case letters, digits and dashes)" in html
    assert "longer than 200 characters" in html
    assert "Give the release date as a date, e.g. 2026-07-01." in html
    assert "The runtime must be a whole number of minutes from 1 to 600." in html
    for field in ("slug", "title_ja", "release_date", "runtime_minutes", "franchise_slug"):
        assert f'id="e-{field}"' in html, field  # each message sits by its field
    assert "Japanese title</a>: The text is longer than 200 characters." in html
    assert "INVALID" not in re.sub(r'data-code="[^"]*"', "", html)  # no raw codes in the words
    assert 'value="Lantern Sea!"' in html  # what was typed is kept
    # a duplicate slug and a film without any title are refused the same way
    taken = await post_form(
        staff, "/staff/films/new", new_film(slug="night-harbor"), page="/staff/films/new"
    )
    assert taken.status_code == 400 and "A film with the slug 'night-harbor' exists" in unescape(
        taken.text
    )
    untitled = new_film(original_title="", title_en="", synopsis_en="", title_ja="")
    nameless = await post_form(staff, "/staff/films/new", untitled, page="/staff/films/new")
    assert "Give the film an English title or its original title." in nameless.text
    assert await stored(db) == before


async def test_staff_edit_a_film_and_a_taken_slug_is_refused(staff, db: Database, world) -> None:
    path = f"/staff/films/{world.film_id}"
    page = await staff.get(path)
    assert page.status_code == 200 and 'value="night-harbor"' in page.text
    changes = new_film(slug="night-harbour", title_en="Night Harbour", title_ja="夜の港")
    saved = await post_form(staff, path, changes, page=path)
    assert saved.status_code == 303
    async with db.read_session() as session:
        film = await session.get(Film, world.film_id)
        assert film is not None and film.slug == "night-harbour" and film.title == "Night Harbour"
    clash = await post_form(staff, path, new_film(slug=world.coming_slug), page=path)
    assert clash.status_code == 400 and "exists already" in clash.text
    async with db.read_session() as session:
        assert (await session.get(Film, world.film_id)).slug == "night-harbour"


async def test_film_pages_refuse_odd_ids_and_posts_without_csrf(staff, world) -> None:
    assert (await staff.get("/staff/films/99999")).status_code == 404
    assert (await staff.get("/staff/films/99999999999999999999")).status_code == 400
    assert (await staff.get("/staff/films/abc")).status_code == 400
    no_token = await staff.post("/staff/films/new", data=new_film())
    assert no_token.status_code == 403
    no_token = await staff.post(f"/staff/films/{world.film_id}/archive", data={"action": "archive"})
    assert no_token.status_code == 403


async def test_archiving_asks_first_then_hides_the_film_and_stops_its_sale(
    staff, db: Database, world, client: httpx.AsyncClient
) -> None:
    path = f"/staff/films/{world.film_id}"
    first = await post_form(staff, f"{path}/archive", {"action": "archive"}, page=path)
    assert first.status_code == 200 and "Nothing has changed yet" in first.text
    async with db.read_session() as session:
        assert (await session.get(Film, world.film_id)).archived_at is None
    done = await confirm(staff, first)
    assert done.status_code == 303
    async with db.read_session() as session:
        assert (await session.get(Film, world.film_id)).archived_at is not None
    listed = await staff.get("/staff/films")
    assert "archived" in listed.text and "Night Harbor" in listed.text  # staff still see it

    # the shop: no page, not on the home page, its merch and tickets are not sold
    assert (await client.get(f"/films/{world.film_slug}")).status_code == 404
    home = await client.get("/")
    assert "Night Harbor" not in home.text
    assert (await client.get(f"/products/{world.shirt_sku}")).status_code == 404
    token = await csrf(client, "/")
    for item in (
        {"kind": "product", "sku": world.shirt_sku},
        {"kind": "ticket", "showtime_id": str(world.showtime_ids[0])},
    ):
        await client.post("/cart/add", data={"csrf_token": token, "qty": "1", **item})
    cart = await client.get("/cart")
    assert "Your cart is empty." in cart.text
    assert "not for sale: its film has been archived by the studio" in cart.text
    assert "This showtime is no longer on sale." in cart.text

    # bringing it back needs no confirmation and makes it public again
    back = await post_form(staff, f"{path}/archive", {"action": "unarchive"}, page=path)
    assert back.status_code == 303
    assert (await client.get(f"/films/{world.film_slug}")).status_code == 200


async def test_the_film_list_takes_as_many_statements_for_many_films(
    staff, db: Database, query_counter
) -> None:
    counts = []
    for more in (0, 25):
        async with db.session() as session:
            for i in range(more):
                film = await make_film(session, slug=f"many-{i}", title=f"Many {i}")
                film.archived_at = TODAY if i % 2 else None
        with query_counter() as counted:
            page = await staff.get("/staff/films")
        assert page.status_code == 200
        counts.append(counted.count)
    assert page.text.count("Many ") == 25
    assert counts[0] == counts[1], counts
