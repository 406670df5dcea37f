"""Mutations: one `input`, a payload `{ <object>, errors }`, domain refusals as UserErrors
with the input's camelCase field; another merchant's id is NOT_FOUND exactly like an id that
does not exist, and nothing changes; staff mutations refuse merchants (FORBIDDEN) and the
public (UNAUTHENTICATED)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import ApprovalStage, Product
from catalog.products import create_product
from kernel.db import Database
from kernel.errors import DomainError
from licensing.models import Agreement, ApiToken, Merchant, SalesReport
from orders.models import Order, OrderLine
from tests.graphql.conftest import NOW, Gql, World, gid

CREATE_PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id sku approvalStage stock price { amount currency minorUnits } merchant { slug } }
  errors { field code message } } }"""
UPDATE_PRODUCT = """mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
  product { name price { amount } } errors { field code message } } }"""
ADJUST_STOCK = """mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
  product { stock } errors { field code message } } }"""
SUBMIT = """mutation($input: SubmitProductForApprovalInput!) {
  submitProductForApproval(input: $input) { product { approvalStage history { action actor } }
  errors { field code message } } }"""
REPORT = """mutation($input: SubmitSalesReportInput!) { submitSalesReport(input: $input) {
  salesReport { id version lines { sku units net { amount } } } errors { field code message } } }"""


def product_input(world: World, agreement_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "agreementId": gid("Agreement", agreement_id),
        "filmId": gid("Film", world.film_id),
        "sku": "ACME-MUG",
        "name": "Moon mug",
        "category": "APPAREL",
        "price": {"amount": "12.50", "currency": "USD"},
        "stock": 3,
        **extra,
    }


async def snapshot(db: Database) -> tuple[Any, ...]:
    """Everything the merchant mutations could change."""
    async with db.read_session() as session:
        products = (
            await session.execute(
                select(Product.id, Product.name, Product.price_minor, Product.stock,
                       Product.approval_stage).order_by(Product.id)
            )
        ).all()  # fmt: skip
        reports = await session.scalar(select(func.count(SalesReport.id)))
    return tuple(products), reports


def payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


async def test_merchant_creates_a_draft_product_under_its_own_agreement(
    gql: Gql, world: World
) -> None:
    result = payload(
        await gql(CREATE_PRODUCT, {"input": product_input(world, world.a.agreement_id)},
                  token=world.a.token)
    )  # fmt: skip
    assert result["errors"] == []
    product = result["product"]
    assert product["approvalStage"] == "DRAFT" and product["stock"] == 3
    assert product["price"] == {"amount": "12.50", "currency": "USD", "minorUnits": 1250}
    assert product["merchant"] == {"slug": "acme"}


async def test_refusals_name_the_input_field(gql: Gql, world: World) -> None:
    bad_category = product_input(world, world.a.agreement_id, category="DIGITAL")
    result = payload(await gql(CREATE_PRODUCT, {"input": bad_category}, token=world.a.token))
    assert result["product"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("category", "CATEGORY_NOT_ALLOWED")
    ]
    too_precise = product_input(
        world, world.a.agreement_id, price={"amount": "1.234", "currency": "USD"}
    )
    result = payload(await gql(CREATE_PRODUCT, {"input": too_precise}, token=world.a.token))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("price", "INVALID_AMOUNT")]
    stock = {"id": gid("Product", world.a.draft_id), "delta": -100}
    result = payload(await gql(ADJUST_STOCK, {"input": stock}, token=world.a.token))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("delta", "OUT_OF_STOCK")]


async def test_merchant_updates_stock_and_product_and_submits_it(gql: Gql, world: World) -> None:
    own = gid("Product", world.a.draft_id)
    result = payload(await gql(ADJUST_STOCK, {"input": {"id": own, "delta": 7}},
                               token=world.a.token))  # fmt: skip
    assert result == {"product": {"stock": 12}, "errors": []}
    update = {"id": own, "name": "Moon plush", "price": {"amount": "19.99", "currency": "USD"}}
    result = payload(await gql(UPDATE_PRODUCT, {"input": update}, token=world.a.token))
    assert result == {"product": {"name": "Moon plush", "price": {"amount": "19.99"}},
                      "errors": []}  # fmt: skip
    result = payload(await gql(SUBMIT, {"input": {"id": own, "comment": "concept"}},
                               token=world.a.token))  # fmt: skip
    assert result["product"]["approvalStage"] == "CONCEPT_SUBMITTED"
    assert result["product"]["history"] == [{"action": "SUBMIT", "actor": f"merchant:{world.a.id}"}]


