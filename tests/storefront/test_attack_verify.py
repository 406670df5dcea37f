"""Hostile review of `/verify/<code>` (SPEC §10, §11): a request that only asks for headers
(HEAD: link previews, crawlers, uptime checkers) must not count as a shopper's check, and
look-alike input never reaches a 500."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from catalog.variants import create_variant
from kernel.db import Database
from kernel.ratelimit import MemoryBucket
from licensing.labels import display
from tests import factory as F
from tests.storefront.test_verify_labels import _labels, _verifications


async def test_a_head_request_does_not_count_as_a_verification(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given a genuine label
    codes, _, _ = await _labels(db, quantity=1)
    # when a link preview asks for the page's headers only, three times
    for _ in range(3):
        head = await client.head(f"/verify/{codes[0]}")
        assert head.status_code == 200
    # then nothing was counted, and the shopper's own check is the first
    assert await _verifications(db) == 0
    page = await client.get(f"/verify/{codes[0]}")
    assert "checked 1 time." in page.text
    assert await _verifications(db) == 1


async def test_homoglyphs_and_fullwidth_forms_are_not_an_official_code(
    client: httpx.AsyncClient, db: Database
) -> None:
    codes, _, _ = await _labels(db, quantity=1)
    shown = display(codes[0])
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in shown)
    look_alikes = str.maketrans(
        "ABCEHKMPTX03", "\u0410\u0412\u0421\u0415\u041d\u041a\u041c\u0420\u0422\u0425\u041e\u0417"
    )
    cyrillic = shown.translate(look_alikes)
    if cyrillic == shown:  # a code with none of these letters: make one Cyrillic anyway
        cyrillic = "\u0410" + shown[1:]
    for bad in (fullwidth, cyrillic, shown + "\u200b", "\ufeff" + shown, shown * 40):
        response = await client.get("/verify/" + quote(bad, safe=""))
        assert response.status_code in (400, 404), repr(bad[:20])
    assert await _verifications(db) == 0


async def test_a_variants_sku_on_a_size_tag_is_its_genuine_product(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given a licensed tee sold in sizes (issue 12): the size tag carries the variant's SKU
    async with db.session() as session:
        _, tee = await F.licensing_world(session)
        tee.stock = 0
        await session.flush()
        medium = await create_variant(
            session, tee.id, merchant_id=None, code="M", options={"size": "M"}, stock=3
        )
        sku, name = medium.sku, tee.name
    # when a shopper checks that SKU
    page = await client.get("/verify/" + quote(sku, safe=""))
    # then it is the genuine product, not "not an official code"
    assert page.status_code == 200, sku
    assert "Genuine licensed product" in page.text and name in page.text


async def test_x_forwarded_for_does_not_escape_the_throttle(
    client: httpx.AsyncClient, db: Database
) -> None:
    codes, _, _ = await _labels(db, quantity=1)
    client._transport.app.state.verify_bucket = MemoryBucket(capacity=2, rate=0.001)  # type: ignore[attr-defined]
    statuses = []
    for n in range(4):
        spoofed = {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"203.0.113.{n}",
                   "Forwarded": f"for=192.0.2.{n}"}  # fmt: skip
        statuses.append((await client.get(f"/verify/{codes[0]}", headers=spoofed)).status_code)
    assert statuses == [200, 200, 429, 429]
    assert await _verifications(db) == 2
