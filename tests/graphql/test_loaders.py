"""Per-request DataLoaders: the number of SQL statements of a query does not depend on how
many objects it returns, and concurrently running resolvers never share a session (each
loader batch opens its own read session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from kernel.db import Database
from tests.conftest import count_queries
from tests.factory import cover_film, make_bundle, make_film, make_product, make_showtime
from tests.graphql.conftest import NOW, Gql, World

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


async def test_loader_batches_run_concurrently_each_in_its_own_session(
    gql: Gql, world: World, db: Database
) -> None:
    """graphene resolves siblings concurrently; the loaders' batches do too, and each opens
    its own read session, so no AsyncSession is ever used by two resolvers at once."""
    opened: list[Any] = []
    active = {"now": 0, "peak": 0}
    original = db.read_session

    @asynccontextmanager
    async def watched() -> AsyncIterator[Any]:
        async with original() as session:
            active["now"] += 1
            active["peak"] = max(active["peak"], active["now"])
            opened.append(session)
            try:
                yield session
            finally:
                active["now"] -= 1

    db.read_session = watched  # type: ignore[method-assign]
    try:
        await add_films(db, world, 3)
        data = await gql.data(CATALOG, token=world.staff_token)
    finally:
        db.read_session = original  # type: ignore[method-assign]
    assert len(data["films"]["edges"]) == 5
    assert active["peak"] >= 2  # sibling batches overlapped…
    assert len({id(s) for s in opened}) == len(opened)  # …each in a session of its own