REPORT_LINE = {"sku": "BOLT-TEE", "territory": "US", "units": 1, "gross": "10.00", "net": "9.00"}
MERCHANT_MUTATIONS: dict[str, tuple[str, Any]] = {
    "createProduct": (CREATE_PRODUCT, lambda w, pk: product_input(w, pk)),
    "updateProduct": (UPDATE_PRODUCT, lambda w, pk: {"id": gid("Product", pk), "name": "X"}),
    "adjustStock": (ADJUST_STOCK, lambda w, pk: {"id": gid("Product", pk), "delta": 1}),
    "submitProductForApproval": (SUBMIT, lambda w, pk: {"id": gid("Product", pk)}),
    "submitSalesReport": (
        REPORT,
        lambda w, pk: {
            "agreementId": gid("Agreement", pk),
            "period": w.period,
            "lines": [REPORT_LINE],
        },
    ),
}


async def test_merchant_mutations_on_another_merchants_ids_are_not_found(
    gql: Gql, world: World, db: Database
) -> None:
    """Every merchant mutation: merchant A with merchant B's id gets exactly the answer of an
    id that does not exist, and nothing changes."""
    before = await snapshot(db)
    for name, (query, make_input) in MERCHANT_MUTATIONS.items():
        uses_agreement = "agreementId" in make_input(world, 1)
        theirs = world.b.agreement_id if uses_agreement else world.b.draft_id
        answers = []
        for pk in (theirs, 999_999):
            body = await gql(query, {"input": make_input(world, pk)}, token=world.a.token)
            result = payload(body)
            answers.append(result)
            assert result["errors"][0]["code"] == "NOT_FOUND", name
        assert answers[0] == answers[1], name
    assert await snapshot(db) == before


async def test_sales_report_rejects_every_bad_line_by_its_path(gql: Gql, world: World) -> None:
    lines = [
        {"sku": world.a.approved_sku, "territory": "US", "units": 1, "gross": "10.00",
         "net": "9.00"},
        {"sku": world.a.approved_sku, "territory": "FR", "units": 1, "gross": "10.00",
         "net": "9.00"},
        {"sku": "NOPE", "territory": "US", "units": 1, "gross": "10.00", "net": "11.00"},
    ]  # fmt: skip
    body = {"agreementId": gid("Agreement", world.a.agreement_id), "period": world.period,
            "lines": lines}  # fmt: skip
    result = payload(await gql(REPORT, {"input": body}, token=world.a.token))
    assert result["salesReport"] is None
    fields = {(e["field"], e["code"]) for e in result["errors"]}
    assert ("lines.2.territory", "NOT_LICENSED_IN_TERRITORY") in fields
    assert any(f.startswith("lines.3.") for f, _ in fields)
    assert not any(f.startswith("lines.1.") for f, _ in fields)
    body["lines"] = lines[:1]
    accepted = payload(await gql(REPORT, {"input": body}, token=world.a.token))
    assert accepted["errors"] == []
    assert accepted["salesReport"]["version"] == 2  # the world already holds version 1
    assert accepted["salesReport"]["lines"] == [
        {"sku": world.a.approved_sku, "units": 1, "net": {"amount": "9.00"}}
    ]


