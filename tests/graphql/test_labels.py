"""`requestLabels`, `labelBatches` and the batch CSV (SPEC §10): a merchant's own approved
products only, at most 100,000 a batch, nothing of another merchant."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from licensing.label_models import LabelCode
from licensing.labels import parse_code
from tests.graphql.conftest import gid

REQUEST = """mutation($input: RequestLabelsInput!) {
  requestLabels(input: $input) {
    labelBatch { id quantity csvUrl requestedBy product { sku } merchant { name } }
    errors { field code message }
  }
}"""
BATCHES = """{ labelBatches(first: 10) { edges { node { id quantity product { sku } } } } }"""


async def _request(gql, token, product_id, quantity):
    body = await gql(REQUEST, {"input": {"productId": product_id, "quantity": quantity}}, token)
    assert "errors" not in body, body
    return body["data"]["requestLabels"]


async def _codes(db) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(LabelCode))


async def test_a_merchant_requests_labels_and_downloads_them_for_printing(
    gql, world, client, db
) -> None:
    a = world.a
    done = await _request(gql, a.token, gid("Product", a.approved_id), 25)
    assert done["errors"] == []
    batch = done["labelBatch"]
    assert (batch["quantity"], batch["product"]["sku"]) == (25, a.approved_sku)
    assert batch["requestedBy"].startswith("merchant:")

    download = await client.get(batch["csvUrl"], headers={"Authorization": f"Bearer {a.token}"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 25 and len({r["code"] for r in rows}) == 25
    for row in rows:
        code = parse_code(row["code"])
        assert code is not None and row["verify_url"].endswith(f"/verify/{code}")
        assert row["sku"] == a.approved_sku

    # Another merchant, no token, a bad token, a bad id: never the codes.
    other = await client.get(batch["csvUrl"], headers={"Authorization": f"Bearer {world.b.token}"})
    assert other.status_code == 404 and "code" not in other.text.lower().split(",")
    assert (await client.get(batch["csvUrl"])).status_code == 401
    bad = await client.get(batch["csvUrl"], headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    for path in ("/labels/batches/99999.csv", "/labels/batches/x%00.csv",
                 "/labels/batches/99999999999999999999.csv"):  # fmt: skip
        response = await client.get(path, headers={"Authorization": f"Bearer {a.token}"})
        assert response.status_code == 404, path
    staff = await client.get(
        batch["csvUrl"], headers={"Authorization": f"Bearer {world.staff_token}"}
    )
    assert staff.status_code == 200 and staff.text == download.text

    # labelBatches: a merchant sees its own, staff every merchant's.
    await _request(gql, world.staff_token, gid("Product", world.b.approved_id), 2)
    mine = await gql.data(BATCHES, token=a.token)
    assert [e["node"]["quantity"] for e in mine["labelBatches"]["edges"]] == [25]
    everyone = await gql.data(BATCHES, token=world.staff_token)
    assert [e["node"]["quantity"] for e in everyone["labelBatches"]["edges"]] == [2, 25]
    public = await gql(BATCHES)
    assert public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_label_requests_are_refused_with_a_field_and_a_code(gql, world, db) -> None:
    a = world.a
    cases = [
        (gid("Product", a.approved_id), 100_001, "quantity", "TOO_MANY_LABELS"),
        (gid("Product", a.approved_id), 0, "quantity", "INVALID_QUANTITY"),
        (gid("Product", a.draft_id), 5, "productId", "NOT_APPROVED"),
        (gid("Product", world.b.approved_id), 5, "productId", "NOT_FOUND"),
        (gid("Product", 999_999), 5, "productId", "NOT_FOUND"),
        ("not-an-id", 5, "productId", "NOT_FOUND"),
    ]
    for product_id, quantity, field, code in cases:
        done = await _request(gql, a.token, product_id, quantity)
        assert done["labelBatch"] is None
        assert [(e["field"], e["code"]) for e in done["errors"]] == [(field, code)], product_id
    both = await _request(gql, a.token, gid("Product", world.b.approved_id), -1)
    assert {e["field"] for e in both["errors"]} == {"productId", "quantity"}
    assert await _codes(db) == 0
    huge = await gql(REQUEST, {"input": {"productId": gid("Product", a.approved_id),
                                         "quantity": 2**40}}, a.token)  # fmt: skip
    assert huge["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _codes(db) == 0
    nul = await gql(REQUEST, {"input": {"productId": "x\x00", "quantity": 1}}, a.token)
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    anonymous = await gql(REQUEST, {"input": {"productId": gid("Product", 1), "quantity": 1}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
