"""Who may see what (SPEC §7): public sees only what is sellable now; a merchant sees its own
objects and nothing of another merchant — another merchant's id is "not found" exactly like
an id that does not exist; staff see everything."""

from __future__ import annotations

from sqlalchemy import select, update

from catalog.models import Product
from graphql_schema.types import statement_key
from kernel.db import Database
from licensing.models import Agreement, AgreementStatus
from orders.models import BundleAllocation, LineKind
from tests.factory import make_order, make_order_line
from tests.graphql.conftest import NOW, Gql, World, gid

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"

# (type name, how to get merchant B's object id from the world)
OWNED = {
    "Product": lambda w: w.b.draft_id,
    "Merchant": lambda w: w.b.id,
    "Agreement": lambda w: w.b.agreement_id,
    "SalesReport": lambda w: w.report_ids["bolt"],
    "OrderLine": lambda w: w.line_ids["bolt"],
    "ApiToken": lambda w: w.b.token_id,
}
OWN = {
    "Product": lambda w: w.a.draft_id,
    "Merchant": lambda w: w.a.id,
    "Agreement": lambda w: w.a.agreement_id,
    "SalesReport": lambda w: w.report_ids["acme"],
    "OrderLine": lambda w: w.line_ids["acme"],
    "ApiToken": lambda w: w.a.token_id,
}


def statement_id(world: World, agreement_id: int) -> str:
    return gid("RoyaltyStatement", statement_key(agreement_id, world.period))  # type: ignore[arg-type]


async def test_merchant_gets_not_found_for_another_merchants_node(gql: Gql, world: World) -> None:
    """For every merchant-owned node type: given merchant A, when it asks `node` for merchant
    B's object, then it gets null, exactly as for an id that does not exist; its own object
    and staff see it."""
    for type_name in sorted(OWNED):
        theirs = gid(type_name, OWNED[type_name](world))
        missing = gid(type_name, 999_999)
        mine = gid(type_name, OWN[type_name](world))
        for value in (theirs, missing):
            body = await gql(NODE, {"id": value}, token=world.a.token)
            assert body["data"] == {"node": None} and "errors" not in body, type_name
        own = await gql.data(NODE, {"id": mine}, token=world.a.token)
        assert own["node"] == {"id": mine, "__typename": type_name}
        staff = await gql.data(NODE, {"id": theirs}, token=world.staff_token)
        assert staff["node"]["id"] == theirs


async def test_statement_node_of_another_merchant_is_not_found(gql: Gql, world: World) -> None:
    theirs = statement_id(world, world.b.agreement_id)
    missing = statement_id(world, 999_999)
    for value in (theirs, missing):
        assert (await gql.data(NODE, {"id": value}, token=world.a.token))["node"] is None
    mine = statement_id(world, world.a.agreement_id)
    own = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on RoyaltyStatement { period units } } }",
        {"id": mine},
        token=world.a.token,
    )
    assert own["node"] == {"period": world.period, "units": 2}
    assert (await gql.data(NODE, {"id": theirs}, token=world.staff_token))["node"] is not None


async def test_order_node_shows_a_merchant_only_its_lines_and_never_the_email(
    gql: Gql, world: World
) -> None:
    query = """query($id: ID!) { node(id: $id) { ... on Order { number email total { amount }
                 lines { id product { sku } } } } }"""
    order = gid("Order", world.order_id)
    seen = (await gql.data(query, {"id": order}, token=world.a.token))["node"]
    assert seen["email"] is None and seen["total"] is None
    assert seen["lines"] == [
        {"id": gid("OrderLine", world.line_ids["acme"]), "product": {"sku": world.a.approved_sku}}
    ]
    staff = (await gql.data(query, {"id": order}, token=world.staff_token))["node"]
    assert staff["email"] == "shopper@example.com" and len(staff["lines"]) == 2
    public = await gql.data(query, {"id": order})
    assert public["node"] is None


async def test_catalog_nodes_are_public(gql: Gql, world: World) -> None:
    catalog = {
        "Film": world.film_id,
        "Cinema": world.cinema_id,
        "Showtime": world.showtime_id,
        "BundleOffer": world.bundle_id,
    }
    for type_name, pk in catalog.items():
        for token in (None, world.a.token, world.staff_token):
            body = await gql.data(NODE, {"id": gid(type_name, pk)}, token=token)
            assert body["node"]["__typename"] == type_name
        assert (await gql.data(NODE, {"id": gid(type_name, 999_999)}))["node"] is None


async def test_malformed_and_mistyped_ids_are_not_found(gql: Gql, world: World) -> None:
    for value in ("nonsense", "", gid("Nothing", 1), gid("Product", "x"), "Zm9vOmJhcg=="):
        assert (await gql.data(NODE, {"id": value}, token=world.staff_token))["node"] is None


