"""Staff create campaigns and promo codes (SPEC §9); the shop looks them up.

Codes (promo and referral) are 3 to 40 characters of A-Z, 0-9, '-' and '_', compared
without regard to case: they are stored upper-case, so `summer-25` and `SUMMER-25` are one
code and a second one of either spelling is refused. Text is read in Unicode's NFKC form
first, so a code typed in full-width letters and digits (U+FF01 to U+FF5E, as a Japanese or
Chinese input method writes them) is the same code; other look-alikes are simply not codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Film
from kernel.errors import Checks, DomainError
from kernel.money import check_currency
from kernel.parsing import clean_text
from orders.promotion_models import (
    Campaign,
    CampaignChannel,
    CampaignFilm,
    PromoCode,
    PromoKind,
    PromoScope,
)

_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,39}", re.ASCII)
MAX_FILMS = 50
MAX_LIMIT = 10_000_000


class PromoError(StrEnum):
    """Codes of the promotion rules: staff input, and a shopper's code refused."""

    INVALID = "INVALID"
    INVALID_CODE = "INVALID_CODE"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    DATES_REVERSED = "DATES_REVERSED"
    INVALID_PERCENT = "INVALID_PERCENT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    UNKNOWN_FILM = "UNKNOWN_FILM"
    UNKNOWN_CAMPAIGN = "UNKNOWN_CAMPAIGN"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    # a shopper's code refused at the cart or checkout
    UNKNOWN_PROMO_CODE = "UNKNOWN_PROMO_CODE"
    PROMO_CODE_EXPIRED = "PROMO_CODE_EXPIRED"
    PROMO_CODE_NOT_YET_VALID = "PROMO_CODE_NOT_YET_VALID"
    PROMO_CODE_USED_UP = "PROMO_CODE_USED_UP"
    PROMO_CODE_EMAIL_LIMIT = "PROMO_CODE_EMAIL_LIMIT"
    BELOW_MINIMUM = "BELOW_MINIMUM"
    NOTHING_ELIGIBLE = "NOTHING_ELIGIBLE"
    PROMO_CURRENCY_MISMATCH = "PROMO_CURRENCY_MISMATCH"
    TOTAL_BELOW_PAYMENT_MINIMUM = "TOTAL_BELOW_PAYMENT_MINIMUM"
    ONE_CODE_PER_ORDER = "ONE_CODE_PER_ORDER"


def normalize_code(value: object, *, field: str = "code") -> str:
    """A promo or referral code as stored (upper-case); INVALID_CODE otherwise."""
    text = (
        unicodedata.normalize("NFKC", value[:200]).strip().upper() if isinstance(value, str) else ""
    )
    if not _CODE.fullmatch(text):
        raise DomainError(
            PromoError.INVALID_CODE,
            "A code is 3 to 40 letters A-Z, digits, '-' or '_'.",
            field,
        )
    return text


def _check_dates(starts: datetime, ends: datetime, field: str) -> None:
    if ends <= starts:
        raise DomainError(PromoError.DATES_REVERSED, "The end must come after the start.", field)


