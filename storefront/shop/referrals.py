"""Referral links `/r/<code>` (SPEC §9): the visit records the campaign on the shopper's
session for 30 days, the last visit winning, and is counted for the campaign's report; the
order placed keeps it unless a promo code names another campaign. An unknown code goes home,
with no error page; outside the campaign's dates the link records nothing (it still shows
the film)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog.models import Film
from orders.promotions import campaign_by_referral
from orders.referral_visits import record_visit
from storefront.shop.common import writing
from storefront.web import now, path_param

SESSION_KEY = "referral"
LASTS = timedelta(days=30)


async def referral(request: Request) -> Response:
    """GET /r/{code}: remember the campaign, then show its first film."""
    at = now(request)
    async with writing(request) as session:
        campaign = await campaign_by_referral(session, path_param(request, "code")[:100])
        film = None
        if campaign is not None and campaign.films:
            film = await session.get(Film, campaign.films[0].film_id)
        counted = campaign is not None and await record_visit(session, campaign, now=at)
    if campaign is None:
        return RedirectResponse("/", 303)
    if counted:
        request.session[SESSION_KEY] = {"campaign": campaign.id, "at": at.isoformat()}
    return RedirectResponse(f"/films/{film.slug}" if film is not None else "/", 303)


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
