from tests.graphql.conftest import Gql, World


async def test_catalog_query(gql: Gql, world: World) -> None:
    body = await gql(
        """{ films(first: 5) { totalCount nodes { id slug status
              products(first: 5) { totalCount nodes { sku price { amount currency minorUnits }
                 stock merchant { name contactEmail } agreement { code } } }
              showtimes(first: 3) { nodes { startsAt price { amount } cinema { name } } }
              bundleOffers(first: 3) { nodes { code components { qty product { sku } } } } } } }"""
    )
    print(body)
    assert "errors" not in body
