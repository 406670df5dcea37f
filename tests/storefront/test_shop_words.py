"""What a new shopper reads in Chinese or Japanese, found by walking the shop in a browser:
the usual option name of a product ("size") in their language on the product page, the film
page's "Choose size" and the bundle's size choice; a merch page's next showtimes and a film's
release date as the language writes dates (not "Mon 30 Nov"); and a sold-out bundle's reason
ending with one full stop, not two."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from catalog.models import Film, Product, Showtime
from catalog.variants import create_variant
from kernel.db import Database
from kernel.i18n import format_day, format_moment
from tests.factory import shop_world

HEADERS = {"en": "en-US,en;q=0.9", "zh-Hans": "zh-CN,zh;q=0.9", "ja": "ja-JP,ja;q=0.9"}
SIZE = {"en": "Size", "zh-Hans": "尺码", "ja": "サイズ"}
CHOOSE_SIZE = {"en": "Choose size", "zh-Hans": "选择尺码", "ja": "サイズを選択"}
RELEASED = {"en": "released {}", "zh-Hans": "{} 上映", "ja": "{} 公開"}


@pytest.fixture
async def world(db: Database):
    made = await shop_world(db, shirt_stock=0)  # stock is kept per size
    async with db.session() as s:
        shirt = await s.scalar(select(Product).where(Product.sku == "NH-TEE-01"))
        assert shirt is not None
        for code, size in (("NH-TEE-01-S", "S"), ("NH-TEE-01-M", "M")):
            await create_variant(
                s, shirt.id, merchant_id=None, code=code, options=[("size", size)], stock=4
            )
    return made


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", list(HEADERS))
async def test_the_size_is_named_in_the_shoppers_language(
    client: httpx.AsyncClient, world, language: str
) -> None:
    client.headers["Accept-Language"] = HEADERS[language]
    product = (await client.get("/products/NH-TEE-01")).text
    assert f'<label for="f-sku">{SIZE[language]}</label>' in product
    film = (await client.get("/films/night-harbor")).text
    assert CHOOSE_SIZE[language] in film
    bundle_label = re.search(r'<label for="f-choice-[^"]+">([^<]*)</label>', film)
    assert bundle_label, film
    assert bundle_label.group(1).endswith(": " + SIZE[language].lower())
    if language != "en":
        assert "Size" not in text_of(product) and "size" not in text_of(film)


@pytest.mark.parametrize("language", list(HEADERS))
async def test_showtimes_and_release_dates_are_written_in_the_language(
    client: httpx.AsyncClient, db: Database, world, language: str
) -> None:
    client.headers["Accept-Language"] = HEADERS[language]
    async with db.session() as s:
        film = await s.get(Film, world.film_id)
        show = await s.get(Showtime, world.showtime_ids[0])
        assert film is not None and show is not None
        await s.refresh(show, ["cinema"])
        when = format_moment(show.starts_at, show.cinema.timezone, language)
        released = format_day(film.release_date, language)
    product = text_of((await client.get("/products/NH-POSTER-01")).text)
    assert when in product
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d (Jan|Feb|Mar|Apr|May|Jun|"
                         r"Jul|Aug|Sep|Oct|Nov|Dec)\b", product)  # fmt: skip
    film_page = text_of((await client.get("/films/night-harbor")).text)
    assert RELEASED[language].format(released) in film_page


async def test_a_sold_out_bundle_gives_its_reason_with_one_full_stop(
    client: httpx.AsyncClient, db: Database
) -> None:
    await shop_world(db, shirt_stock=0)
    english = text_of((await client.get("/films/night-harbor")).text)
    assert "Not available right now:" in english
    assert ".." not in english
    client.headers["Accept-Language"] = HEADERS["ja"]
    japanese = text_of((await client.get("/films/night-harbor")).text)
    assert "現在はご購入いただけません" in japanese
    assert "。。" not in japanese and "。." not in japanese


@pytest.mark.parametrize(("language", "stop"), [("en", "."), ("zh-Hans", "。"), ("ja", "。")])
async def test_a_link_standing_as_a_sentence_ends_with_the_languages_full_stop(
    client: httpx.AsyncClient, world, language: str, stop: str
) -> None:
    client.headers["Accept-Language"] = HEADERS[language]
    for path in ("/", "/cart"):  # the footer's order link; the empty cart's films link
        page = (await client.get(path)).text
        ends = re.findall(r"</a>(.)</p>", page)
        assert ends and set(ends) == {stop}, (path, ends)
