"""Referral links `/r/<code>` (SPEC §9): the visit records the campaign on the shopper's
session for 30 days, the last visit winning, and is counted for the campaign's report; the
order placed keeps it unless a promo code names another campaign. An unknown code goes home,
with no error page; outside the campaign's dates the link records nothing (it still shows
the film).

Visits are counted so that one client cannot inflate a campaign's report: a session that
visited the campaign's link today is not counted again, and counted visits are throttled
per client network (an IPv4 address or an IPv6 /64; token buckets as for /verify). Past
either, the shopper is still remembered and sent on; only the count is skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog.models import Film
from orders.promotions import campaign_by_referral
from orders.referral_visits import campaign_runs, record_visit
from storefront.shop.common import client_throttle, writing
from storefront.web import now, path_param

SESSION_KEY = "referral"
LASTS = timedelta(days=30)
PER_CLIENT = (20, 1 / 10)  # 20 counted visits at once, then one every 10 seconds


async def _counts(request: Request, campaign_id: int, at: datetime) -> bool:
    """Whether this visit is counted: not when this session visited the campaign's link
    today already, nor when the client is over its throttle."""
    seen = request.session.get(SESSION_KEY)
    if isinstance(seen, dict) and seen.get("campaign") == campaign_id:
        try:
            if datetime.fromisoformat(str(seen.get("at"))).date() == at.date():
                return False
        except ValueError:
            pass
    return not await client_throttle(request, "referral", PER_CLIENT)


async def referral(request: Request) -> Response:
    """GET /r/{code}: remember the campaign, then show its first film."""
    at = now(request)
    async with writing(request) as session:
        # a long code is unknown (home), not a 400; control characters stay a 400
        code = path_param(request, "code", max_len=2000)
        campaign = await campaign_by_referral(session, code[:100])
        film = None
        if campaign is not None and campaign.films:
            film = await session.get(Film, campaign.films[0].film_id)
        runs = False
        if campaign is not None:
            count = campaign_runs(campaign, at) and await _counts(request, campaign.id, at)
            runs = await record_visit(session, campaign, now=at, count=count)
    # never stored by a shared cache: the answer may carry this shopper's session cookie
    headers = {"Cache-Control": "no-store"}
    if campaign is None:
        return RedirectResponse("/", 303, headers=headers)
    if runs:
        request.session[SESSION_KEY] = {"campaign": campaign.id, "at": at.isoformat()}
    return RedirectResponse(
        f"/films/{film.slug}" if film is not None else "/", 303, headers=headers
    )


def referral_campaign(request: Request, at: datetime) -> int | None:
    """The campaign of the shopper's last referral visit, when it was less than 30 days
    ago; None otherwise (or when the session holds anything else)."""
    seen = request.session.get(SESSION_KEY)
    if not isinstance(seen, dict) or not isinstance(seen.get("campaign"), int):
        return None
    try:
        visited = datetime.fromisoformat(str(seen.get("at")))
    except ValueError:
        return None
    if visited.tzinfo is None or at - visited > LASTS:
        return None
    return seen["campaign"]
