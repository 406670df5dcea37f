"""createVariant / updateVariant and Product.variants (SPEC §7, issue 12 "Variants"): a
merchant sizes its own products only (another's product or variant is not found, and nothing
changes), variant SKUs follow the prefix rule, stock and prices are refused when wrong, the
public sees `inStock` and never the stock, `product(sku)` finds a product by a variant's SKU,
and a product list's statement count stays flat with variants."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.models import Product, Variant
from catalog.products import sku_prefix
from catalog.variants import create_variant
from kernel.db import Database
from tests.conftest import count_queries
from tests.graphql.conftest import Gql, World, gid

CREATE = """mutation($input: CreateVariantInput!) { createVariant(input: $input) {
  variant { id sku options { name value } price { amount currency } hasOwnPrice stock inStock
            product { sku options stock } }
  errors { field code message } } }"""
UPDATE = """mutation($input: UpdateVariantInput!) { updateVariant(input: $input) {
  variant { sku stock price { amount } hasOwnPrice } errors { field code message } } }"""
PRODUCT = """query($sku: String!) { product(sku: $sku) { sku options
  variants { sku options { name value } stock inStock price { amount } } } }"""


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def clear_stock(db: Database, product_id: int) -> None:
    async with db.session() as s:
        product = await s.get(Product, product_id)
        assert product is not None
        product.stock = 0


async def size(gql: Gql, world: World, code: str, value: str, **extra: Any) -> dict[str, Any]:
    variables = {
        "input": {
            "productId": gid("Product", world.a.approved_id),
            "code": code,
            "options": [{"name": "size", "value": value}],
            **extra,
        }
    }
    return payload(await gql(CREATE, variables, token=world.a.token))


async def variants_in_db(db: Database) -> list[tuple[str, int]]:
    async with db.read_session() as s:
        return list((await s.execute(select(Variant.sku, Variant.stock))).all())


async def test_a_merchant_sizes_its_tee_and_shoppers_see_in_stock_not_stock(
    gql: Gql, world: World, db: Database
) -> None:
    # Given the tee still holds stock of its own, a first size is refused.
    refused = await size(gql, world, "TEE-S", "S", stock=3)
    assert [e["code"] for e in refused["errors"]] == ["PRODUCT_HAS_STOCK"]
    await clear_stock(db, world.a.approved_id)

    made = await size(gql, world, "TEE-S", "S", stock=3)
    assert made["errors"] == []
    prefix = sku_prefix(world.a.id)
    assert made["variant"]["sku"] == f"{prefix}-TEE-S"
    assert made["variant"]["options"] == [{"name": "size", "value": "S"}]
    assert made["variant"]["stock"] == 3 and made["variant"]["hasOwnPrice"] is False
    assert made["variant"]["product"]["options"] == ["size"]
    assert made["variant"]["product"]["stock"] == 3
    xl = await size(gql, world, "TEE-XL", "XL", price={"amount": "27.00", "currency": "USD"})
    assert xl["variant"]["price"] == {"amount": "27.00", "currency": "USD"}
    assert xl["variant"]["inStock"] is False

    # A duplicate code, a duplicate size, another option name, a bad price are refused.
    for code, value, extra, wanted in (
        ("TEE-S", "M", {}, ("code", "DUPLICATE")),
        ("TEE-S2", "S", {}, ("options", "DUPLICATE")),
        ("TEE-EUR", "M", {"price": {"amount": "5.00", "currency": "EUR"}}, ("price", "INVALID")),
        ("TEE-0", "M", {"price": {"amount": "0", "currency": "USD"}}, ("price", "INVALID_PRICE")),
        ("TEE-NEG", "M", {"stock": -1}, ("stock", "INVALID_QUANTITY")),
        ("TEE S!", "M", {}, ("code", "INVALID")),
    ):
        result = await size(gql, world, code, value, **extra)
        assert [(e["field"], e["code"]) for e in result["errors"]] == [wanted], code
        assert result["variant"] is None
    colour = payload(
        await gql(CREATE, {"input": {"productId": gid("Product", world.a.approved_id),
                                     "code": "TEE-RED", "options": [
                                         {"name": "colour", "value": "red"}]}},
                  token=world.a.token)
    )  # fmt: skip
    assert [e["code"] for e in colour["errors"]] == ["INVALID"]
    assert len(await variants_in_db(db)) == 2

    # The public finds the product by a variant's SKU and sees inStock, never stock.
    public = (await gql.data(PRODUCT, {"sku": f"{prefix}-TEE-XL"}))["product"]
    assert public["sku"] == world.a.approved_sku and public["options"] == ["size"]
    assert [(v["sku"], v["stock"], v["inStock"]) for v in public["variants"]] == [
        (f"{prefix}-TEE-S", None, True),
        (f"{prefix}-TEE-XL", None, False),
    ]

    # updateVariant: stock moves, the price override is set and cleared.
    variant_id = made["variant"]["id"]
    moved = payload(
        await gql(UPDATE, {"input": {"id": variant_id, "stockDelta": 4,
                                     "price": {"amount": "30.00", "currency": "USD"}}},
                  token=world.a.token)
    )  # fmt: skip
    assert moved["errors"] == []
    assert moved["variant"]["stock"] == 7 and moved["variant"]["hasOwnPrice"] is True
    too_many = payload(
        await gql(UPDATE, {"input": {"id": variant_id, "stockDelta": -8}}, token=world.a.token)
    )
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [("stockDelta", "OUT_OF_STOCK")]
    cleared = payload(
        await gql(UPDATE, {"input": {"id": variant_id, "price": None}}, token=world.a.token)
    )
    assert cleared["variant"]["hasOwnPrice"] is False
    async with db.read_session() as s:
        assert await s.scalar(select(Product.stock).where(Product.id == world.a.approved_id)) == 7

    # adjustStock on the product itself is refused: its stock lives per variant.
    adjust = """mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
      errors { field code } } }"""
    body = payload(
        await gql(adjust, {"input": {"id": gid("Product", world.a.approved_id), "delta": 1}},
                  token=world.a.token)
    )  # fmt: skip
    assert [e["code"] for e in body["errors"]] == ["VARIANT_REQUIRED"]


async def test_another_merchants_product_and_variant_are_not_found(
    gql: Gql, world: World, db: Database
) -> None:
    await clear_stock(db, world.a.approved_id)
    async with db.session() as s:
        variant = await create_variant(
            s, world.a.approved_id, merchant_id=None, code="TEE-M", options=[("size", "M")],
            stock=5,
        )  # fmt: skip
        variant_id = variant.id
    before = await variants_in_db(db)

    # Merchant B names A's product, then A's variant: not found, as for an unknown id.
    other = payload(
        await gql(CREATE, {"input": {"productId": gid("Product", world.a.approved_id),
                                     "code": "X", "options": [{"name": "size", "value": "L"}]}},
                  token=world.b.token)
    )  # fmt: skip
    unknown = payload(
        await gql(CREATE, {"input": {"productId": gid("Product", 99999), "code": "X",
                                     "options": [{"name": "size", "value": "L"}]}},
                  token=world.b.token)
    )  # fmt: skip
    assert other["errors"] == unknown["errors"]
    assert [(e["field"], e["code"]) for e in other["errors"]] == [("productId", "NOT_FOUND")]
    stolen = payload(
        await gql(UPDATE, {"input": {"id": gid("Variant", variant_id), "stockDelta": -5}},
                  token=world.b.token)
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in stolen["errors"]] == [("id", "NOT_FOUND")]
    # B sees neither A's variant stock through node nor anything to change.
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Variant { sku stock } } }",
        {"id": gid("Variant", variant_id)},
        token=world.b.token,
    )
    assert node["node"] is None or node["node"]["stock"] is None
    assert await variants_in_db(db) == before

    # Staff may size any product.
    staff = payload(
        await gql(CREATE, {"input": {"productId": gid("Product", world.a.approved_id),
                                     "code": "TEE-L", "options": [{"name": "size", "value": "L"}]}},
                  token=world.staff_token)
    )  # fmt: skip
    assert staff["errors"] == [] and staff["variant"]["sku"] == f"{sku_prefix(world.a.id)}-TEE-L"
    # The public cannot create variants at all.
    public = await gql(CREATE, {"input": {"productId": gid("Product", world.a.approved_id),
                                          "code": "P", "options": [{"name": "size",
                                                                    "value": "P"}]}})  # fmt: skip
    assert public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_product_list_with_variants_runs_as_many_statements_as_without(
    gql: Gql, world: World, db: Database
) -> None:
    query = """{ products(first: 50) { nodes { sku options
                 variants { sku options { name value } price { amount } inStock stock } } } }"""
    await gql.data("{ viewer { kind } }", token=world.staff_token)
    counts = []
    for sizes in (1, 6):
        async with db.session() as s:
            for product_id in (world.a.approved_id, world.b.approved_id):
                product = await s.get(Product, product_id)
                assert product is not None
                product.stock = 0
                await s.flush()
                start = 0 if sizes == 1 else 1
                for n in range(start, sizes):
                    await create_variant(
                        s, product_id, merchant_id=None, code=f"V{product_id}-{n}",
                        options=[("size", f"S{n}")], stock=n,
                    )  # fmt: skip
        with count_queries(db) as counter:
            data = await gql.data(query, token=world.staff_token)
        counts.append(
            len([q for q in counter.statements if not q.lstrip().startswith("UPDATE api_tokens")])
        )
        total = sum(len(p["variants"]) for p in data["products"]["nodes"])
        assert total == 2 * sizes
    assert counts[0] == counts[1], counts


async def test_hostile_variant_input_gets_user_errors_and_stores_nothing(
    gql: Gql, world: World, db: Database
) -> None:
    await clear_stock(db, world.a.approved_id)
    product = gid("Product", world.a.approved_id)
    many = [{"name": f"o{i}", "value": "x"} for i in range(50)]
    for options, extra, field in (
        ([{"name": "size", "value": "M" * 5000}], {}, "options"),
        (many, {}, "options"),
        ([{"name": "Size!", "value": "M"}], {}, "options"),
        ([{"name": "size", "value": "M"}], {"position": -1}, "position"),
        ([{"name": "size", "value": "M"}], {"stock": 2_000_000_000}, "stock"),
        ([{"name": "size", "value": "M"}], {"code": "x" * 500}, "code"),
        ([{"name": "size", "value": "\u202e"}], {}, "options"),
    ):
        variables = {"input": {"productId": product, "code": "TEE-M", "options": options,
                               **extra}}  # fmt: skip
        body = await gql(CREATE, variables, token=world.a.token)
        assert "errors" not in body, body
        result = body["data"]["createVariant"]
        assert result["variant"] is None and field in [e["field"] for e in result["errors"]]
    bad_id = payload(
        await gql(UPDATE, {"input": {"id": "not-an-id", "stockDelta": 1}}, token=world.a.token)
    )
    assert [(e["field"], e["code"]) for e in bad_id["errors"]] == [("id", "NOT_FOUND")]
    assert await variants_in_db(db) == []


async def test_a_bundle_component_says_when_the_shopper_chooses_the_size(
    gql: Gql, world: World, db: Database
) -> None:
    query = "{ bundleOffers(first: 5) { nodes { components { chooseVariant variant { sku } } } } }"
    before = await gql.data(query)
    assert before["bundleOffers"]["nodes"][0]["components"] == [
        {"chooseVariant": False, "variant": None}
    ]
    await clear_stock(db, world.a.approved_id)
    await size(gql, world, "TEE-M", "M", stock=2)
    after = await gql.data(query)  # the bundle's tee gained sizes: the shopper picks one
    assert after["bundleOffers"]["nodes"][0]["components"] == [
        {"chooseVariant": True, "variant": None}
    ]