STAFF_MUTATIONS = {
    "createMerchant": ("CreateMerchantInput", {"slug": "zed", "name": "Zed", "country": "US",
                                               "contactEmail": "z@example.com"}),
    "updateMerchant": ("UpdateMerchantInput", {"id": "x", "name": "Zed"}),
    "issueApiToken": ("IssueApiTokenInput", {}),
    "revokeApiToken": ("RevokeApiTokenInput", {"id": "x"}),
    "createAgreement": ("CreateAgreementInput", {
        "code": "LA-X", "merchantId": "x", "filmIds": [], "categories": [], "territories": [],
        "channels": [], "startDate": "2026-01-01", "endDate": "2026-12-31", "currency": "USD",
        "rateBps": 1000}),
    "updateAgreementStatus": ("UpdateAgreementStatusInput", {"id": "x", "status": "ACTIVE"}),
    "reviewProduct": ("ReviewProductInput", {"id": "x", "decision": "APPROVE"}),
    "createCinema": ("CreateCinemaInput", {"name": "A", "city": "B", "country": "US"}),
    "createShowtime": ("CreateShowtimeInput", {
        "filmId": "x", "cinemaId": "x", "startsAt": "2030-01-01T10:00:00+00:00", "capacity": 5,
        "price": {"amount": "1.00", "currency": "USD"}}),
    "createBundleOffer": ("CreateBundleOfferInput", {
        "filmId": "x", "code": "B", "name": "B", "price": {"amount": "1.00", "currency": "USD"},
        "validFrom": "2030-01-01T10:00:00+00:00", "validTo": "2030-02-01T10:00:00+00:00",
        "perOrderLimit": 1, "components": []}),
    "closePeriod": ("ClosePeriodInput", {"period": "2020-Q1"}),
    "refundOrderLines": ("RefundOrderLinesInput", {"orderId": "x"}),
    "createFilm": ("CreateFilmInput", {"slug": "zed", "originalTitle": "Zed",
                                       "releaseDate": "2030-01-01", "runtimeMinutes": 90}),
    "updateFilm": ("UpdateFilmInput", {"id": "x", "rating": "G"}),
    "archiveFilm": ("ArchiveFilmInput", {"id": "x"}),
}  # fmt: skip


async def test_staff_mutations_refuse_merchants_and_the_public(
    gql: Gql, world: World, db: Database
) -> None:
    """Every staff mutation: a merchant gets FORBIDDEN, the public UNAUTHENTICATED, and
    nothing changes."""
    before = await snapshot(db)
    for name, (input_type, value) in sorted(STAFF_MUTATIONS.items()):
        query = (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code }} }} }}"
        )
        as_merchant = await gql(query, {"input": value}, token=world.a.token)
        assert as_merchant["data"] == {name: None}, name
        assert as_merchant["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
        as_public = await gql(query, {"input": value})
        assert as_public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
    assert await snapshot(db) == before


async def test_merchant_mutations_need_a_token(gql: Gql, world: World) -> None:
    body = await gql(ADJUST_STOCK, {"input": {"id": gid("Product", world.a.draft_id),
                                              "delta": 1}})  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_staff_signs_up_a_partner_with_an_agreement_and_a_token(
    gql: Gql, world: World, db: Database
) -> None:
    merchant = payload(await gql(
        """mutation($input: CreateMerchantInput!) { createMerchant(input: $input) {
             merchant { id slug contactEmail } errors { field code } } }""",
        {"input": {"slug": "zed-toys", "name": "Zed Toys", "country": "gb",
                   "contactEmail": "hi@zed.example"}},
        token=world.staff_token,
    ))  # fmt: skip
    assert merchant["errors"] == [] and merchant["merchant"]["slug"] == "zed-toys"
    duplicate = payload(await gql(
        """mutation($input: CreateMerchantInput!) { createMerchant(input: $input) {
             merchant { id } errors { field code } } }""",
        {"input": {"slug": "zed-toys", "name": "Zed", "country": "GB", "contactEmail": "a@b.co"}},
        token=world.staff_token,
    ))  # fmt: skip
    assert duplicate == {"merchant": None, "errors": [{"field": "slug", "code": "DUPLICATE"}]}
    merchant_id = merchant["merchant"]["id"]
    agreement = payload(await gql(
        """mutation($input: CreateAgreementInput!) { createAgreement(input: $input) {
             agreement { id code status rateBps territories channels categories
                         advance { amount } tiers { threshold { amount } rateBps }
                         films { slug } merchant { slug } }
             errors { field code } } }""",
        {"input": {"code": "LA-2026-0099", "merchantId": merchant_id,
                   "filmIds": [gid("Film", world.film_id)], "categories": ["TOYS"],
                   "territories": ["GB"], "channels": ["STOREFRONT"],
                   "startDate": "2026-01-01", "endDate": "2028-12-31", "currency": "GBP",
                   "rateBps": 800, "advance": "5000.00",
                   "tiers": [{"threshold": "0", "rateBps": 800},
                             {"threshold": "100000", "rateBps": 1200}]}},
        token=world.staff_token,
    ))  # fmt: skip
    assert agreement["errors"] == []
    created = agreement["agreement"]
    assert created["status"] == "DRAFT" and created["advance"] == {"amount": "5000.00"}
    assert created["tiers"] == [
        {"threshold": {"amount": "0.00"}, "rateBps": 800},
        {"threshold": {"amount": "100000.00"}, "rateBps": 1200},
    ]
    assert created["films"] == [{"slug": "moon-harbor"}] and created["territories"] == ["GB"]
    activated = payload(await gql(
        """mutation($input: UpdateAgreementStatusInput!) { updateAgreementStatus(input: $input) {
             agreement { status } errors { field code } } }""",
        {"input": {"id": created["id"], "status": "ACTIVE"}}, token=world.staff_token,
    ))  # fmt: skip
    assert activated == {"agreement": {"status": "ACTIVE"}, "errors": []}
    issued = payload(await gql(
        """mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) {
             token { id prefix merchant { slug } } secret errors { code } } }""",
        {"input": {"merchantId": merchant_id, "name": "zed ci"}}, token=world.staff_token,
    ))  # fmt: skip
    assert issued["token"]["merchant"] == {"slug": "zed-toys"}
    assert issued["secret"].startswith(issued["token"]["prefix"])
    viewer = await gql.data("{ viewer { kind merchant { slug } } }", token=issued["secret"])
    assert viewer == {"viewer": {"kind": "MERCHANT", "merchant": {"slug": "zed-toys"}}}
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Merchant.id))) == 3
        assert await session.scalar(select(func.count(ApiToken.id))) == 4