async def create_campaign(
    session: AsyncSession,
    *,
    name: str,
    channel: CampaignChannel | str,
    film_ids: Sequence[int],
    starts_at: datetime,
    ends_at: datetime,
    referral_code: str | None = None,
) -> Campaign:
    """A campaign promoting `film_ids` (one or more known films) through `channel` from
    `starts_at` to `ends_at` (after it), with an optional referral code (unique, any case)
    for the link `/r/<code>`. Every bad field is named at once; nothing is stored then."""
    checks = Checks()
    with checks:
        name = clean_text(name, field="name", max_len=200, required=True)
    with checks:
        try:
            channel = CampaignChannel(channel)
        except ValueError:
            raise DomainError(
                PromoError.INVALID,
                "Choose referral, email, social, cinema or partner.",
                "channel",
            ) from None
    with checks:
        _check_dates(starts_at, ends_at, "endsAt")
    ids = list(dict.fromkeys(film_ids))
    with checks:
        if not ids or len(ids) > MAX_FILMS:
            raise DomainError(PromoError.UNKNOWN_FILM, f"Choose 1 to {MAX_FILMS} films.", "filmIds")
        known = set(await session.scalars(select(Film.id).where(Film.id.in_(ids))))
        if len(known) != len(ids):
            raise DomainError(PromoError.UNKNOWN_FILM, "A film chosen does not exist.", "filmIds")
    code = None
    if referral_code not in (None, ""):
        with checks:
            code = normalize_code(referral_code, field="referralCode")
            taken = await session.scalar(select(Campaign.id).where(Campaign.referral_code == code))
            if taken is not None:
                raise DomainError(
                    PromoError.DUPLICATE_CODE,
                    "Another campaign has this referral code.",
                    "referralCode",
                )
    checks.done()
    campaign = Campaign(
        name=name,
        channel=channel,
        starts_at=starts_at,
        ends_at=ends_at,
        referral_code=code,
        films=[CampaignFilm(film_id=film_id, position=i) for i, film_id in enumerate(ids)],
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def create_promo_code(
    session: AsyncSession,
    *,
    campaign_id: int,
    code: str,
    kind: PromoKind | str,
    valid_from: datetime,
    valid_to: datetime,
    percent_bps: int | None = None,
    amount_minor: int | None = None,
    currency: str | None = None,
    scope: PromoScope | str = PromoScope.ANY,
    campaign_films_only: bool = False,
    min_subtotal_minor: int = 0,
    use_limit: int | None = None,
    per_email_limit: int | None = None,
) -> PromoCode:
    """A promo code of a campaign: a percentage (`percent_bps`, 1 to 10000) or a fixed
    `amount_minor` in `currency`; a minimum eligible subtotal needs a currency too. The
    code is unique whatever its case; the validity window must not be reversed; limits are
    1 or more when given. Every bad field is named at once; nothing is stored then."""
    checks = Checks()
    with checks:
        code = normalize_code(code)
        if await session.scalar(select(PromoCode.id).where(PromoCode.code == code)) is not None:
            raise DomainError(PromoError.DUPLICATE_CODE, "This code exists already.", "code")
    with checks:
        if await session.get(Campaign, campaign_id) is None:
            raise DomainError(PromoError.UNKNOWN_CAMPAIGN, "No such campaign.", "campaignId")
    with checks:
        _check_dates(valid_from, valid_to, "validTo")
    try:
        kind = PromoKind(kind)
    except ValueError:
        raise DomainError(PromoError.INVALID, "Choose percent or fixed.", "kind") from None
    try:
        scope = PromoScope(scope)
    except ValueError:
        checks.add(
            DomainError(PromoError.INVALID, "Choose tickets, merch, bundles or any.", "scope")
        )
    if currency not in (None, ""):
        with checks:
            try:
                currency = check_currency(str(currency))
            except DomainError:
                raise DomainError(
                    PromoError.UNKNOWN_CURRENCY, f"Unknown currency {currency!r}.", "currency"
                ) from None
    else:
        currency = None
    if kind == PromoKind.PERCENT:
        amount_minor = None
        if not _whole(percent_bps) or not 1 <= percent_bps <= 10000:
            checks.add(
                DomainError(
                    PromoError.INVALID_PERCENT,
                    "A percentage is from 0.01% (1 bps) to 100% (10000 bps).",
                    "percentBps",
                )
            )
    else:
        percent_bps = None
        if not _whole(amount_minor) or not 1 <= amount_minor <= MAX_LIMIT * 100:
            checks.add(
                DomainError(PromoError.INVALID_AMOUNT, "Give an amount above zero.", "amountMinor")
            )
        if currency is None:
            checks.add(
                DomainError(
                    PromoError.UNKNOWN_CURRENCY, "A fixed amount needs a currency.", "currency"
                )
            )
    if not _whole(min_subtotal_minor) or not 0 <= min_subtotal_minor <= MAX_LIMIT * 100:
        checks.add(
            DomainError(
                PromoError.INVALID_AMOUNT, "Give a minimum of 0 or more.", "minSubtotalMinor"
            )
        )
    elif min_subtotal_minor > 0 and currency is None:
        checks.add(
            DomainError(PromoError.UNKNOWN_CURRENCY, "A minimum needs a currency.", "currency")
        )
    for value, field in ((use_limit, "useLimit"), (per_email_limit, "perEmailLimit")):
        if value is not None and (not _whole(value) or not 1 <= value <= MAX_LIMIT):
            checks.add(DomainError(PromoError.INVALID, "Give a limit of 1 or more.", field))
    checks.done()
    promo = PromoCode(
        code=code,
        campaign_id=campaign_id,
        kind=kind,
        percent_bps=percent_bps,
        amount_minor=amount_minor,
        currency=currency,
        scope=scope,
        campaign_films_only=bool(campaign_films_only),
        valid_from=valid_from,
        valid_to=valid_to,
        min_subtotal_minor=min_subtotal_minor,
        use_limit=use_limit,
        per_email_limit=per_email_limit,
        uses=0,
    )
    session.add(promo)
    await session.flush()
    return promo


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def promo_code_by_text(session: AsyncSession, text: object) -> PromoCode | None:
    """The code a shopper typed (any case), or None when there is no such code."""
    try:
        code = normalize_code(text)
    except DomainError:
        return None
    return await session.scalar(select(PromoCode).where(PromoCode.code == code))


async def campaign_by_referral(session: AsyncSession, text: object) -> Campaign | None:
    """The campaign of a referral link's code (any case), with its films; None if unknown."""
    try:
        code = normalize_code(text)
    except DomainError:
        return None
    return await session.scalar(
        select(Campaign).where(Campaign.referral_code == code).options(selectinload(Campaign.films))
    )


async def campaign_film_ids(session: AsyncSession, campaign_id: int) -> frozenset[int]:
    rows = await session.scalars(
        select(CampaignFilm.film_id).where(CampaignFilm.campaign_id == campaign_id)
    )
    return frozenset(rows)
