"""`createCampaign`, `createPromoCode` and `campaigns` (staff, SPEC §9): bad input refused
with a field and a code and nothing stored; merchants FORBIDDEN, the public UNAUTHENTICATED;
the campaigns page in a constant number of statements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from orders.promotion_models import Campaign, PromoCode
from tests.graphql.conftest import NOW, gid

CAMPAIGN = """mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    campaign { id name channel referralPath films { slug } }
    errors { field code message }
  }
}"""
CODE = """mutation($input: CreatePromoCodeInput!) {
  createPromoCode(input: $input) {
    promoCode { code kind percentBps amount { amount currency } scope campaignFilmsOnly
                minimumSubtotal { amount currency } useLimit perEmailLimit uses }
    errors { field code message }
  }
}"""
CAMPAIGNS = """{ campaigns(first: 100) { totalCount nodes { name films { slug }
  promoCodes { code } } } }"""
START, END = (NOW - timedelta(days=1)).isoformat(), (NOW + timedelta(days=30)).isoformat()


def _campaign(world, **over):
    base = {
        "name": "Summer",
        "channel": "SOCIAL",
        "filmIds": [gid("Film", world.film_id)],
        "startsAt": START,
        "endsAt": END,
        "referralCode": "summer",
    }
    return {"input": {**base, **over}}


def _code(campaign_id, **over):
    base = {"campaignId": campaign_id, "code": "save10", "percentBps": 1000,
            "validFrom": START, "validTo": END}  # fmt: skip
    return {"input": {**base, **over}}


async def _count(db, model) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_staff_create_a_campaign_and_codes_and_list_them(gql, world) -> None:
    made = (await gql.data(CAMPAIGN, _campaign(world), world.staff_token))["createCampaign"]
    assert made["errors"] == []
    campaign = made["campaign"]
    assert (campaign["channel"], campaign["referralPath"]) == ("SOCIAL", "/r/SUMMER")
    percent = await gql.data(
        CODE, _code(campaign["id"], scope="MERCH", useLimit=10), world.staff_token
    )
    assert percent["createPromoCode"]["errors"] == []
    code = percent["createPromoCode"]["promoCode"]
    assert (code["code"], code["kind"], code["percentBps"], code["scope"]) == (
        "SAVE10", "PERCENT", 1000, "MERCH")  # fmt: skip
    assert (code["useLimit"], code["uses"], code["amount"]) == (10, 0, None)
    fixed = await gql.data(
        CODE,
        _code(campaign["id"], code="five-off", percentBps=None,
              amount={"amount": "5.00", "currency": "USD"},
              minimumSubtotal={"amount": "20.00", "currency": "USD"},
              campaignFilmsOnly=True, perEmailLimit=1),
        world.staff_token,
    )  # fmt: skip
    code = fixed["createPromoCode"]["promoCode"]
    assert code["amount"] == {"amount": "5.00", "currency": "USD"}
    assert code["minimumSubtotal"] == {"amount": "20.00", "currency": "USD"}
    assert (code["kind"], code["campaignFilmsOnly"], code["perEmailLimit"]) == ("FIXED", True, 1)

    listed = (await gql.data(CAMPAIGNS, token=world.staff_token))["campaigns"]
    assert listed["totalCount"] == 1
    assert [c["code"] for c in listed["nodes"][0]["promoCodes"]] == ["SAVE10", "FIVE-OFF"]


async def test_bad_campaigns_and_codes_are_refused_and_nothing_is_stored(gql, world, db) -> None:
    staff = world.staff_token
    reversed_ = await gql.data(CAMPAIGN, _campaign(world, endsAt=START, startsAt=END), staff)
    assert [(e["field"], e["code"]) for e in reversed_["createCampaign"]["errors"]] == [
        ("endsAt", "DATES_REVERSED")
    ]
    for films in ([gid("Film", 999999)], ["nonsense"], [gid("Product", world.film_id)], []):
        unknown = await gql.data(CAMPAIGN, _campaign(world, filmIds=films), staff)
        assert [e["code"] for e in unknown["createCampaign"]["errors"]] == ["UNKNOWN_FILM"], films
    assert await _count(db, Campaign) == 0

    campaign_id = (await gql.data(CAMPAIGN, _campaign(world), staff))["createCampaign"]["campaign"][
        "id"
    ]
    duplicate = await gql.data(CAMPAIGN, _campaign(world, referralCode="SUMMER"), staff)
    assert duplicate["createCampaign"]["errors"][0]["code"] == "DUPLICATE_CODE"
    assert (await gql.data(CODE, _code(campaign_id), staff))["createPromoCode"]["errors"] == []
    cases = [
        ({"code": "Save10"}, "code", "DUPLICATE_CODE"),
        ({"code": "x"}, "code", "INVALID_CODE"),
        ({"percentBps": 10001}, "percentBps", "INVALID_PERCENT"),
        ({"percentBps": 0}, "percentBps", "INVALID_PERCENT"),
        ({"validFrom": END, "validTo": START}, "validTo", "DATES_REVERSED"),
        ({"amount": {"amount": "5", "currency": "USD"}}, "percentBps", "INVALID"),
        ({"percentBps": None, "amount": {"amount": "5", "currency": "ZZZ"}},
         "amount.currency", "UNKNOWN_CURRENCY"),
        ({"percentBps": None, "amount": {"amount": "5.00", "currency": "USD"},
          "minimumSubtotal": {"amount": "20.00", "currency": "EUR"}},
         "minimumSubtotal.currency", "PROMO_CURRENCY_MISMATCH"),
        ({"percentBps": None, "amount": {"amount": "-1.00", "currency": "USD"}},
         "amount", "INVALID_AMOUNT"),
        ({"useLimit": 0}, "useLimit", "INVALID"),
        ({"campaignId": gid("Campaign", 999999)}, "campaignId", "NOT_FOUND"),
        ({"campaignId": gid("Film", world.film_id)}, "campaignId", "NOT_FOUND"),
    ]  # fmt: skip
    for over, field, code in cases:
        body = await gql.data(CODE, _code(campaign_id, **{"code": "other", **over}), staff)
        errors = body["createPromoCode"]["errors"]
        assert (field, code) in [(e["field"], e["code"]) for e in errors], (over, errors)
        assert all(e["message"] for e in errors)
    assert await _count(db, PromoCode) == 1


async def test_merchants_are_forbidden_and_the_public_unauthenticated(gql, world, db) -> None:
    for token, code in ((world.a.token, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await gql(CAMPAIGN, _campaign(world), token)
        assert body["errors"][0]["extensions"]["code"] == code
        body = await gql(CODE, _code(gid("Campaign", 1)), token)
        assert body["errors"][0]["extensions"]["code"] == code
        body = await gql(CAMPAIGNS, token=token)
        assert body["errors"][0]["extensions"]["code"] == code
    assert await _count(db, Campaign) == 0


async def test_the_campaigns_page_takes_the_same_statements_for_1_or_5(
    gql, world, query_counter
) -> None:
    async def make(n: int) -> None:
        for i in range(n):
            films = [gid("Film", world.film_id), gid("Film", world.other_film_id)]
            over = {"name": f"C{i}", "referralCode": None, "filmIds": films}
            made = await gql.data(CAMPAIGN, _campaign(world, **over), world.staff_token)
            cid = made["createCampaign"]["campaign"]["id"]
            await gql.data(CODE, _code(cid, code=f"code-{n}-{i}"), world.staff_token)

    async def count() -> int:
        with query_counter() as counter:
            await gql.data(CAMPAIGNS, token=world.staff_token)
        return counter.count

    await make(1)
    one = await count()
    await make(4)
    assert await count() == one


REPORT = """query($id: ID!, $period: String!) { campaignReport(campaignId: $id, period: $period) {
  campaign { name } period referralVisits orders tickets bundles merchUnits attachRate
  money { currency gross { amount } discounts { amount } net { amount } } royalty { amount } } }"""


async def test_campaign_report_is_for_staff_and_refuses_bad_ids_and_periods(gql, world) -> None:
    made = await gql.data(CAMPAIGN, _campaign(world), world.staff_token)
    cid = made["createCampaign"]["campaign"]["id"]
    period = f"{NOW.year}-Q{(NOW.month - 1) // 3 + 1}"
    report = (await gql.data(REPORT, {"id": cid, "period": period}, world.staff_token))[
        "campaignReport"
    ]
    assert report["campaign"] == {"name": "Summer"}
    assert (report["orders"], report["referralVisits"], report["attachRate"]) == (0, 0, "0")
    assert report["money"] == [] and report["royalty"] == []
    for token, code in ((world.a.token, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await gql(REPORT, {"id": cid, "period": period}, token)
        assert body["errors"][0]["extensions"]["code"] == code
    for variables in ({"id": gid("Campaign", 999999), "period": period},
                      {"id": gid("Film", world.film_id), "period": period},
                      {"id": cid, "period": "2026-Q5"}):  # fmt: skip
        body = await gql(REPORT, variables, world.staff_token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables


async def test_a_campaign_is_no_node_for_a_merchant_and_film_rows_split_by_campaign(
    gql, world
) -> None:
    made = await gql.data(CAMPAIGN, _campaign(world), world.staff_token)
    cid = made["createCampaign"]["campaign"]["id"]
    node = "query($id: ID!) { node(id: $id) { id ... on Campaign { name } } }"
    assert (await gql.data(node, {"id": cid}, world.staff_token))["node"]["name"] == "Summer"
    assert (await gql.data(node, {"id": cid}, world.a.token))["node"] is None
    assert (await gql.data(node, {"id": cid}))["node"] is None
    films = """query($p: String!) { filmCommerceReport(period: $p) { ticketOrders
      byCampaign { campaign { id } ticketOrders ticketsSold merchAttachRate } } }"""
    rows = (await gql.data(films, {"p": world.period}, world.staff_token))["filmCommerceReport"]
    assert rows
    for row in rows:
        assert sum(p["ticketOrders"] for p in row["byCampaign"]) == row["ticketOrders"]
        assert all(p["campaign"] is None for p in row["byCampaign"])  # no order has one