async def test_staff_schedules_cinema_showtime_and_bundle(gql: Gql, world: World) -> None:
    cinema = payload(await gql(
        """mutation($input: CreateCinemaInput!) { createCinema(input: $input) {
             cinema { id name country timezone } errors { field code } } }""",
        {"input": {"name": "Odeon", "city": "Leeds", "country": "GB",
                   "timezone": "Europe/London"}}, token=world.staff_token,
    ))  # fmt: skip
    assert cinema["errors"] == []
    assert cinema["cinema"]["timezone"] == "Europe/London"
    nowhere = payload(await gql(
        """mutation($input: CreateCinemaInput!) { createCinema(input: $input) {
             cinema { id } errors { field code } } }""",
        {"input": {"name": "X", "city": "Y", "country": "GB", "timezone": "Mars/Olympus"}},
        token=world.staff_token,
    ))  # fmt: skip
    assert nowhere == {
        "cinema": None,
        "errors": [{"field": "timezone", "code": "INVALID_TIMEZONE"}],
    }
    screen = payload(await gql(
        """mutation($input: CreateScreenInput!) { createScreen(input: $input) {
             screen { name capacity } errors { field code } } }""",
        {"input": {"cinemaId": cinema["cinema"]["id"], "name": "1", "capacity": 200}},
        token=world.staff_token,
    ))  # fmt: skip
    assert screen == {"screen": {"name": "1", "capacity": 200}, "errors": []}
    # the old input (a cinema, no screen) still works while the cinema has one screen
    showtime_query = """mutation($input: CreateShowtimeInput!) { createShowtime(input: $input) {
             showtime { capacity seatsLeft price { amount } film { slug } cinema { name } }
             errors { field code } } }"""
    base = {"filmId": gid("Film", world.film_id), "cinemaId": cinema["cinema"]["id"],
            "capacity": 50, "price": {"amount": "12.00", "currency": "GBP"}}  # fmt: skip
    naive = payload(await gql(showtime_query, {"input": {**base,
                    "startsAt": "2030-01-01T19:00:00"}}, token=world.staff_token))  # fmt: skip
    assert naive["errors"] == [{"field": "startsAt", "code": "INVALID"}]
    when = (NOW + timedelta(days=10)).isoformat()
    showtime = payload(await gql(showtime_query, {"input": {**base, "startsAt": when}},
                                 token=world.staff_token))  # fmt: skip
    assert showtime["showtime"] == {
        "capacity": 50,
        "seatsLeft": 50,
        "price": {"amount": "12.00"},
        "film": {"slug": "moon-harbor"},
        "cinema": {"name": "Odeon"},
    }
    offer = payload(await gql(
        """mutation($input: CreateBundleOfferInput!) { createBundleOffer(input: $input) {
             bundleOffer { code price { amount } components { qty product { sku } } }
             errors { field code } } }""",
        {"input": {"filmId": gid("Film", world.film_id), "code": "MOON-DUO", "name": "Duo",
                   "price": {"amount": "30.00", "currency": "USD"},
                   "validFrom": NOW.isoformat(), "validTo": (NOW + timedelta(days=5)).isoformat(),
                   "perOrderLimit": 2,
                   "components": [{"productId": gid("Product", world.b.approved_id), "qty": 1}]}},
        token=world.staff_token,
    ))  # fmt: skip
    assert offer["errors"] == []
    assert offer["bundleOffer"]["components"] == [{"qty": 1, "product": {"sku": "BOLT-TEE"}}]


