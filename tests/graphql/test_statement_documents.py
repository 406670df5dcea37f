"""`RoyaltyStatement.documentUrl` (SPEC §7, §10): the statement's PDF, served only to a
token that may see the statement: the merchant its own, staff any; another merchant gets
the same 404 as for a statement that does not exist, no token 401 UNAUTHENTICATED."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from kernel.db import Database
from licensing.models import Merchant, TokenScope
from tests import factory as F
from tests.graphql.conftest import Gql, World
from tests.reports.test_statement_document import pdf_text

QUERY = """query($period: String!) { royaltyStatements(first: 10, period: $period) {
  nodes { agreement { code } documentUrl royaltyEarned { amount } } } }"""


async def own_document_path(gql: Gql, world: World) -> str:
    data = await gql.data(QUERY, {"period": world.period}, token=world.a.token)
    [node] = data["royaltyStatements"]["nodes"]
    url = urlsplit(node["documentUrl"])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8000"  # TIEIN_PUBLIC_URL
    assert url.path == f"/api/statements/LA-2026-0001/{world.period}.pdf"
    return url.path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_merchant_downloads_its_own_statement_with_its_token(
    gql: Gql, world: World, client: httpx.AsyncClient
) -> None:
    path = await own_document_path(gql, world)
    response = await client.get(path, headers=bearer(world.a.token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    text = pdf_text(response.content)
    assert "LA-2026-0001" in text
    assert "PROVISIONAL" in text  # the world's period is the current, open one
    staff = await client.get(path, headers=bearer(world.staff_token))
    assert staff.status_code == 200 and "LA-2026-0001" in pdf_text(staff.content)


async def test_another_merchant_gets_not_found_as_for_a_statement_that_does_not_exist(
    gql: Gql, world: World, client: httpx.AsyncClient
) -> None:
    path = await own_document_path(gql, world)
    other = await client.get(path, headers=bearer(world.b.token))
    missing = await client.get(
        f"/api/statements/LA-2099-9999/{world.period}.pdf", headers=bearer(world.b.token)
    )
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert b"%PDF" not in other.content


async def test_without_a_token_it_is_unauthenticated_and_public_sees_no_statements(
    gql: Gql, world: World, client: httpx.AsyncClient
) -> None:
    path = await own_document_path(gql, world)
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic eDp5"}):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"].startswith("Bearer")
    body = await gql(QUERY, {"period": world.period})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None or body["data"]["royaltyStatements"] is None


async def test_a_token_without_read_is_forbidden(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as s:
        merchant = await s.get(Merchant, world.a.id)
        _, secret = await F.make_api_token(
            s, merchant=merchant, name="writer", scopes=frozenset({TokenScope.WRITE})
        )
    path = f"/api/statements/LA-2026-0001/{world.period}.pdf"
    response = await client.get(path, headers=bearer(secret))
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_hostile_paths_are_not_found_never_a_500(
    world: World, client: httpx.AsyncClient
) -> None:
    for path in (
        "/api/statements/LA-2026-0001/2026-Q5.pdf",
        "/api/statements/LA-2026-0001/..%2F..%2Fetc.pdf",
        f"/api/statements/{'X' * 5000}/{world.period}.pdf",
        f"/api/statements/%00/{world.period}.pdf",
        f"/api/statements/LA-2026-0001%27%20OR%201=1/{world.period}.pdf",
    ):
        response = await client.get(path, headers=bearer(world.a.token))
        assert response.status_code == 404, (path, response.status_code)
