"""Campaign pages, referral links and cached shop pages attacked as a hostile client would
(SPEC §9, issue 14's page cache)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from kernel.db import Database
from kernel.ratelimit import MemoryBucket
from orders.models import Order
from orders.promotion_models import Campaign, ReferralVisit
from orders.promotions import create_campaign, create_promo_code
from tests.factory import make_film, shop_world, staff_member
from tests.storefront.console import post_form, sign_in
from tests.storefront.test_shop_checkout import CONTACT, fill_cart


@pytest.fixture
async def world(db: Database):
    """The shop's world and a running referral campaign `creators` for its film."""
    world = await shop_world(db)
    now = datetime.now(UTC)
    async with db.session() as s:
        await create_campaign(
            s, name="Harbor creators", channel="referral", film_ids=[world.film_id],
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            referral_code="creators",
        )  # fmt: skip
    return world


async def _running_code(db: Database, code: str, *, percent_bps: int) -> None:
    """A percent-off promo code of the world's campaign, valid from yesterday for 30 days."""
    now = datetime.now(UTC)
    async with db.session() as s:
        campaign = await s.scalar(select(Campaign))
        await create_promo_code(
            s, campaign_id=campaign.id, code=code, kind="percent", percent_bps=percent_bps,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
        )  # fmt: skip


async def test_the_last_possible_day_is_refused_in_words_not_a_server_error(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    async with db.session() as session:
        film = await make_film(session, title="Night Train")
    form = {"name": "Forever", "channel": "referral", "starts_on": "2026-01-01",
            "ends_on": "9999-12-31", "film_ids": [str(film.id)]}  # fmt: skip
    refused = await post_form(client, "/staff/campaigns", form)
    assert refused.status_code == 400
    assert "Give a date like 2026-05-01." in refused.text
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Campaign.id))) == 0


async def test_one_client_following_a_referral_link_again_and_again_counts_once_a_day(
    client: httpx.AsyncClient, world, db: Database
) -> None:
    for _ in range(5):
        visit = await client.get("/r/creators")
        assert (visit.status_code, visit.headers["location"]) == (303, "/films/night-harbor")
        assert visit.headers["cache-control"] == "no-store"  # it sets the session cookie
    assert await _visits(db) == 1
    # a client dropping its cookie each time is throttled by its network
    client._transport.app.state.referral_bucket = MemoryBucket(capacity=3, rate=0.001)  # type: ignore[attr-defined]
    for _ in range(10):
        client.cookies.clear()
        visit = await client.get("/r/creators")
        assert (visit.status_code, visit.headers["location"]) == (303, "/films/night-harbor")
    assert await _visits(db) == 1 + 3
    # the shopper is still remembered for attribution
    assert "tiein_session" in client.cookies


@pytest.mark.parametrize(
    "code", ["x" * 1500, "%E2%80%AEcreators", "creators-" + "%E2%80%AE" * 40, "%20creators%20x"]
)
async def test_a_referral_code_that_cannot_be_one_goes_home_quietly(
    client: httpx.AsyncClient, world, code: str
) -> None:
    lost = await client.get(f"/r/{code}")
    assert (lost.status_code, lost.headers["location"]) == (303, "/")
    assert lost.headers["cache-control"] == "no-store"


async def test_a_referral_code_with_control_characters_is_a_400_not_a_header(
    client: httpx.AsyncClient, world
) -> None:
    assert (await client.get("/r/creators%00")).status_code == 400
    # CR LF: an unknown code (home), never a header of the answer
    crlf = await client.get("/r/cre%0d%0aSet-Cookie:%20a=b")
    assert (crlf.status_code, crlf.headers["location"]) == (303, "/")
    assert all("a=b" not in value for value in crlf.headers.values())


async def _visits(db: Database) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.sum(ReferralVisit.visits))) or 0)


@pytest.mark.parametrize("path", ["/", "/films/night-harbor", "/products/NH-TEE-01"])
async def test_a_cached_page_never_carries_another_shoppers_query_string(
    client: httpx.AsyncClient, world, path: str
) -> None:
    # one shopper's page is cached with its query string in the language switcher
    first = await client.get(f"{path}?utm_source=secret-of-a&x=%22%3E")
    assert first.status_code == 200
    assert "secret-of-a" in first.text  # its own way back, quoted
    assert '">' not in first.text.split("utm_source", 1)[1].split("lang=", 1)[0]
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        second = await other.get(f"{path}?mine=b")
        plain = await other.get(path)
    # another shopper's page (the same cache entry) has its own way back, not the first's
    assert "secret-of-a" not in second.text and "secret-of-a" not in plain.text
    assert f"next={quote(path, safe='/')}%3Fmine%3Db" in second.text
    assert f'next={quote(path, safe="/")}"' in plain.text
    assert second.headers["etag"] != plain.headers["etag"]


async def test_far_or_foreign_days_and_cinemas_do_not_fill_the_page_cache(
    client: httpx.AsyncClient, world
) -> None:
    cache = client._transport.app.state  # type: ignore[attr-defined]
    plain = await client.get("/films/night-harbor")
    assert plain.status_code == 200
    kept = len(cache.page_cache.pages)
    for i in range(40):
        page = await client.get(f"/films/night-harbor?day={2100 + i}-01-01&cinema={900 + i}")
        assert page.status_code == 200 and 'name="kind" value="ticket"' in page.text
    # each was rendered (the film's first day, all cinemas) and none was cached
    assert len(cache.page_cache.pages) == kept
    assert (await client.get("/films/night-harbor")).text == plain.text