async def test_staff_reviews_products_and_closes_periods(gql: Gql, world: World) -> None:
    own = gid("Product", world.a.draft_id)
    await gql.data(SUBMIT, {"input": {"id": own}}, token=world.a.token)
    review = """mutation($input: ReviewProductInput!) { reviewProduct(input: $input) {
                  product { approvalStage history { action actor } } errors { field code } } }"""
    approved = payload(await gql(review, {"input": {"id": own, "decision": "APPROVE"}},
                                 token=world.staff_token))  # fmt: skip
    assert approved["product"]["approvalStage"] == "CONCEPT_APPROVED"
    assert approved["product"]["history"][-1] == {"action": "APPROVE", "actor": "staff:lena"}
    again = payload(await gql(review, {"input": {"id": own, "decision": "REJECT"}},
                              token=world.staff_token))  # fmt: skip
    assert again["product"] is None and again["errors"][0]["code"] == "INVALID_TRANSITION"
    close = """mutation($input: ClosePeriodInput!) { closePeriod(input: $input) {
                 statements { period frozen } errors { field code } } }"""
    refused = payload(await gql(close, {"input": {"period": world.period}},
                                token=world.staff_token))  # fmt: skip
    assert refused["errors"][0]["code"] == "PERIOD_NOT_ENDED"
    closed = payload(await gql(close, {"input": {"period": "2020-Q1"}}, token=world.staff_token))
    assert closed["errors"] == []
    assert all(s["frozen"] for s in closed["statements"])


async def test_staff_refunds_an_order_line(gql: Gql, world: World, db: Database) -> None:
    refund = """mutation($input: RefundOrderLinesInput!) { refundOrderLines(input: $input) {
                  order { status refunded { amount } lines { refundedQuantity } }
                  refundStatus errors { field code } } }"""
    line = gid("OrderLine", world.line_ids["acme"])
    result = payload(await gql(
        refund, {"input": {"orderId": gid("Order", world.order_id),
                           "lines": [{"lineId": line, "quantity": 1}], "restock": True}},
        token=world.staff_token,
    ))  # fmt: skip
    assert result["errors"] == [] and result["refundStatus"] == "COMPLETED"
    assert result["order"]["status"] == "PARTIALLY_REFUNDED"
    assert result["order"]["refunded"] == {"amount": "25.00"}
    missing = payload(await gql(refund, {"input": {"orderId": gid("Order", 999_999)}},
                                token=world.staff_token))  # fmt: skip
    assert missing == {
        "order": None,
        "refundStatus": None,
        "errors": [{"field": "orderId", "code": "NOT_FOUND"}],
    }
    async with db.read_session() as session:
        order = await session.get(Order, world.order_id)
        assert order is not None and order.refunded_minor == 2500
        stock = await session.scalar(select(Product.stock).where(Product.id == world.a.approved_id))
        assert stock == 11  # restocked
        refunded = await session.scalar(
            select(OrderLine.refunded_quantity).where(OrderLine.id == world.line_ids["acme"])
        )
        assert refunded == 1


