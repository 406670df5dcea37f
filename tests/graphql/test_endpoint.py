"""The /graphql endpoint: JSON POST only, no batching, GraphiQL on GET, parse/validate
once per document text, generic INTERNAL_SERVER_ERROR for the unexpected, `extensions.cost`
on every response, tokens stored hashed."""

from __future__ import annotations

import hashlib
import logging

import httpx
import pytest
from sqlalchemy import select, text

from graphql_schema.endpoint import MAX_QUERY_BYTES, MAX_TOKENS, DocumentCache, documents
from kernel.config import Settings
from kernel.db import Database
from licensing.models import ApiToken
from tests.graphql.conftest import Gql, World
from tiein.app import create_app


async def test_graphiql_page_is_served_with_its_own_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text
    csp = response.headers["content-security-policy"]
    assert "http" not in csp and "frame-ancestors 'none'" in csp  # self-hosted (test_graphiql)
    # other responses keep the app's strict policy
    health = await client.get("/healthz")
    assert "font-src" not in health.headers["content-security-policy"]


async def test_requests_that_are_not_one_json_operation_are_refused(
    client: httpx.AsyncClient,
) -> None:
    batched = await client.post("/graphql", json=[{"query": "{ viewer { kind } }"}] * 2)
    assert batched.status_code == 400
    assert "Batched" in batched.json()["errors"][0]["message"]
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    form = await client.post("/graphql", content="query={viewer{kind}}", headers=form_type)
    assert form.status_code == 415
    broken = await client.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    no_query = await client.post("/graphql", json={"variables": {}})
    assert no_query.status_code == 400
    bad_vars = await client.post("/graphql", json={"query": "{ viewer { kind } }", "variables": 3})
    assert bad_vars.status_code == 400


