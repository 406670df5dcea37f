"""The schema: schema.graphql is what `tiein graphql schema` prints; every type, field,
argument and enum value is described; money is never a Float; the SPEC §7 names are all
there; UserError.code is an enum of every domain's codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
)

from catalog.codes import CatalogError
from catalog.images import ImageError
from graphql_schema.schema import schema, schema_sdl
from kernel.errors import ErrorCode
from kernel.parsing import INVALID_INPUT
from licensing.codes import LicensingError
from orders.codes import OrderError
from orders.promotions import PromoError
from tiein.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_matches_the_code() -> None:
    """Regenerate with `tiein graphql schema > schema.graphql`."""
    assert (ROOT / "schema.graphql").read_text() == schema_sdl()


def test_cli_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graphql", "schema"]) == 0
    assert capsys.readouterr().out == schema_sdl()


def test_every_type_field_and_argument_is_described() -> None:
    missing = []
    for name, gql_type in schema.graphql_schema.type_map.items():
        if name.startswith("__"):
            continue
        if not gql_type.description:
            missing.append(name)
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in gql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, value in field.args.items()
                    if not value.description
                ]
        if isinstance(gql_type, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in gql_type.fields.items()
                if not field.description
            ]
    assert missing == []


def test_no_float_anywhere() -> None:
    for name, gql_type in schema.graphql_schema.type_map.items():
        if name.startswith("__") or not hasattr(gql_type, "fields"):
            continue
        for field_name, field in gql_type.fields.items():
            assert get_named_type(field.type).name != "Float", f"{name}.{field_name}"


def test_spec_names_are_kept() -> None:
    query = schema.graphql_schema.query_type
    mutation = schema.graphql_schema.mutation_type
    assert query is not None and mutation is not None
    assert {
        "node", "viewer", "films", "film", "products", "product", "showtimes", "bundleOffers",
        "agreements", "royaltyStatements", "salesReports", "orders", "royaltyReport",
        "filmCommerceReport", "fulfilments",
        "webhookSubscriptions", "webhookDeliveries", "labelBatches", "receivables",
        "campaigns", "campaignReport",
    } <= set(query.fields)  # fmt: skip
    assert set(mutation.fields) == {
        "createProduct", "updateProduct", "adjustStock", "submitProductForApproval",
        "submitSalesReport", "createMerchant", "updateMerchant", "issueApiToken", "revokeApiToken",
        "createAgreement", "updateAgreementStatus", "reviewProduct", "createCinema",
        "createShowtime", "createBundleOffer", "closePeriod", "refundOrderLines",
        "createShipment", "cancelFulfilmentLines",
        "createWebhookSubscription", "deleteWebhookSubscription", "redeliverWebhook",
        "requestLabels",
        "createScreen", "updateScreen", "scheduleShowtimes",
        "addProductImage", "removeProductImage", "setFilmPoster", "setVariantImage",
        "createFilm", "updateFilm", "archiveFilm",
        "recordRemittance",
        "createVariant", "updateVariant",
        "createCampaign", "createPromoCode",
    }  # fmt: skip
    for name in mutation.fields:
        payload = get_named_type(mutation.fields[name].type)
        assert "errors" in payload.fields, name
        assert list(mutation.fields[name].args) == ["input"], name
    decision = schema.graphql_schema.type_map["ReviewDecision"]
    assert isinstance(decision, GraphQLEnumType)
    assert set(decision.values) == {"APPROVE", "REQUEST_CHANGES", "REJECT"}
    group_by = schema.graphql_schema.type_map["ReportGroupBy"]
    assert set(group_by.values) == {"FILM", "MERCHANT", "TERRITORY", "CHANNEL"}
    money = schema.graphql_schema.type_map["Money"]
    assert {f: str(v.type) for f, v in money.fields.items()} == {
        "amount": "String!", "currency": "String!", "minorUnits": "BigInt!"
    }  # fmt: skip


def test_every_enum_value_is_described() -> None:
    missing = [
        f"{name}.{value_name}"
        for name, gql_type in schema.graphql_schema.type_map.items()
        if isinstance(gql_type, GraphQLEnumType) and not name.startswith("__")
        for value_name, value in gql_type.values.items()
        if not value.description
    ]
    assert missing == []


def test_user_error_code_is_an_enum_of_every_domains_codes() -> None:
    """Clients switch on UserError.code: an enum holding each package's Python codes."""
    user_error = schema.graphql_schema.type_map["UserError"]
    assert str(user_error.fields["code"].type) == "ErrorCode!"
    codes = schema.graphql_schema.type_map["ErrorCode"]
    assert isinstance(codes, GraphQLEnumType)
    python_codes = {INVALID_INPUT} | {
        m.value
        for enum in (ErrorCode, CatalogError, ImageError, LicensingError, OrderError, PromoError)
        for m in enum
    }
    assert set(codes.values) == python_codes
    assert "1" in user_error.fields["field"].description  # list positions count from 1
