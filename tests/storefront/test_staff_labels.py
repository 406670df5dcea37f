"""The console's label batches page (SPEC §10): every batch, newest first, filtered by
merchant or agreement; bad filters are a 400, never a 500; staff only."""

from __future__ import annotations

import httpx

from kernel.db import Database
from licensing.label_batches import request_labels
from tests import factory as F
from tests.factory import staff_member
from tests.storefront.console import sign_in
from tests.storefront.test_staff_reports import _tables


async def test_batches_are_listed_newest_first_and_filtered(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as s:
        first, tee = await F.licensing_world(s)
        second, mug = await F.licensing_world(s)
        for product, n, when in ((tee, 5, "2026-02-01T00:00"), (mug, 7, "2026-03-01T00:00")):
            await request_labels(s, product_id=product.id, quantity=n, merchant_id=None,
                                 requested_by="staff:ana", now=F.at(when))  # fmt: skip
    assert (await client.get("/staff/labels")).status_code == 303  # signed out: to the login
    await staff_member(db)
    await sign_in(client)
    listing = _tables((await client.get("/staff/labels")).text)["label-batches-table"]
    assert [row[2] for row in listing[1:]] == [second.code, first.code]
    assert [row[4] for row in listing[1:]] == ["7", "5"]
    only = _tables((await client.get(f"/staff/labels?agreement={first.code}")).text)
    assert [row[2] for row in only["label-batches-table"][1:]] == [first.code]
    none = await client.get("/staff/labels?merchant=nobody-here")
    assert none.status_code == 200 and "No label batch here yet." in none.text
    for bad in ("merchant=%00", "merchant=" + "x" * 500, "agreement=a%07b"):
        assert (await client.get(f"/staff/labels?{bad}")).status_code == 400, bad
