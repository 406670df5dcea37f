"""Token scopes (SPEC §7): every root field and mutation of the schema declares what it needs,
and the declarations hold when called. Walks the schema itself, so a field added later without
a declaration fails here.

- Public reads (the catalog, `node`, `viewer`) declare nothing: open to everyone.
- Every other root field needs `read` (merchant data), `tokens` (token listing) or staff.
- Every mutation declares `write`, `tokens` or staff: a read-only token is refused on each
  with FORBIDDEN naming the missing scope, and a write-only token on each merchant read.
- A token without `read` reads what the public reads, even through `node`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)

from graphql_schema.auth import (
    MANAGE_TOKENS,
    MERCHANT_READ,
    MERCHANT_WRITE,
    STAFF,
    Permission,
    permissions_of,
)
from graphql_schema.mutations import Mutation
from graphql_schema.mutations.base import MutationBase
from graphql_schema.queries import Query
from graphql_schema.schema import schema
from kernel.db import Database
from licensing.models import Merchant, TokenScope
from tests.factory import make_api_token
from tests.graphql.conftest import Gql, World, gid

PUBLIC_READS = {"node", "viewer", "films", "film", "cinemas", "products", "product",
                "showtimes", "bundleOffers"}  # fmt: skip
GQL = schema.graphql_schema


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def query_permissions() -> dict[str, tuple[Permission, ...]]:
    """Root query field → what its resolver declares."""
    return {
        name: permissions_of(getattr(Query, f"resolve_{snake(name)}"))
        for name in GQL.query_type.fields
    }


def mutation_classes() -> dict[str, type[MutationBase]]:
    """Root mutation field → its MutationBase class."""
    found = {}
    for name in GQL.mutation_type.fields:
        cls = Mutation._meta.fields[snake(name)].type
        assert isinstance(cls, type) and issubclass(cls, MutationBase), name
        found[name] = cls
    return found


def test_every_root_query_field_declares_what_it_needs_or_is_a_public_read() -> None:
    declared = query_permissions()
    assert {name for name, perms in declared.items() if not perms} == PUBLIC_READS
    for name, perms in declared.items():
        if name not in PUBLIC_READS:
            assert set(perms) & {MERCHANT_READ, MANAGE_TOKENS, STAFF}, name
    assert declared["agreements"] == (MERCHANT_READ,)
    assert declared["apiTokens"] == (MANAGE_TOKENS,)
    assert declared["royaltyReport"] == (STAFF,)


def test_every_mutation_declares_its_own_permissions() -> None:
    for name, cls in mutation_classes().items():
        assert "permissions" in cls.__dict__, f"{name} declares no permissions"
        assert cls.permissions and set(cls.permissions) <= {MERCHANT_WRITE, MANAGE_TOKENS, STAFF}
    classes = mutation_classes()
    assert classes["adjustStock"].permissions == (MERCHANT_WRITE,)
    assert classes["issueApiToken"].permissions == (MANAGE_TOKENS,)
    assert classes["closePeriod"].permissions == (STAFF,)


# Values that pass GraphQL's coercion for every input type; the permission check comes
# before any of them is looked at.
SCALARS = {"Int": 1, "Float": 1.0, "Boolean": True, "String": "2026-Q3", "ID": "TWVyY2hhbnQ6MQ==",
           "Date": "2026-07-01", "DateTime": "2026-07-01T10:00:00Z", "BigInt": 1,
           "Decimal": "1.00", "JSONString": "{}"}  # fmt: skip


def sample(type_: GraphQLInputType) -> Any:
    """A value of an input type, with every field filled (nested inputs, lists of one)."""
    if isinstance(type_, GraphQLNonNull):
        return sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [sample(type_.of_type)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {name: sample(field.type) for name, field in type_.fields.items()}
    assert isinstance(type_, GraphQLScalarType)
    assert type_.name in SCALARS, f"add a sample for the scalar {type_.name}"
    return SCALARS[type_.name]


def operation(kind: str, name: str) -> tuple[str, dict[str, Any]]:
    """`kind { name(args) { __typename } }` with every argument given as a variable."""
    root = GQL.mutation_type if kind == "mutation" else GQL.query_type
    field = root.fields[name]
    variables = {arg: sample(a.type) for arg, a in field.args.items()}
    if "first" in variables:
        variables["first"] = 1
    params = ", ".join(f"${arg}: {a.type}" for arg, a in field.args.items())
    args = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    head = f"{kind}({params})" if params else kind
    call = f"{name}({args})" if args else name
    return f"{head} {{ {call}{selection} }}", variables


async def scoped_token(db: Database, merchant_id: int, *scopes: TokenScope) -> str:
    async with db.session() as session:
        merchant = await session.get(Merchant, merchant_id)
        _, secret = await make_api_token(session, merchant=merchant, scopes=frozenset(scopes))
    return secret


def refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    """The FORBIDDEN/UNAUTHENTICATED error of an answer, if any."""
    for error in body.get("errors", []):
        if error["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}:
            return error
    return None


async def test_a_read_only_token_is_refused_on_every_mutation(
    gql: Gql, world: World, db: Database
) -> None:
    read_only = await scoped_token(db, world.a.id, TokenScope.READ)
    for name, cls in mutation_classes().items():
        query, variables = operation("mutation", name)
        body = await gql(query, variables, token=read_only)
        error = refusal(body)
        assert error is not None and error["extensions"]["code"] == "FORBIDDEN", (name, body)
        assert body["data"] is None or body["data"][name] is None
        if STAFF in cls.permissions:
            assert "staff" in error["message"], name
        else:
            scope = "write" if MERCHANT_WRITE in cls.permissions else "tokens"
            assert error["extensions"]["scope"] == scope, name
            assert f"`{scope}`" in error["message"], name


async def test_a_write_only_token_is_refused_on_every_merchant_read(
    gql: Gql, world: World, db: Database
) -> None:
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    for name, perms in query_permissions().items():
        query, variables = operation("query", name)
        body = await gql(query, variables, token=write_only)
        error = refusal(body)
        if not perms:
            assert error is None, (name, body)  # the public catalog stays open
            continue
        assert error is not None and error["extensions"]["code"] == "FORBIDDEN", (name, body)
        if MERCHANT_READ in perms:
            assert error["extensions"]["scope"] == "read", name
        elif MANAGE_TOKENS in perms:
            assert error["extensions"]["scope"] == "tokens", name


async def test_every_guarded_field_and_mutation_refuses_the_public(gql: Gql, world: World) -> None:
    for kind, names in (("query", query_permissions()), ("mutation", mutation_classes())):
        for name in names:
            if kind == "query" and name in PUBLIC_READS:
                continue
            query, variables = operation(kind, name)
            error = refusal(await gql(query, variables))
            assert error is not None and error["extensions"]["code"] == "UNAUTHENTICATED", name


async def test_staff_and_full_tokens_pass_every_declaration(gql: Gql, world: World) -> None:
    """Staff tokens keep every right: no field or mutation refuses them for want of a scope."""
    for kind, names in (("query", query_permissions()), ("mutation", mutation_classes())):
        for name in names:
            query, variables = operation(kind, name)
            assert refusal(await gql(query, variables, token=world.staff_token)) is None, name


PRODUCTS = "{ products(first: 50) { nodes { sku approvalStage } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Product { sku } } }"
ADJUST = """mutation($input: AdjustStockInput!) {
  adjustStock(input: $input) { product { sku stock } errors { code } } }"""


async def test_a_token_without_read_reads_what_the_public_reads(
    gql: Gql, world: World, db: Database
) -> None:
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    public = await gql.data(PRODUCTS)
    as_writer = await gql.data(PRODUCTS, token=write_only)
    assert as_writer == public
    assert world.a.draft_sku not in str(as_writer)
    draft = gid("Product", world.a.draft_id)
    assert await gql.data(NODE, {"id": draft}, token=write_only) == {"node": None}
    assert await gql.data(NODE, {"id": draft}, token=world.a.token) == {
        "node": {"sku": world.a.draft_sku}
    }
    viewer = await gql.data("{ viewer { kind scopes } }", token=write_only)
    assert viewer == {"viewer": {"kind": "MERCHANT", "scopes": ["WRITE"]}}


async def test_a_write_only_token_writes_and_its_payload_reads_as_the_public(
    gql: Gql, world: World, db: Database
) -> None:
    write_only = await scoped_token(db, world.a.id, TokenScope.WRITE)
    own = gid("Product", world.a.draft_id)
    result = await gql.data(ADJUST, {"input": {"id": own, "delta": 2}}, token=write_only)
    # the change is made; the stock figure is merchant data, not shown without `read`
    assert result["adjustStock"] == {"product": {"sku": world.a.draft_sku, "stock": None},
                                     "errors": []}  # fmt: skip
    read = "query($sku: String!) { product(sku: $sku) { stock } }"
    after = await gql.data(read, {"sku": world.a.draft_sku}, token=world.a.token)
    assert after == {"product": {"stock": 7}}  # 5 + 2
    other = gid("Product", world.b.draft_id)
    refused = await gql.data(ADJUST, {"input": {"id": other, "delta": 1}}, token=write_only)
    assert refused["adjustStock"] == {"product": None, "errors": [{"code": "NOT_FOUND"}]}


async def test_read_and_write_are_what_existing_tokens_hold(gql: Gql, world: World) -> None:
    viewer = await gql.data("{ viewer { scopes } }", token=world.a.token)
    assert viewer == {"viewer": {"scopes": ["READ", "WRITE"]}}
    staff = await gql.data("{ viewer { scopes } }", token=world.staff_token)
    assert staff == {"viewer": {"scopes": ["READ", "WRITE", "TOKENS"]}}
    assert await gql.data("{ viewer { scopes } }") == {"viewer": {"scopes": []}}


@pytest.mark.parametrize("scope", list(TokenScope))
async def test_a_single_scope_token_passes_only_its_own_declarations(
    gql: Gql, world: World, db: Database, scope: TokenScope
) -> None:
    token = await scoped_token(db, world.a.id, scope)
    wanted = {TokenScope.READ: MERCHANT_READ, TokenScope.WRITE: MERCHANT_WRITE,
              TokenScope.TOKENS: MANAGE_TOKENS}[scope]  # fmt: skip
    for kind, declared in (
        ("query", query_permissions()),
        ("mutation", {n: c.permissions for n, c in mutation_classes().items()}),
    ):
        for name, perms in declared.items():
            query, variables = operation(kind, name)
            refused = refusal(await gql(query, variables, token=token)) is not None
            assert refused == bool(perms and tuple(perms) != (wanted,)), (scope, name)
