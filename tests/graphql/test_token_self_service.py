"""Partner self-service of API tokens (SPEC §7): a merchant token with the `tokens` scope
issues and revokes its own merchant's tokens, never another merchant's, never a staff token,
and never grants a scope it lacks. Staff issue for any merchant. The secret is shown once and
stored hashed; listings never show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kernel.db import Database
from licensing.accounts import hash_token
from licensing.models import ApiToken, Merchant, TokenScope
from tests.factory import make_api_token
from tests.graphql.conftest import Gql, World, gid

ISSUE = """mutation($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) {
    token { id name scopes merchant { slug } revokedAt }
    secret
    errors { field code message }
  } }"""
REVOKE = """mutation($input: RevokeApiTokenInput!) {
  revokeApiToken(input: $input) { token { id revokedAt } errors { field code message } } }"""
LIST = """{ apiTokens(first: 50) {
  totalCount nodes { id name prefix scopes createdAt lastUsedAt revokedAt merchant { slug } } } }"""
WHO = "{ viewer { kind scopes merchant { slug } } }"
ALL = [TokenScope.READ, TokenScope.WRITE, TokenScope.TOKENS]


async def token_for(db: Database, merchant_id: int, scopes: list[TokenScope]) -> tuple[int, str]:
    async with db.session() as session:
        merchant = await session.get(Merchant, merchant_id)
        token, secret = await make_api_token(session, merchant=merchant, name="manager",
                                             scopes=frozenset(scopes))  # fmt: skip
    return token.id, secret


async def token_count(db: Database) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count(ApiToken.id))) or 0)


def issued(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return body["data"]["issueApiToken"]


async def test_a_tokens_scope_issues_a_token_for_its_own_merchant(
    gql: Gql, world: World, db: Database
) -> None:
    _, manager = await token_for(db, world.a.id, ALL)
    result = issued(await gql(ISSUE, {"input": {"name": "ci", "scopes": ["READ"]}},
                              token=manager))  # fmt: skip
    assert result["errors"] == []
    assert result["token"]["scopes"] == ["READ"] and result["token"]["name"] == "ci"
    assert result["token"]["merchant"] == {"slug": "acme"}
    secret = result["secret"]
    assert await gql.data(WHO, token=secret) == {
        "viewer": {"kind": "MERCHANT", "scopes": ["READ"], "merchant": {"slug": "acme"}}
    }
    async with db.read_session() as session:
        stored = await session.scalar(select(ApiToken).where(ApiToken.name == "ci"))
    assert stored is not None and stored.token_hash == hash_token(secret)
    assert stored.scopes == "read" and secret not in stored.token_hash
    # naming its own merchant is the same as leaving it out
    again = issued(await gql(ISSUE, {"input": {"merchantId": gid("Merchant", world.a.id)}},
                             token=manager))  # fmt: skip
    assert again["errors"] == [] and again["token"]["scopes"] == ["READ", "WRITE"]


async def test_another_merchants_id_is_not_found_and_nothing_is_issued(
    gql: Gql, world: World, db: Database
) -> None:
    _, manager = await token_for(db, world.a.id, ALL)
    before = await token_count(db)
    result = issued(await gql(ISSUE, {"input": {"merchantId": gid("Merchant", world.b.id)}},
                              token=manager))  # fmt: skip
    assert result["token"] is None and result["secret"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("merchantId", "NOT_FOUND")]
    missing = issued(await gql(ISSUE, {"input": {"merchantId": gid("Merchant", 999)}},
                               token=manager))  # fmt: skip
    assert missing["errors"] == result["errors"]  # the same answer as a merchant that is not
    assert await token_count(db) == before


async def test_a_token_never_grants_a_scope_it_lacks(gql: Gql, world: World, db: Database) -> None:
    _, manager = await token_for(db, world.a.id, [TokenScope.TOKENS, TokenScope.READ])
    before = await token_count(db)
    for scopes in (["WRITE"], ["READ", "WRITE"], None):  # None: read,write by default
        variables = {"input": {} if scopes is None else {"scopes": scopes}}
        result = issued(await gql(ISSUE, variables, token=manager))
        assert result["token"] is None and result["secret"] is None
        [error] = result["errors"]
        assert (error["field"], error["code"]) == ("scopes", "FORBIDDEN")
        assert "`write`" in error["message"]
    ok = issued(await gql(ISSUE, {"input": {"scopes": ["TOKENS", "READ"]}}, token=manager))
    assert ok["errors"] == [] and ok["token"]["scopes"] == ["READ", "TOKENS"]
    assert await token_count(db) == before + 1


async def test_a_token_without_the_tokens_scope_cannot_issue_revoke_or_list(
    gql: Gql, world: World, db: Database
) -> None:
    before = await token_count(db)
    for token in (world.a.token, (await token_for(db, world.a.id, [TokenScope.READ]))[1]):
        body = await gql(ISSUE, {"input": {"scopes": ["TOKENS"]}}, token=token)
        assert body["data"] == {"issueApiToken": None}
        [error] = body["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "scope": "tokens"}
        body = await gql(REVOKE, {"input": {"id": gid("ApiToken", world.a.token_id)}},
                         token=token)  # fmt: skip
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(LIST, token=token)
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "tokens"}
    assert await token_count(db) == before + 1  # only the read token made above
    assert (await gql.data(WHO, token=world.a.token))["viewer"]["kind"] == "MERCHANT"


async def test_revoking_its_own_merchants_token_stops_it(
    gql: Gql, world: World, db: Database
) -> None:
    _, manager = await token_for(db, world.a.id, ALL)
    result = (await gql.data(REVOKE, {"input": {"id": gid("ApiToken", world.a.token_id)}},
                             token=manager))["revokeApiToken"]  # fmt: skip
    assert result["errors"] == [] and result["token"]["revokedAt"] is not None
    response = await gql.raw(WHO, token=world.a.token)
    assert response.status_code == 401


async def test_another_merchants_token_and_staff_tokens_cannot_be_revoked(
    gql: Gql, world: World, db: Database
) -> None:
    _, manager = await token_for(db, world.a.id, ALL)
    for victim in (world.b.token_id, world.staff_token_id, 999):
        result = (await gql.data(REVOKE, {"input": {"id": gid("ApiToken", victim)}},
                                 token=manager))["revokeApiToken"]  # fmt: skip
        assert result["token"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("id", "NOT_FOUND")]
    assert (await gql.data(WHO, token=world.b.token))["viewer"]["merchant"] == {"slug": "bolt"}
    assert (await gql.data(WHO, token=world.staff_token))["viewer"]["kind"] == "STAFF"


async def test_the_listing_shows_only_its_own_merchants_tokens_and_never_a_secret(
    gql: Gql, world: World, db: Database
) -> None:
    manager_id, manager = await token_for(db, world.a.id, ALL)
    listed = (await gql.data(LIST, token=manager))["apiTokens"]
    ids = {node["id"] for node in listed["nodes"]}
    assert ids == {gid("ApiToken", world.a.token_id), gid("ApiToken", manager_id)}
    assert listed["totalCount"] == 2
    held = {tuple(n["scopes"]) for n in listed["nodes"]}
    assert held == {("READ", "WRITE"), ("READ", "WRITE", "TOKENS")}
    assert manager not in str(listed) and world.a.token not in str(listed)
    # the type has no field that could carry the hash or the secret
    fields = await gql.data('{ __type(name: "ApiToken") { fields { name } } }')
    names = {f["name"] for f in fields["__type"]["fields"]}
    assert names == {"id", "name", "prefix", "merchant", "createdAt", "lastUsedAt",
                     "revokedAt", "scopes"}  # fmt: skip
    staff = (await gql.data(LIST, token=world.staff_token))["apiTokens"]
    assert staff["totalCount"] == 4  # staff, acme, bolt, the manager


async def test_staff_issue_for_any_merchant_with_any_scopes(gql: Gql, world: World) -> None:
    variables = {"input": {"merchantId": gid("Merchant", world.b.id), "scopes": ["TOKENS"]}}
    result = issued(await gql(ISSUE, variables, token=world.staff_token))
    assert result["errors"] == []
    assert result["token"]["merchant"] == {"slug": "bolt"}
    assert result["token"]["scopes"] == ["TOKENS"]
    own = issued(await gql(ISSUE, {"input": {"name": "mine"}}, token=world.staff_token))
    assert own["token"]["scopes"] == ["READ", "WRITE", "TOKENS"]
    narrow = issued(await gql(ISSUE, {"input": {"scopes": ["READ"]}}, token=world.staff_token))
    assert [(e["field"], e["code"]) for e in narrow["errors"]] == [("scopes", "INVALID")]
    empty = {"input": {"merchantId": gid("Merchant", world.b.id), "scopes": []}}
    result = issued(await gql(ISSUE, empty, token=world.staff_token))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("scopes", "INVALID")]


async def test_a_label_too_long_is_refused_naming_the_field(gql: Gql, world: World) -> None:
    long = {"input": {"name": "x" * 201}}
    result = issued(await gql(ISSUE, long, token=world.staff_token))
    assert result["token"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("name", "INVALID")]