async def test_public_catalog_lists_only_what_is_sellable_now(
    gql: Gql, world: World, db: Database
) -> None:
    query = "{ products(first: 20) { totalCount nodes { sku stock } } }"
    public = (await gql.data(query))["products"]
    assert sorted(n["sku"] for n in public["nodes"]) == ["ACME-TEE", "BOLT-TEE"]
    assert public["totalCount"] == 2
    assert all(n["stock"] is None for n in public["nodes"])  # stock is private
    # when B's agreement is terminated, B's products leave the public catalog
    async with db.session() as session:
        await session.execute(
            update(Agreement)
            .where(Agreement.id == world.b.agreement_id)
            .values(status=AgreementStatus.TERMINATED)
        )
    public = (await gql.data(query))["products"]
    assert [n["sku"] for n in public["nodes"]] == ["ACME-TEE"]
    assert (await gql.data('{ product(sku: "BOLT-TEE") { sku } }'))["product"] is None


async def test_merchant_lists_only_its_own_products_in_every_stage(gql: Gql, world: World) -> None:
    query = "{ products(first: 20) { totalCount nodes { sku stock approvalStage } } }"
    mine = (await gql.data(query, token=world.a.token))["products"]
    assert sorted(n["sku"] for n in mine["nodes"]) == ["ACME-TEE", "ACME-TOY"]
    assert {n["approvalStage"] for n in mine["nodes"]} == {"APPROVED", "DRAFT"}
    assert all(n["stock"] is not None for n in mine["nodes"])
    everything = (await gql.data(query, token=world.staff_token))["products"]
    assert everything["totalCount"] == 4
    theirs = await gql.data(
        f'{{ product(sku: "{world.b.approved_sku}") {{ sku }} }}', token=world.a.token
    )
    assert theirs["product"] is None


async def test_nested_fields_hide_another_merchants_objects(gql: Gql, world: World) -> None:
    """Film.products, bundle components and merchant filters apply the same visibility."""
    query = """query($film: ID!) { node(id: $film) { ... on Film {
                 products(first: 10) { totalCount nodes { sku merchant { slug } } }
                 bundleOffers(first: 5) { nodes { components { product { sku } } } } } } }"""
    variables = {"film": gid("Film", world.film_id)}
    seen_by_b = (await gql.data(query, variables, token=world.b.token))["node"]
    assert seen_by_b["products"]["totalCount"] == 2
    assert {n["merchant"]["slug"] for n in seen_by_b["products"]["nodes"]} == {"bolt"}
    # the bundle's component is A's product: B sees the component but not the product
    assert seen_by_b["bundleOffers"]["nodes"][0]["components"] == [{"product": None}]
    seen_by_a = (await gql.data(query, variables, token=world.a.token))["node"]
    assert seen_by_a["bundleOffers"]["nodes"][0]["components"] == [
        {"product": {"sku": world.a.approved_sku}}
    ]


async def test_filters_on_another_merchant_find_nothing(gql: Gql, world: World) -> None:
    for query in (
        "query($m: ID!) { products(first: 5, filter: {merchantId: $m}) { totalCount } }",
        "query($m: ID!) { agreements(first: 5, filter: {merchantId: $m}) { totalCount } }",
    ):
        theirs = await gql.data(query, {"m": gid("Merchant", world.b.id)}, token=world.a.token)
        missing = await gql.data(query, {"m": gid("Merchant", 999_999)}, token=world.a.token)
        assert theirs == missing
        assert next(iter(theirs.values()))["totalCount"] == 0
        staff = await gql.data(query, {"m": gid("Merchant", world.b.id)}, token=world.staff_token)
        assert next(iter(staff.values()))["totalCount"] >= 1


async def test_partner_lists_are_scoped_to_the_merchant(gql: Gql, world: World) -> None:
    query = f"""{{ agreements(first: 10) {{ nodes {{ code }} }}
                 salesReports(first: 10) {{ nodes {{ agreement {{ code }} }} }}
                 orders(first: 10) {{ nodes {{ number lines {{ id }} }} }}
                 royaltyStatements(first: 10, period: "{world.period}") {{
                   nodes {{ agreement {{ code }} royaltyEarned {{ amount }} }} }} }}"""
    data = await gql.data(query, token=world.a.token)
    assert [n["code"] for n in data["agreements"]["nodes"]] == ["LA-2026-0001"]
    assert [n["agreement"]["code"] for n in data["salesReports"]["nodes"]] == ["LA-2026-0001"]
    assert [len(n["lines"]) for n in data["orders"]["nodes"]] == [1]
    assert [n["agreement"]["code"] for n in data["royaltyStatements"]["nodes"]] == ["LA-2026-0001"]
    staff = await gql.data(query, token=world.staff_token)
    assert len(staff["agreements"]["nodes"]) == 2
    assert len(staff["royaltyStatements"]["nodes"]) == 2


