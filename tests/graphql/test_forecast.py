"""`demandForecast(filmId)` (SPEC §9): staff read every product's forecast, a merchant only
its own, the public nothing; an unknown or malformed film ID reads as null."""

from __future__ import annotations

from tests.graphql.conftest import Gql, World, gid

FORECAST = """query($id: ID!) { demandForecast(filmId: $id) { film { slug } windowDays showtimes
  method products { product { sku } expectedUnits available reserved attachRate share
  stockOut } } }"""


async def test_staff_see_every_product_and_a_merchant_only_its_own(gql: Gql, world: World) -> None:
    # given a film with a showtime in 3 days and an approved tee from each licensee
    film = gid("Film", world.film_id)
    # when staff ask, then both tees are forecast, with their stock
    staff = (await gql.data(FORECAST, {"id": film}, token=world.staff_token))["demandForecast"]
    assert staff["film"] == {"slug": "moon-harbor"} and staff["windowDays"] == 14
    assert staff["showtimes"] == 1 and "per ticket" in staff["method"]
    skus = {row["product"]["sku"] for row in staff["products"]}
    assert skus == {world.a.approved_sku, world.b.approved_sku}
    assert all(
        row["available"] == 10 and float(row["expectedUnits"]) >= 0 for row in staff["products"]
    )
    # when a merchant asks, then only its own product
    mine = (await gql.data(FORECAST, {"id": film}, token=world.a.token))["demandForecast"]
    assert [row["product"]["sku"] for row in mine["products"]] == [world.a.approved_sku]


async def test_the_public_is_refused_and_unknown_films_are_null(gql: Gql, world: World) -> None:
    body = await gql(FORECAST, {"id": gid("Film", world.film_id)})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    nul = await gql(FORECAST, {"id": "Film:\x00"}, token=world.staff_token)
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for bad in (gid("Film", 999999), gid("Product", world.film_id), "Film:01", "é" * 500):
        data = await gql.data(FORECAST, {"id": bad}, token=world.staff_token)
        assert data["demandForecast"] is None
    # a film with no showtime in the window: no rows
    other = await gql.data(FORECAST, {"id": gid("Film", world.other_film_id)}, token=world.a.token)
    assert other["demandForecast"]["showtimes"] == 0 and other["demandForecast"]["products"] == []