async def test_revoked_token_stops_on_the_next_request(gql: Gql, world: World) -> None:
    before = await gql.data("{ viewer { kind } }", token=world.b.token)
    assert before == {"viewer": {"kind": "MERCHANT"}}
    revoke = payload(await gql(
        """mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) {
             token { revokedAt } errors { code } } }""",
        {"input": {"id": gid("ApiToken", world.b.token_id)}}, token=world.staff_token,
    ))  # fmt: skip
    assert revoke["errors"] == [] and revoke["token"]["revokedAt"] is not None
    after = await gql.raw("{ viewer { kind } }", token=world.b.token)
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_stage_names_match_the_model() -> None:
    assert ApprovalStage.CONCEPT_SUBMITTED.name == "CONCEPT_SUBMITTED"


async def test_mutations_of_one_operation_run_in_order(gql: Gql, world: World) -> None:
    """Mutation fields run serially, each in its own transaction: the second sees the first."""
    body = await gql.data(
        """mutation($id: ID!) {
             first: adjustStock(input: {id: $id, delta: 1}) { product { stock } errors { code } }
             second: adjustStock(input: {id: $id, delta: 2}) { product { stock } errors { code } }
             refused: adjustStock(input: {id: $id, delta: -100}) { product { stock }
                                                                  errors { field code } } }""",
        {"id": gid("Product", world.a.draft_id)},
        token=world.a.token,
    )
    assert body["first"]["product"] == {"stock": 6}
    assert body["second"]["product"] == {"stock": 8}
    assert body["refused"] == {"product": None,
                               "errors": [{"field": "delta", "code": "OUT_OF_STOCK"}]}  # fmt: skip


async def test_another_merchants_hidden_sku_cannot_be_detected(gql: Gql, world: World) -> None:
    """SPEC §7: a merchant's code lives in its own namespace (prefix + dash + code), so asking
    for another merchant's hidden SKU creates a product like any fresh code would, and only a
    merchant's own SKUs are ever DUPLICATE."""
    hidden = world.b.draft_sku  # bolt's draft: acme may not see it
    assert (await gql.data(f'{{ product(sku: "{hidden}") {{ id }} }}', token=world.a.token)) == {
        "product": None
    }
    taken = payload(
        await gql(CREATE_PRODUCT, {"input": product_input(world, world.a.agreement_id, sku=hidden)},
                  token=world.a.token)
    )  # fmt: skip
    assert taken["errors"] == []
    assert taken["product"]["sku"] == f"{world.a.id:04d}-{hidden}"
    fresh = payload(
        await gql(CREATE_PRODUCT, {"input": product_input(world, world.a.agreement_id,
                  sku="NEVER-USED")}, token=world.a.token)
    )  # fmt: skip
    assert fresh["errors"] == [] and fresh["product"]["sku"] == f"{world.a.id:04d}-NEVER-USED"
    # bolt's own namespace, written out by acme, is only a code inside acme's namespace
    bolt = f"{world.b.id:04d}-MUG"
    assert payload(await gql(CREATE_PRODUCT, {"input": product_input(world, world.b.agreement_id,
                   sku="MUG")}, token=world.b.token))["product"]["sku"] == bolt  # fmt: skip
    squat = payload(
        await gql(CREATE_PRODUCT, {"input": product_input(world, world.a.agreement_id, sku=bolt)},
                  token=world.a.token)
    )  # fmt: skip
    assert squat["errors"] == [] and squat["product"]["sku"] == f"{world.a.id:04d}-{bolt}"
    # a merchant's own SKU, with or without its prefix, is DUPLICATE
    for again in ("NEVER-USED", f"{world.a.id:04d}-NEVER-USED"):
        twice = payload(
            await gql(CREATE_PRODUCT, {"input": product_input(world, world.a.agreement_id,
                      sku=again)}, token=world.a.token)
        )  # fmt: skip
        assert [(e["field"], e["code"]) for e in twice["errors"]] == [("sku", "DUPLICATE")]


