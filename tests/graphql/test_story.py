"""The merchant partner's story, through GraphQL only: staff signs a partner up, the partner
creates a product, gets concept and sample approved, the product goes on public sale, the
partner reports its own sales and its statement shows the royalty."""

from __future__ import annotations

from datetime import date
from typing import Any

from kernel.db import Database
from kernel.periods import period_of
from tests.factory import make_api_token, make_film, make_staff_user
from tests.graphql.conftest import NOW, Gql, gid


async def mutate(gql: Gql, name: str, input_type: str, selection: str, value: Any,
                 token: str) -> dict[str, Any]:  # fmt: skip
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        "errors { field code message } } }"
    )
    result = (await gql.data(query, {"input": value}, token=token))[name]
    assert result["errors"] == [], result["errors"]
    return result


async def test_merchant_story_from_signing_to_statement(gql: Gql, db: Database) -> None:
    async with db.session() as session:
        staff = await make_staff_user(session, username="nora", display_name="Nora")
        _, staff_token = await make_api_token(session, staff_user=staff, name="nora")
        film = await make_film(session, slug="star-ferry", title="Star Ferry",
                               release_date=date(2025, 3, 1), runtime_minutes=101)  # fmt: skip
        film_id = film.id
    # staff: the partner, its agreement and its token
    merchant = (await mutate(gql, "createMerchant", "CreateMerchantInput", "merchant { id }",
        {"slug": "orbit-goods", "name": "Orbit Goods", "country": "US",
         "contactEmail": "ops@orbit.example"}, staff_token))["merchant"]  # fmt: skip
    agreement = (await mutate(gql, "createAgreement", "CreateAgreementInput",
        "agreement { id code status }",
        {"code": "LA-2026-0042", "merchantId": merchant["id"], "filmIds": [gid("Film", film_id)],
         "categories": ["POSTERS"], "territories": ["US", "CA"],
         "channels": ["STOREFRONT", "LICENSEE_RETAIL"], "startDate": "2024-01-01",
         "endDate": "2099-12-31", "currency": "USD", "rateBps": 1250, "status": "ACTIVE"},
        staff_token))["agreement"]  # fmt: skip
    assert agreement["status"] == "ACTIVE"
    token = (await mutate(gql, "issueApiToken", "IssueApiTokenInput", "secret",
                          {"merchantId": merchant["id"]}, staff_token))["secret"]  # fmt: skip

    # merchant: a product, concept then sample, each approved by staff
    product = (await mutate(gql, "createProduct", "CreateProductInput",
        "product { id sku approvalStage }",
        {"agreementId": agreement["id"], "filmId": gid("Film", film_id), "sku": "SF-POSTER",
         "name": "Star Ferry poster", "category": "POSTERS",
         "price": {"amount": "18.00", "currency": "USD"}, "stock": 40},
        token))["product"]  # fmt: skip
    assert product["approvalStage"] == "DRAFT"
    sku = product["sku"]  # the merchant's prefix, a dash and its code (SPEC §7)
    assert sku.endswith("-SF-POSTER") and sku[:4].isdigit()
    catalog = '{ products(first: 10, filter: {filmSlug: "star-ferry"}) { nodes { sku } } }'
    assert (await gql.data(catalog))["products"]["nodes"] == []  # not on sale yet
    for expected in ("CONCEPT_APPROVED", "APPROVED"):
        await mutate(gql, "submitProductForApproval", "SubmitProductForApprovalInput",
                     "product { approvalStage }", {"id": product["id"]}, token)  # fmt: skip
        reviewed = await mutate(
            gql, "reviewProduct", "ReviewProductInput", "product { approvalStage }",
            {"id": product["id"], "decision": "APPROVE"}, staff_token,
        )  # fmt: skip
        assert reviewed["product"]["approvalStage"] == expected

    # public: the product is on sale
    assert (await gql.data(catalog))["products"]["nodes"] == [{"sku": sku}]

    # merchant: reports its own retail sales; the statement shows the royalty
    period = period_of(NOW)
    await mutate(gql, "submitSalesReport", "SubmitSalesReportInput", "salesReport { version }",
        {"agreementId": agreement["id"], "period": period,
         "lines": [{"sku": sku, "territory": "CA", "units": 10, "gross": "180.00",
                    "net": "150.00"}]}, token)  # fmt: skip
    statements = await gql.data(
        """query($period: String!) { royaltyStatements(first: 5, period: $period) {
             nodes { agreement { code } units netSales { amount } royaltyExact
               royaltyEarned { amount currency minorUnits } royaltyPayable { amount } } } }""",
        {"period": period},
        token=token,
    )
    assert statements["royaltyStatements"]["nodes"] == [
        {
            "agreement": {"code": "LA-2026-0042"},
            "units": 10,
            "netSales": {"amount": "150.00"},
            "royaltyExact": "1875",  # 15000 cents at 12.5 %, exact
            "royaltyEarned": {"amount": "18.75", "currency": "USD", "minorUnits": 1875},
            "royaltyPayable": {"amount": "18.75"},
        }
    ]