async def test_syntax_and_validation_errors_have_codes(gql: Gql, db: Database) -> None:
    syntax = await gql("{ films(first: 1) { ")
    assert syntax["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown = await gql("{ films(first: 1) { nodes { nope } } }")
    assert unknown["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    wrong_var = await gql("query($n: Int!) { films(first: $n) { totalCount } }", {"n": "two"})
    assert wrong_var["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_response_reports_its_cost(gql: Gql, db: Database) -> None:
    ok = await gql("{ films(first: 10) { nodes { title } } }")
    assert ok["extensions"]["cost"] == 21  # films 1 + nodes 10 + title 10
    refused = await gql("{ agreements(first: 2) { nodes { code } } }")
    assert refused["errors"] and refused["extensions"]["cost"] == 5
    invalid = await gql("{ films(first: 2) { nodes { nope } } }")
    assert invalid["errors"] and invalid["extensions"]["cost"] == 5
    broken = await gql("{ films(")
    assert broken["errors"] and broken["extensions"]["cost"] == 0


async def test_a_document_is_parsed_and_validated_once(gql: Gql, db: Database) -> None:
    query = "{ films(first: 3) { totalCount } } # cache probe"
    documents.prepare(query, True)
    first = documents.prepare(query, True)
    await gql(query)
    assert documents.prepare(query, True) is first


def test_document_cache_drops_the_least_recently_used() -> None:
    cache = DocumentCache(size=2)
    a = cache.prepare("{ viewer { kind } }", True)
    cache.prepare("{ viewer { name } }", True)
    assert cache.prepare("{ viewer { kind } }", True) is a  # a is now the most recent
    cache.prepare("{ __typename }", True)  # evicts "{ viewer { name } }"
    assert len(cache) == 2
    assert cache.prepare("{ viewer { kind } }", True) is a


async def test_unexpected_errors_are_generic_and_logged_with_the_request_id(
    gql: Gql, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure nobody planned for (here: the cinemas table is gone) reaches the client as
    INTERNAL_SERVER_ERROR without details; the log has the traceback and the request id."""
    async with db.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE cinemas RENAME TO cinemas_gone"))
    try:
        with caplog.at_level(logging.ERROR, logger="tiein.graphql"):
            response = await gql.raw("{ cinemas(first: 1) { nodes { name } } }")
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE cinemas_gone RENAME TO cinemas"))
    assert response.status_code == 200
    error = response.json()["errors"][0]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "cinemas" not in error["message"] and "Traceback" not in response.text
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_introspection_can_be_switched_off(settings: Settings, db: Database) -> None:
    off = Settings(**{**settings.__dict__, "graphql_introspection": False})
    app = create_app(off, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        body = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert body.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert (await client.get("/graphql")).status_code == 404
        normal = await client.post("/graphql", json={"query": "{ viewer { kind } }"})
        assert normal.json()["data"] == {"viewer": {"kind": "PUBLIC"}}


async def test_introspection_is_on_by_default(gql: Gql, db: Database) -> None:
    from graphql import get_introspection_query

    body = await gql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_tokens_are_checked_stored_hashed_and_their_use_recorded(
    gql: Gql, world: World, db: Database
) -> None:
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        response = await gql.client.post(
            "/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql.data("{ viewer { kind } }"))["viewer"]["kind"] == "PUBLIC"
    staff = await gql.data("{ viewer { kind name } }", token=world.staff_token)
    assert staff["viewer"] == {"kind": "STAFF", "name": "lena"}
    async with db.read_session() as session:
        token = await session.scalar(select(ApiToken).where(ApiToken.id == world.staff_token_id))
    assert token is not None
    assert token.token_hash == hashlib.sha256(world.staff_token.encode()).hexdigest()
    assert world.staff_token not in (token.token_hash, token.prefix, token.name)
    assert token.last_used_at is not None


async def test_staff_reports_are_staff_only(gql: Gql, world: World) -> None:
    query = f"""{{ royaltyReport(period: "{world.period}", groupBy: [MERCHANT, TERRITORY]) {{
                  merchant {{ slug }} territory units net {{ amount }} royalty {{ amount }} }}
                filmCommerceReport(period: "{world.period}") {{ film {{ slug }} merchUnits }} }}"""
    staff = await gql.data(query, token=world.staff_token)
    assert [
        (r["merchant"]["slug"], r["territory"], r["units"]) for r in staff["royaltyReport"]
    ] == [
        ("acme", "US", 2),
        ("bolt", "US", 2),
    ]
    assert staff["royaltyReport"][0]["royalty"] == {"amount": "4.00"}  # 10% of 40.00
    merchant = await gql(query, token=world.a.token)
    assert {e["extensions"]["code"] for e in merchant["errors"]} == {"FORBIDDEN"}
    bad = await gql('{ royaltyReport(period: "2026-Q5", groupBy: [FILM]) { units } }',
                    token=world.staff_token)  # fmt: skip
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_operation_name_picks_the_operation_to_run(gql: Gql, db: Database) -> None:
    document = """query Small { viewer { kind } }
                  query Big { films(first: 20) { nodes { title } } }"""
    response = await gql.client.post("/graphql", json={"query": document, "operationName": "Big"})
    body = response.json()
    assert body["data"] == {"films": {"nodes": []}} and body["extensions"]["cost"] == 41
    missing = await gql(document)
    assert missing["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_documents_have_a_size_and_a_token_limit(gql: Gql, db: Database) -> None:
    """SPEC §11: a query text over MAX_QUERY_BYTES is refused with 413 before parsing; one
    with more than MAX_TOKENS tokens stops parsing there (GRAPHQL_PARSE_FAILED)."""
    too_long = "{ viewer { kind } }" + " " * MAX_QUERY_BYTES
    response = await gql.raw(too_long)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    many_tokens = "{ viewer { " + "id " * MAX_TOKENS + "} }"
    assert len(many_tokens) < MAX_QUERY_BYTES
    body = await gql(many_tokens)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "tokens" in body["errors"][0]["message"]


# Each of these makes graphql-core suggest a name ("Did you mean …?"): validation of fields,
# arguments, types, enum literals and input fields, then coercion of variables (an enum value,
# an unknown input field).
SUGGESTING = [
    ("{ agreement(first: 1) { totalCount } }", None),
    ('{ films(first: 1, aftr: "x") { totalCount } }', None),
    ("query($f: FilmFiltr) { films(first: 1, filter: $f) { totalCount } }", None),
    ("{ films(first: 1, filter: {status: NOW_SHOWNG}) { totalCount } }", None),
    ("{ films(first: 1, filter: {statu: NOW_SHOWING}) { totalCount } }", None),
    (
        "query($f: FilmFilter) { films(first: 1, filter: $f) { totalCount } }",
        {"f": {"status": "NOW_SHOWNG"}},
    ),
    (
        "query($f: FilmFilter) { films(first: 1, filter: $f) { totalCount } }",
        {"f": {"statu": "NOW_SHOWING"}},
    ),
]


async def test_without_introspection_errors_suggest_no_names(
    settings: Settings, db: Database
) -> None:
    """SPEC §11: with introspection off, no error names a field, argument, type, enum value or
    input field the caller did not write (they would map the schema one guess at a time)."""
    for introspection in (True, False):
        app = create_app(
            Settings(**{**settings.__dict__, "graphql_introspection": introspection}), database=db
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            for query, variables in SUGGESTING:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                assert response.status_code == 200
                messages = " ".join(e["message"] for e in response.json()["errors"])
                assert ("Did you mean" in messages) is introspection, (query, messages)
