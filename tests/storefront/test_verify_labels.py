"""`/verify/<code>` for authenticity labels (SPEC §10): a shopper types the code on a hangtag."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from sqlalchemy import func, select

from catalog.film_admin import archive_film
from kernel.db import Database
from kernel.ratelimit import MemoryBucket
from licensing.agreements import set_agreement_status
from licensing.label_batches import batch_codes, request_labels
from licensing.label_models import LabelVerification
from licensing.labels import display
from licensing.models import AgreementStatus
from tests import factory as F

NOW = F.at("2026-08-10T12:00")


async def _labels(db: Database, quantity: int = 3) -> tuple[list[str], object, object]:
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session)
        batch = await request_labels(
            session, product_id=tee.id, quantity=quantity, merchant_id=None, requested_by="s",
            now=NOW,
        )  # fmt: skip
        _, _, codes = await batch_codes(session, batch.id, merchant_id=None)
    return codes, agreement, tee


async def _verifications(db: Database) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(LabelVerification))


async def test_a_shopper_verifies_a_label_typed_any_way_and_every_check_counts(
    client: httpx.AsyncClient, db: Database
) -> None:
    codes, agreement, tee = await _labels(db)
    typed = display(codes[0]).lower().replace("-", " ")
    via_form = await client.get("/verify", params={"code": typed})
    assert via_form.status_code == 303
    page = await client.get(via_form.headers["location"])
    assert page.status_code == 200
    assert "Genuine label, licensed product" in page.text
    assert tee.name in page.text and tee.sku in page.text and agreement.code in page.text
    assert display(codes[0]) in page.text
    assert "checked 1 time." in page.text
    again = await client.get(f"/verify/{codes[0]}")
    assert "checked 2 times." in again.text
    assert await _verifications(db) == 2

    async with db.session() as session:
        await set_agreement_status(session, agreement.id, AgreementStatus.TERMINATED, now=NOW)
    ended = await client.get(f"/verify/{display(codes[1])}")
    assert ended.status_code == 200 and "not licensed for sale now" in ended.text
    async with db.read_session() as session:
        network = await session.scalar(select(LabelVerification.network).limit(1))
    assert network == "127.0.0.0/24"  # httpx's test client is 127.0.0.1: its /24, not the address


async def test_malformed_codes_get_not_an_official_code_never_a_500(
    client: httpx.AsyncClient, db: Database
) -> None:
    codes, _, _ = await _labels(db, quantity=1)
    code = codes[0]
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:-1] + "*"
    arabic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in code)
    for bad in [
        wrong_check,
        swapped,
        arabic,
        code[:6] + "\x00" + code[6:],
        "X" * 5000,
        "٠١٢٣٤٥٦٧٨٩٠١٢",
        "../../etc/passwd",
        "<script>alert(1)</script>",
    ]:
        response = await client.get("/verify/" + quote(bad, safe=""))
        assert response.status_code in (400, 404), repr(bad[:20])
        assert "Not an official code" in response.text, repr(bad[:20])
        assert "<script>alert(1)</script>" not in response.text
    assert await _verifications(db) == 0


async def test_checks_are_throttled_per_client_and_a_refused_check_is_not_counted(
    client: httpx.AsyncClient, db: Database
) -> None:
    codes, _, _ = await _labels(db, quantity=1)
    client._transport.app.state.verify_bucket = MemoryBucket(capacity=2, rate=0.001)  # type: ignore[attr-defined]
    assert (await client.get(f"/verify/{codes[0]}")).status_code == 200
    assert (await client.get("/verify/NOT-A-CODE")).status_code == 404  # counts too
    throttled = await client.get(f"/verify/{codes[0]}")
    assert throttled.status_code == 429 and "Too many checks" in throttled.text
    assert int(throttled.headers["retry-after"]) >= 1
    assert await _verifications(db) == 1


async def test_the_merch_of_an_archived_film_is_genuine_but_not_licensed_now(
    client: httpx.AsyncClient, db: Database
) -> None:
    # Given a labelled, approved product on sale, then its film archived by staff
    codes, _, tee = await _labels(db, quantity=1)
    assert (await client.get(f"/products/{tee.sku}")).status_code == 200
    async with db.session() as session:
        await archive_film(session, tee.film_id, now=NOW)
    # When a shopper checks its label and its SKU, and opens its product page
    label = await client.get(f"/verify/{codes[0]}")
    sku = await client.get(f"/verify/{tee.sku}")
    product = await client.get(f"/products/{tee.sku}")
    # Then both checks say it is genuine but not licensed for sale now, because of the film
    assert label.status_code == 200
    assert "Genuine label, not licensed for sale now" in label.text
    assert "its film has been withdrawn by the studio" in label.text
    assert sku.status_code == 200
    assert "Genuine product, not licensed for sale now" in sku.text
    assert "Its film has been withdrawn by the studio" in sku.text
    # and the product page is gone from the public, as the sellable rule says
    assert product.status_code == 404
