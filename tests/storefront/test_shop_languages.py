"""The shop in English, Simplified Chinese and Japanese (issue 14): the language comes from
the switcher's cookie, else Accept-Language (zh-CN means zh-Hans), else English; pages say
their words in it, prices are Babel's (format_price), orders keep it for their e-mails, and
the switcher only ever sends the shopper back to a path of this site."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.models import Film, FilmTitle
from kernel.db import Database
from kernel.i18n import COOKIE, format_price
from orders.models import Order
from tests.factory import shop_world
from tests.storefront.test_shop_checkout import check_out, fill_cart


@pytest.fixture
async def world(db: Database):
    return await shop_world(db, shirt_stock=3)


# language, the header a browser sends, and words each page must say in it
WORDS = {
    "en": ("en-GB,en;q=0.8", "Now showing", "Add to cart", "Your cart", "Continue to payment",
           "Awaiting payment"),
    "zh-Hans": ("zh-CN,zh;q=0.9", "正在上映", "加入购物车", "购物车", "继续付款", "待付款"),
    "ja": ("ja-JP,ja;q=0.9,en;q=0.5", "上映中", "カートに入れる", "カート", "お支払いへ進む",
           "お支払い待ち"),
}  # fmt: skip


@pytest.mark.parametrize("language", list(WORDS))
async def test_every_shop_page_speaks_the_shoppers_language(shop, world, db, language):
    header, showing, add, cart_title, pay_next, awaiting = WORDS[language]
    shop.headers["Accept-Language"] = header
    # Home
    home = await shop.get("/")
    assert f'<html lang="{language}">' in home.text and showing in home.text
    # Product: words and the price as the language writes it (Babel's CLDR)
    product = await shop.get(f"/products/{world.shirt_sku}")
    assert add in product.text
    assert format_price(2500, "USD", language) in product.text
    # Cart and checkout: a bundle (32.00) and a poster (15.00)
    await fill_cart(shop, world)
    cart = await shop.get("/cart")
    assert cart_title in cart.text and format_price(4700, "USD", language) in cart.text
    checkout = await shop.get("/checkout")
    assert pay_next in checkout.text and format_price(3200, "USD", language) in checkout.text
    # The order keeps the language it was placed in; its page speaks it
    number, key = await check_out(shop, (await shop.get("/checkout")).text.split(
        'name="csrf_token" value="', 1)[1].split('"', 1)[0])  # fmt: skip
    async with db.read_session() as s:
        order = await s.scalar(select(Order).where(Order.number == number))
    assert order.language == language
    page = await shop.get(f"/orders/{number}", params={"key": key})
    assert page.status_code == 200
    assert awaiting in page.text and format_price(4700, "USD", language) in page.text
    pay = await shop.get(f"/pay/{number}", params={"key": key})
    assert format_price(4700, "USD", language) in pay.text


async def test_chinese_of_china_means_simplified_and_the_switchers_cookie_wins(shop, world):
    zh = await shop.get("/cart", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in zh.text and "购物车是空的。" in zh.text
    traditional = await shop.get("/cart", headers={"Accept-Language": "zh-TW, ja;q=0.5"})
    assert '<html lang="ja">' in traditional.text  # tiein speaks no Traditional Chinese
    shop.cookies.set(COOKIE, "ja")
    chosen = await shop.get("/cart", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="ja">' in chosen.text and "カートは空です。" in chosen.text


async def test_the_switcher_remembers_the_choice_and_goes_back(shop, world):
    home = await shop.get("/", headers={"Accept-Language": "en"})
    assert 'href="/language/ja?next=/"' in home.text and "日本語" in home.text
    switched = await shop.get("/language/zh-Hans", params={"next": "/cart?x=1"})
    assert switched.status_code == 303 and switched.headers["location"] == "/cart?x=1"
    assert f"{COOKIE}=zh-Hans" in switched.headers["set-cookie"]
    assert "Max-Age=31536000" in switched.headers["set-cookie"]
    cart = await shop.get("/cart", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in cart.text


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil", "/\\evil", "http://evil.com/", "\\\\evil",
               "javascript:alert(1)", " //evil.com", "/\t/evil.com"]
)  # fmt: skip
async def test_the_switcher_never_sends_anyone_to_another_site(shop, target):
    switched = await shop.get("/language/ja", params={"next": target})
    assert (switched.status_code, switched.headers["location"]) == (303, "/")


async def test_the_switcher_goes_back_to_a_path_of_this_site_as_it_was(shop):
    switched = await shop.get("/language/ja", params={"next": "/%0d/x"})
    assert (switched.status_code, switched.headers["location"]) == (303, "/%0d/x")


async def test_an_unknown_language_is_not_found_and_sets_nothing(shop):
    for code in ("xx", "zh-Hant", "ja'", "a" * 300):
        answer = await shop.get(f"/language/{code}", params={"next": "/"})
        assert answer.status_code in (400, 404) and "set-cookie" not in answer.headers


async def test_error_pages_and_flashes_speak_the_language(shop, world):
    missing = await shop.get("/no-such-page", headers={"Accept-Language": "ja"})
    assert missing.status_code == 404 and "ページが見つかりませんでした" in missing.text
    shop.cookies.set(COOKIE, "zh-Hans")
    token = (await shop.get("/")).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    await shop.post("/cart/add", data={"csrf_token": token, "kind": "product",
                                       "sku": world.poster_sku, "qty": "1"})  # fmt: skip
    assert "已加入购物车。" in (await shop.get("/cart")).text
    expired = await shop.post("/cart/add", data={"csrf_token": "stale", "sku": "x"})
    assert expired.status_code == 403 and "表单已过期" in expired.text


async def test_the_console_stays_english_without_a_switcher(shop):
    login = await shop.get("/staff/login", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in login.text and "/language/" not in login.text


async def test_film_titles_follow_the_language_where_the_studio_gives_one(shop, world, db):
    # Given a Japanese title for the film and none in Chinese
    async with db.session() as s:
        s.add(FilmTitle(film_id=world.film_id, language="ja", title="夜の港", synopsis=""))
    token = (await shop.get("/")).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    ticket = {"kind": "ticket", "showtime_id": world.showtime_ids[0], "qty": "1"}
    await shop.post("/cart/add", data={"csrf_token": token, **ticket})
    # Then Japanese pages name the film in Japanese, on the product page and in the cart line
    for path in (f"/products/{world.shirt_sku}", "/cart"):
        page = await shop.get(path, headers={"Accept-Language": "ja"})
        assert "夜の港" in page.text
    japanese = await shop.get("/cart", headers={"Accept-Language": "ja"})
    assert "チケット: 夜の港 · " in japanese.text
    # And Chinese ones, without a Chinese title, the original title (the fallback rule)
    async with db.read_session() as s:
        film = await s.get(Film, world.film_id)
    chinese = await shop.get("/cart", headers={"Accept-Language": "zh-CN"})
    assert f"电影票: {film.original_title or film.title} · " in chinese.text
    assert "夜の港" not in chinese.text