async def test_promo_codes_cannot_be_found_by_trying_many(
    client: httpx.AsyncClient, world, db: Database
) -> None:
    await _running_code(db, "PARTNER-ONLY", percent_bps=5000)
    client._transport.app.state.promo_bucket = MemoryBucket(capacity=3, rate=0.001)  # type: ignore[attr-defined]
    token = await fill_cart(client, world)
    form = {"csrf_token": token, **CONTACT, "apply": "1"}
    for guess in ("PARTNER-A", "PARTNER-B", "PARTNER-C"):
        tried = await client.post("/checkout", data={**form, "promo_code": guess})
        assert tried.status_code == 200 and "We do not know this promo code." in tried.text
    # past the limit, even the right code is not looked up, and the field says why
    found = await client.post("/checkout", data={**form, "promo_code": "partner-only"})
    assert found.status_code == 429
    assert "Codes were checked too often from your network." in found.text
    assert "\N{MINUS SIGN}" not in found.text  # no discount shown
    placed = await client.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "partner-only"}
    )
    assert placed.status_code == 429
    async with db.read_session() as s:
        assert await s.scalar(select(func.count(Order.id))) == 0
    # in the shopper's language
    ja = await client.post(
        "/checkout", data={**form, "promo_code": "x-y-z"}, headers={"accept-language": "ja"}
    )
    assert ja.status_code == 429 and "お使いのネットワークからの確認が多すぎます" in ja.text
    # without a code, checkout goes on as ever
    plain = await client.post("/checkout", data=form)
    assert plain.status_code == 200 and "too often" not in plain.text


async def test_promo_codes_cannot_be_found_by_trying_many_on_the_cart_page_either(
    client: httpx.AsyncClient, world, db: Database
) -> None:
    await _running_code(db, "PARTNER-ONLY", percent_bps=5000)
    client._transport.app.state.promo_bucket = MemoryBucket(capacity=2, rate=0.001)  # type: ignore[attr-defined]
    token = await fill_cart(client, world)
    for guess in ("PARTNER-A", "PARTNER-B"):
        tried = await client.post("/cart/promo", data={"csrf_token": token, "promo_code": guess})
        assert tried.status_code == 400 and "We do not know this promo code." in tried.text
    found = await client.post(
        "/cart/promo", data={"csrf_token": token, "promo_code": "partner-only"}
    )
    assert found.status_code == 429
    assert "Codes were checked too often from your network." in found.text
    cart = await client.get("/cart")
    assert "PARTNER-ONLY" not in cart.text  # nothing was remembered


async def test_the_cart_code_typed_again_full_width_is_the_same_code_not_a_second_one(
    client: httpx.AsyncClient, world, db: Database
) -> None:
    # codes are read in NFKC form (orders.promotions.normalize_code): a Japanese or Chinese
    # keyboard's full-width HARBOR10 is the code already on the cart, not "another" one
    await _running_code(db, "HARBOR10", percent_bps=1000)
    token = await fill_cart(client, world)
    first = await client.post("/cart/promo", data={"csrf_token": token, "promo_code": "harbor10"})
    assert first.status_code == 303
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "HARBOR10")  # as an IME types it
    again = await client.post("/cart/promo", data={"csrf_token": token, "promo_code": full_width})
    assert (again.status_code, again.headers.get("location")) == (303, "/cart"), again.text
    cart = (await client.get("/cart")).text
    assert "Promo code HARBOR10 applied." in cart and "One promo code per order" not in cart
    # a code that differs is still refused while one is on the cart, and so is a look-alike
    for other in ("HARBOR20", "HARBOR1O", "ha"):
        second = await client.post("/cart/promo", data={"csrf_token": token, "promo_code": other})
        assert second.status_code == 400
        assert "One promo code per order: remove HARBOR10 to use another." in second.text


async def test_ordering_with_the_code_the_cart_took_needs_no_second_check(
    client: httpx.AsyncClient, world, db: Database
) -> None:
    await _running_code(db, "PARTNER-ONLY", percent_bps=1000)
    client._transport.app.state.promo_bucket = MemoryBucket(capacity=1, rate=0.001)  # type: ignore[attr-defined]
    token = await fill_cart(client, world)
    applied = await client.post(
        "/cart/promo", data={"csrf_token": token, "promo_code": "partner-only"}
    )
    assert applied.status_code == 303  # the one check this network had
    placed = await client.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "PARTNER-ONLY"}
    )
    # (this app has no card payments configured: the order is refused for that, not the code)
    assert placed.status_code == 400 and "too often" not in placed.text
    assert "Payments are not configured." in placed.text
    # another code still needs a check, and there is none left
    token = await fill_cart(client, world)
    other = await client.post(
        "/checkout", data={"csrf_token": token, **CONTACT, "promo_code": "OTHER-CODE"}
    )
    assert other.status_code == 429
