"""Campaign and promo code mutations attacked with times at the edge of the calendar: an
offset that pushes the UTC moment out of the years 1 to 9999 is refused on its field."""

from __future__ import annotations

import pytest

from tests.graphql.test_promotions import CAMPAIGN, CODE, _campaign, _code


@pytest.mark.parametrize(
    ("field", "moment"),
    [("startsAt", "0001-01-01T00:00:00+14:00"), ("endsAt", "9999-12-31T23:59:59-14:00")],
)
async def test_a_time_whose_utc_moment_leaves_the_calendar_is_refused_on_its_field(
    gql, world, field: str, moment: str
) -> None:
    body = await gql(CAMPAIGN, _campaign(world, **{field: moment}), world.staff_token)
    assert "errors" not in body, body
    errors = body["data"]["createCampaign"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, "INVALID")]


async def test_a_promo_codes_window_at_the_calendars_edge_is_refused_too(gql, world) -> None:
    made = await gql.data(CAMPAIGN, _campaign(world), world.staff_token)
    campaign_id = made["createCampaign"]["campaign"]["id"]
    body = await gql(
        CODE, _code(campaign_id, validFrom="0001-01-01T00:00:00+01:00"), world.staff_token
    )
    assert "errors" not in body, body
    errors = body["data"]["createPromoCode"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("validFrom", "INVALID")]
