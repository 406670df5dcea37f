"""Every GraphQL input that takes a country refuses a code that names no country ("ZZ",
"XX", "UK"), with a code naming the field, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Cinema
from kernel.db import Database
from licensing.models import Agreement, Merchant
from tests.graphql.conftest import Gql, World, gid


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model))


CREATE_CINEMA = """mutation($input: CreateCinemaInput!) { createCinema(input: $input) {
    cinema { country } errors { field code } } }"""


@pytest.mark.parametrize("country", ["ZZ", "XX", "UK", "usa"])
async def test_create_cinema_refuses_an_unknown_country(
    gql: Gql, world: World, db: Database, country: str
) -> None:
    before = await count(db, Cinema)
    answer = payload(await gql(
        CREATE_CINEMA, {"input": {"name": "Nowhere", "city": "Nil", "country": country}},
        token=world.staff_token,
    ))  # fmt: skip
    assert answer == {"cinema": None, "errors": [{"field": "country", "code": "INVALID_COUNTRY"}]}
    assert await count(db, Cinema) == before


async def test_create_cinema_takes_a_known_country_in_any_case(gql: Gql, world: World) -> None:
    answer = payload(await gql(
        CREATE_CINEMA, {"input": {"name": "Rex", "city": "Paris", "country": "fr"}},
        token=world.staff_token,
    ))  # fmt: skip
    assert answer == {"cinema": {"country": "FR"}, "errors": []}


async def test_create_merchant_refuses_an_unknown_country(
    gql: Gql, world: World, db: Database
) -> None:
    before = await count(db, Merchant)
    answer = payload(await gql(
        """mutation($input: CreateMerchantInput!) { createMerchant(input: $input) {
             merchant { id } errors { field code } } }""",
        {"input": {"slug": "nowhere-co", "name": "Nowhere", "country": "ZZ",
                   "contactEmail": "a@b.co"}},
        token=world.staff_token,
    ))  # fmt: skip
    assert answer == {
        "merchant": None,
        "errors": [{"field": "country", "code": "INVALID_TERRITORY"}],
    }
    assert await count(db, Merchant) == before


async def test_create_agreement_refuses_an_unknown_territory(
    gql: Gql, world: World, db: Database
) -> None:
    before = await count(db, Agreement)
    answer = payload(await gql(
        """mutation($input: CreateAgreementInput!) { createAgreement(input: $input) {
             agreement { id } errors { field code } } }""",
        {"input": {"code": "LA-2026-0777", "merchantId": gid("Merchant", world.a.id),
                   "filmIds": [gid("Film", world.film_id)], "categories": ["TOYS"],
                   "territories": ["GB", "ZZ"], "channels": ["STOREFRONT"],
                   "startDate": "2026-01-01", "endDate": "2028-12-31", "currency": "GBP",
                   "rateBps": 800}},
        token=world.staff_token,
    ))  # fmt: skip
    assert answer["agreement"] is None
    assert {"field": "territories", "code": "INVALID_TERRITORY"} in answer["errors"]
    assert await count(db, Agreement) == before


async def test_a_sales_report_line_in_an_unknown_territory_is_refused_by_its_path(
    gql: Gql, world: World
) -> None:
    line = {"sku": world.a.approved_sku, "units": 1, "gross": "10.00", "net": "9.00"}
    body = {"agreementId": gid("Agreement", world.a.agreement_id), "period": world.period,
            "lines": [{**line, "territory": "US"}, {**line, "territory": "ZZ"}]}  # fmt: skip
    answer = payload(await gql(
        """mutation($input: SubmitSalesReportInput!) { submitSalesReport(input: $input) {
             salesReport { id } errors { field code message } } }""",
        {"input": body}, token=world.a.token,
    ))  # fmt: skip
    assert answer["salesReport"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [
        ("lines.2.territory", "INVALID_TERRITORY")
    ]