async def test_public_cannot_read_partner_lists(gql: Gql, world: World) -> None:
    body = await gql("{ agreements(first: 5) { nodes { code } } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    product = await gql.data(
        "query($sku: String!) { product(sku: $sku) { agreement { code } "
        "merchant { contactEmail } } }",
        {"sku": world.a.approved_sku},
    )
    assert product["product"] == {"agreement": None, "merchant": {"contactEmail": None}}


async def test_merchant_sees_its_product_history(gql: Gql, world: World, db: Database) -> None:
    async with db.session() as session:
        assert await session.scalar(select(Product.id).where(Product.id == world.a.draft_id))
    q = "query($id: ID!) { node(id: $id) { ... on Product { history { action } } } }"
    body = await gql.data(q, {"id": gid("Product", world.a.draft_id)}, token=world.a.token)
    assert body["node"] == {"history": []}


async def test_films_filter_by_cinema_status(gql: Gql, world: World) -> None:
    query = (
        "query($s: FilmStatus!) { films(first: 5, filter: {status: $s}) { nodes { slug status } } }"
    )
    showing = await gql.data(query, {"s": "NOW_SHOWING"})
    assert showing["films"]["nodes"] == [{"slug": "moon-harbor", "status": "NOW_SHOWING"}]
    coming = await gql.data(query, {"s": "COMING_SOON"})
    assert coming["films"]["nodes"] == [{"slug": "paper-comets", "status": "COMING_SOON"}]
    assert (await gql.data(query, {"s": "OUT_OF_CINEMAS"}))["films"]["nodes"] == []


async def test_bundle_availability_per_showtime(gql: Gql, world: World) -> None:
    query = """query($offer: ID!, $showtime: ID!) { node(id: $offer) { ... on BundleOffer {
                 availability(showtimeId: $showtime) { available refusal } } } }"""
    offer = gid("BundleOffer", world.bundle_id)
    ok = await gql.data(query, {"offer": offer, "showtime": gid("Showtime", world.showtime_id)})
    assert ok["node"]["availability"] == {"available": 10, "refusal": None}  # 10 tees in stock
    missing = await gql.data(query, {"offer": offer, "showtime": gid("Showtime", 999)})
    assert missing["node"]["availability"] is None


async def test_bundle_lines_show_to_the_merchants_of_their_parts(
    gql: Gql, world: World, db: Database
) -> None:
    """A bundle line carries merch of merchant B (its allocation): B sees the order and that
    line; A, with no part in it, sees neither."""
    async with db.session() as session:
        order = await make_order(session, now=NOW, number="T-2002", email="b@example.com",
                                 total_minor=3600)  # fmt: skip
        line = await make_order_line(session, order.id, kind=LineKind.BUNDLE,
                                     showtime_id=world.showtime_id, bundle_offer_id=world.bundle_id,
                                     description="bundle", unit_price_minor=3600)  # fmt: skip
        session.add(BundleAllocation(order_line_id=line.id, position=1,
                                     product_id=world.b.approved_id, merchant_id=world.b.id,
                                     qty=1, amount_minor=2000, net_minor=2000))  # fmt: skip
        order_id, line_id = order.id, line.id
    query = "query($id: ID!) { node(id: $id) { ... on Order { number lines { id kind } } } }"
    seen_by_b = await gql.data(query, {"id": gid("Order", order_id)}, token=world.b.token)
    assert seen_by_b["node"] == {
        "number": "T-2002", "lines": [{"id": gid("OrderLine", line_id), "kind": "BUNDLE"}]
    }  # fmt: skip
    assert (await gql.data(query, {"id": gid("Order", order_id)}, token=world.a.token))[
        "node"
    ] is None


async def test_nested_pages_follow_their_cursors(gql: Gql, world: World) -> None:
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Film {
                 products(first: 1, after: $after) { totalCount nodes { sku }
                   pageInfo { hasNextPage endCursor } } } } }"""
    film = gid("Film", world.film_id)
    first = (await gql.data(query, {"id": film}, token=world.staff_token))["node"]["products"]
    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"]
    after = first["pageInfo"]["endCursor"]
    second = await gql.data(query, {"id": film, "after": after}, token=world.staff_token)
    page = second["node"]["products"]
    assert page["nodes"] != first["nodes"] and page["pageInfo"]["hasNextPage"]
