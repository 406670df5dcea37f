"""Per-request DataLoaders: the number of SQL statements of a query does not depend on how
many objects it returns; a request reads in one session, lent to one resolver at a time, so
concurrently running resolvers never use a session together."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from graphql_schema import relay
from graphql_schema.context import Context, RequestFinished
from graphql_schema.relay import MODEL_FOR_TYPE, TYPE_FOR_MODEL, encode_cursor
from graphql_schema.schema import schema
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import PUBLIC
from tests.conftest import count_queries
from tests.factory import cover_film, make_bundle, make_film, make_product, make_showtime
from tests.graphql.conftest import NOW, Gql, World, gid

CATALOG = """{ films(first: 50) { totalCount edges { cursor node { slug title status
  products(first: 20) { totalCount nodes { sku price { amount currency } stock
     merchant { slug name } agreement { code territories } film { slug } } }
  showtimes(first: 10) { nodes { startsAt seatsLeft price { amount } cinema { name } } }
  bundleOffers(first: 10) { nodes { code price { amount } components { qty product { sku } } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def add_films(db: Database, world: World, count: int) -> None:
    """`count` more films, each with a product of each merchant, a showtime and a bundle."""
    async with db.session() as session:
        for i in range(count):
            film = await make_film(session, slug=f"film-{i}", title=f"Film {i}",
                                   release_date=NOW.date(), runtime_minutes=90)  # fmt: skip
            products = []
            for side in (world.a, world.b):
                await cover_film(session, side.agreement_id, film.id)
                product = await make_product(session, side.agreement_id, film.id,
                                             sku=f"F{i}-{side.id}", name="Tee", price_minor=2000,
                                             stock=4)  # fmt: skip
                products.append(product)
            await make_showtime(session, film_id=film.id, cinema_id=world.cinema_id, capacity=50,
                                starts_at=NOW + timedelta(days=2))  # fmt: skip
            await make_bundle(session, code=f"B{i}", film_id=film.id, name="Duo", price_minor=3000,
                              valid_from=NOW - timedelta(days=1), valid_to=NOW + timedelta(days=9),
                              components=[(products[0].id, 1)])  # fmt: skip


async def test_statement_count_does_not_grow_with_the_films_returned(
    gql: Gql, world: World, db: Database
) -> None:
    """Given 2 films, then 51 films, each with products, merchants, agreements, showtimes and
    bundles, the catalog query runs the same number of statements (at most 13)."""
    # The token's first use of the minute is recorded (one more statement); count after it.
    await gql.data("{ viewer { kind } }", token=world.staff_token)
    counts = []
    sizes = []
    for more in (0, 49):
        await add_films(db, world, more) if more else None
        with count_queries(db) as counter:
            data = await gql.data(CATALOG, token=world.staff_token)
        # The token's last use is written once a minute of real time: a run that crosses a
        # minute writes it again; that statement does not depend on the films returned.
        counts.append(
            len([q for q in counter.statements if not q.lstrip().startswith("UPDATE api_tokens")])
        )
        sizes.append(sum(len(e["node"]["products"]["nodes"]) for e in data["films"]["edges"]))
    assert sizes[1] > 20 * sizes[0]
    assert counts[0] == counts[1], counts
    assert counts[1] <= 13  # 1 for the token, then one per loader and page shape


async def test_pages_follow_their_cursors(gql: Gql, world: World, db: Database) -> None:
    await add_films(db, world, 5)
    query = """query($after: String) { films(first: 3, after: $after) { totalCount
                 nodes { slug } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await gql.data(query, {"after": after}))["films"]
        assert page["totalCount"] == 7
        seen += [n["slug"] for n in page["nodes"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] == (pages > 1)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3 and len(seen) == len(set(seen)) == 7


async def test_a_request_reads_in_one_transaction_of_one_session(
    gql: Gql, world: World, db: Database
) -> None:
    """Given a catalog query whose loaders run many batches side by side, the request opens
    one read session and begins one transaction, however many batches and films."""
    await add_films(db, world, 3)
    made: list[Any] = []
    begun: list[Any] = []
    factory = db.read_sessions

    def counted() -> Any:
        made.append(factory())
        return made[-1]

    def on_begin(conn: Any) -> None:
        begun.append(conn)

    db.read_sessions = counted  # type: ignore[method-assign,assignment]
    event.listen(db.engine.sync_engine, "begin", on_begin)
    try:
        with count_queries(db) as counter:
            data = await gql.data(CATALOG)  # anonymous: no token lookup
    finally:
        event.remove(db.engine.sync_engine, "begin", on_begin)
        db.read_sessions = factory  # type: ignore[method-assign]
    assert len(data["films"]["edges"]) == 5
    assert len(counter.statements) >= 6  # films, their products, showtimes, offers…
    assert len(made) == 1 and len(begun) == 1
    assert db.engine.pool.checkedout() == 0  # handed back before the response


async def test_the_read_session_is_lent_to_one_batch_at_a_time(
    db: Database, settings: Settings
) -> None:
    """DESIGN §3: no AsyncSession is used by two resolvers at once. A second block waits
    until the first is done; once the request is finished, reading is refused."""
    context = Context(db=db, settings=settings, viewer=PUBLIC, now=NOW)
    inside = asyncio.Event()
    release = asyncio.Event()
    order: list[str] = []
    sessions: list[Any] = []

    async def first() -> None:
        async with context.read_session() as session:
            sessions.append(session)
            order.append("first in")
            inside.set()
            await release.wait()
            await session.execute(select(1))
            order.append("first out")

    async def second() -> None:
        await inside.wait()
        async with context.read_session() as session:
            sessions.append(session)
            order.append("second in")
            await session.execute(select(1))

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await inside.wait()
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["first in"]  # the second waits while the first holds the session
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first in", "first out", "second in"]
    assert sessions[0] is sessions[1]
    await context.finish()
    assert db.engine.pool.checkedout() == 0
    with pytest.raises(RequestFinished):
        async with context.read_session():
            pass


NEW_PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { merchant { products(first: 10) { totalCount } } } errors { code } } }"""


async def test_the_fields_after_a_mutation_read_what_it_wrote(gql: Gql, world: World) -> None:
    """Mutations run one after another; the payload of the second reads in a new transaction
    (and new loaders), so it counts the product the second one created."""

    def product(sku: str) -> str:
        return (
            f'{{agreementId: "{gid("Agreement", world.a.agreement_id)}", filmId: '
            f'"{gid("Film", world.film_id)}", sku: "{sku}", name: "Mug", category: APPAREL, '
            'price: {amount: "9.00", currency: "USD"}, stock: 1}'
        )

    body = await gql.data(
        f"""mutation {{
          one: createProduct(input: {product("ACME-MUG1")}) {{
            product {{ merchant {{ products(first: 10) {{ totalCount }} }} }} errors {{ code }} }}
          two: createProduct(input: {product("ACME-MUG2")}) {{
            product {{ merchant {{ products(first: 10) {{ totalCount }} }} }} errors {{ code }} }}
        }}""",
        token=world.a.token,
    )
    counts = [body[k]["product"]["merchant"]["products"]["totalCount"] for k in ("one", "two")]
    assert body["one"]["errors"] == body["two"]["errors"] == []
    assert counts == [3, 4]  # the world's two products, then one more each time


def test_each_model_is_shown_by_the_type_of_its_name() -> None:
    """`node(id:)` and the Node interface find an object's type by its model: the registry
    names each type as the schema does."""
    for model, gql_type in TYPE_FOR_MODEL.items():
        found = schema.graphql_schema.get_type(gql_type.__name__)
        assert found is not None and getattr(found, "graphene_type", None) is gql_type
        assert MODEL_FOR_TYPE[gql_type.__name__] is model


NESTED = """query($n: Int!, $more: Boolean!, $after: String) { films(first: 10) { nodes { slug
  ...Products
  more: products(first: $n, after: $after) @include(if: $more) { nodes { sku } }
  skipped: showtimes(first: 5) @skip(if: true) { nodes { startsAt } } } } }
fragment Products on Film { products(first: $n) { totalCount nodes { sku merchant { slug } } } }"""

ONE = """query($slug: String!, $n: Int!, $after: String) { film(slug: $slug) { slug
  products(first: $n) { totalCount nodes { sku merchant { slug } } }
  more: products(first: $n, after: $after) { nodes { sku } } } }"""


async def test_nested_pages_loaded_ahead_answer_like_pages_loaded_alone(
    gql: Gql, world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages below a root page are loaded with it, for all its nodes at once — through
    fragments, aliases, variables and @include/@skip — and each answers what the same page
    loaded on its own (below a single film) answers; no page shape is read twice."""
    await add_films(db, world, 3)
    after = encode_cursor(0)
    variables = {"n": 1, "more": True, "after": after}
    loaded_alone: list[Any] = []
    alone = relay._load_child_page

    def spy(*args: Any) -> Any:
        loaded_alone.append(args[1:])
        return alone(*args)

    monkeypatch.setattr(relay, "_load_child_page", spy)
    with count_queries(db) as counter:
        many = await gql.data(NESTED, variables, token=world.staff_token)
    assert loaded_alone == []  # every nested page was ready when its field resolved
    windows = [s for s in counter.statements if "row_number" in s]
    assert len(windows) == 2  # products from offset 0, and from offset 1 (`more`)
    nodes = many["films"]["nodes"]
    assert len(nodes) == 5 and all("skipped" not in node for node in nodes)
    for node in nodes:
        one = await gql.data(ONE, {"slug": node["slug"], "n": 1, "after": after},
                             token=world.staff_token)  # fmt: skip
        assert one["film"] == {k: node[k] for k in ("slug", "products", "more")}
    assert len(loaded_alone) == 2 * len(nodes)  # below `film(slug:)`, each loads its own
    assert sum(node["products"]["totalCount"] for node in nodes) == 10  # 4 + 0 + 3 x 2