async def test_a_sku_in_another_merchants_namespace_is_refused_to_every_caller(
    world: World, db: Database
) -> None:
    """The service keeps namespaced SKUs (`0007-…`) to their merchant, whoever calls it."""
    async with db.session() as session:
        with pytest.raises(DomainError) as refused:
            await create_product(
                session, merchant_id=world.a.id, agreement_id=world.a.agreement_id,
                film_id=world.film_id, sku=f"{world.b.id:04d}-CAP", name="Cap",
                category="apparel", price_minor=900, currency="USD",
            )  # fmt: skip
        assert (refused.value.code, refused.value.field) == ("INVALID", "sku")
        with pytest.raises(DomainError) as empty:
            await create_product(
                session, merchant_id=world.a.id, agreement_id=world.a.agreement_id,
                film_id=world.film_id, sku=f"{world.a.id:04d}-", name="Cap",
                category="apparel", price_minor=900, currency="USD",
            )  # fmt: skip
        assert empty.value.code == "INVALID"


def refused(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["field"], e["code"]) for e in result["errors"])


async def test_sales_report_names_a_malformed_amount_with_the_other_bad_lines(
    gql: Gql, world: World, db: Database
) -> None:
    """An amount that does not parse does not hide the other bad lines (nor the other bad
    fields of its own line): every one is named, by its 1-based line."""
    sku = world.a.approved_sku
    lines = [
        {"sku": sku, "territory": "US", "units": 1, "gross": "12,00", "net": "9.00"},
        {"sku": sku, "territory": "FR", "units": 1, "gross": "10.00", "net": "9.00"},
        {"sku": "NOPE", "territory": "US", "units": 1, "gross": "10.00", "net": "1e3"},
        {"sku": sku, "territory": "US", "units": 1, "gross": "10.00", "net": "9.00"},
    ]
    body = {"agreementId": gid("Agreement", world.a.agreement_id), "period": world.period,
            "lines": lines}  # fmt: skip
    before = await snapshot(db)
    result = payload(await gql(REPORT, {"input": body}, token=world.a.token))
    assert result["salesReport"] is None
    assert refused(result) == [
        ("lines.1.gross", "INVALID_AMOUNT"),
        ("lines.2.territory", "NOT_LICENSED_IN_TERRITORY"),
        ("lines.3.net", "INVALID_AMOUNT"),
        ("lines.3.sku", "UNKNOWN_SKU"),
    ]
    assert await snapshot(db) == before


async def test_create_product_names_every_bad_field(gql: Gql, world: World, db: Database) -> None:
    bad = product_input(
        world, world.a.agreement_id, filmId="Film:nope", sku="no spaces!", name=" ",
        category="DIGITAL", price={"amount": "1.234", "currency": "USD"}, stock=-1,
    )  # fmt: skip
    before = await snapshot(db)
    result = payload(await gql(CREATE_PRODUCT, {"input": bad}, token=world.a.token))
    assert result["product"] is None
    assert refused(result) == [
        ("category", "CATEGORY_NOT_ALLOWED"),
        ("filmId", "NOT_FOUND"),
        ("name", "INVALID"),
        ("price", "INVALID_AMOUNT"),
        ("sku", "INVALID"),
        ("stock", "INVALID_QUANTITY"),
    ]
    assert await snapshot(db) == before


async def test_create_agreement_names_every_bad_field(gql: Gql, world: World, db: Database) -> None:
    query = """mutation($input: CreateAgreementInput!) { createAgreement(input: $input) {
                 agreement { id } errors { field code message } } }"""
    bad = {"code": " ", "merchantId": "Merchant:nope",
           "filmIds": [gid("Film", world.film_id), gid("Film", 999_999)],
           "categories": ["TOYS"], "territories": ["GB", "ZZ"], "channels": ["STOREFRONT"],
           "startDate": "2026-01-01", "endDate": "2025-12-31", "currency": "USD",
           "rateBps": 20_000, "advance": "1.234",
           "tiers": [{"threshold": "0", "rateBps": 800},
                     {"threshold": "x", "rateBps": 900}]}  # fmt: skip
    result = payload(await gql(query, {"input": bad}, token=world.staff_token))
    assert result["agreement"] is None
    assert refused(result) == [
        ("advance", "INVALID_AMOUNT"),
        ("code", "INVALID"),
        ("endDate", "INVALID_TERM"),
        ("filmIds.2", "NOT_FOUND"),
        ("merchantId", "NOT_FOUND"),
        ("rateBps", "INVALID_RATE"),
        ("territories", "INVALID_TERRITORY"),
        ("tiers.2.threshold", "INVALID_AMOUNT"),
    ]
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(Agreement.id))) == 2
