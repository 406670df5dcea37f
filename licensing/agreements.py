"""License agreements (SPEC §3): create with validated terms, change status, list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from catalog.models import Category, Film
from kernel.countries import check_country
from kernel.errors import Checks, DomainError
from kernel.money import check_currency
from licensing.codes import LicensingError
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementStatus,
    AgreementTerritory,
    AgreementTier,
    Channel,
    Merchant,
)
from licensing.royalty import BPS, check_tiers

# Allowed status changes; terminated and expired are final.
STATUS_CHANGES: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ACTIVE, AgreementStatus.TERMINATED}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}),
    AgreementStatus.TERMINATED: frozenset(),
    AgreementStatus.EXPIRED: frozenset(),
}


def check_territory(code: str, *, field: str = "territories") -> str:
    """An assigned ISO 3166-1 alpha-2 code, upper-cased; DomainError INVALID_TERRITORY otherwise."""
    return check_country(code, code=LicensingError.INVALID_TERRITORY, field=field)


def _enum_values(values: Iterable[str], enum: type, code: LicensingError, field: str) -> set:
    out = set()
    for value in values:
        try:
            out.add(enum(value))
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise DomainError(code, f"{value!r} is not one of: {allowed}.", field) from None
    if not out:
        raise DomainError(code, f"An agreement needs at least one of {field}.", field)
    return out


def _check_rate(value: int | None, field: str) -> None:
    if value is not None and (not isinstance(value, int) or not 0 <= value <= BPS):
        raise DomainError(
            LicensingError.INVALID_RATE,
            f"A rate is a whole number of basis points between 0 and {BPS}.",
            field,
        )


def _check_non_negative(value: int | None, field: str) -> None:
    if value is not None and (not isinstance(value, int) or value < 0):
        raise DomainError(LicensingError.INVALID, f"{field} cannot be negative.", field)


async def create_agreement(
    session: AsyncSession,
    *,
    code: str,
    merchant_id: int,
    film_ids: Iterable[int],
    categories: Iterable[str],
    territories: Iterable[str],
    channels: Iterable[str],
    start_date: date,
    end_date: date,
    currency: str,
    rate_bps: int,
    sell_off_days: int = 0,
    per_unit_min_minor: int | None = None,
    bundle_rate_bps: int | None = None,
    tiers: Sequence[tuple[int, int]] = (),
    advance_minor: int = 0,
    minimum_guarantee_minor: int = 0,
    status: AgreementStatus = AgreementStatus.DRAFT,
) -> Agreement:
    """Sign a license agreement (SPEC §3).

    Rules: a unique code; an existing merchant and films; categories, channels and
    territories from their fixed lists (ISO codes); start <= end; sell-off days >= 0; a known
    currency; rates (flat, bundle, tiers) within 0..10000 bps; tiers ascending from 0;
    per-unit minimum, advance and minimum guarantee not negative.
    """
    checks = Checks()  # every bad field is named, not only the first
    code = (code or "").strip()
    with checks:
        if not code or len(code) > 40:
            raise DomainError(
                LicensingError.INVALID, "An agreement code has 1-40 characters.", "code"
            )
        if await session.scalar(select(Agreement.id).where(Agreement.code == code)) is not None:
            raise DomainError(LicensingError.DUPLICATE, f"Agreement {code} exists already.", "code")
    with checks:
        if await session.get(Merchant, merchant_id) is None:
            raise DomainError(LicensingError.NOT_FOUND, "No such merchant.", "merchant")
    film_set = set(film_ids)
    with checks:
        if not film_set:
            raise DomainError(
                LicensingError.INVALID, "An agreement covers at least one film.", "films"
            )
        found = set((await session.scalars(select(Film.id).where(Film.id.in_(film_set)))).all())
        if found != film_set:
            raise DomainError(LicensingError.NOT_FOUND, "Some of the films do not exist.", "films")
    category_set: set = set()
    channel_set: set = set()
    territory_set: set = set()
    with checks:
        category_set = _enum_values(
            categories, Category, LicensingError.INVALID_CATEGORY, "categories"
        )
    with checks:
        channel_set = _enum_values(channels, Channel, LicensingError.INVALID_CHANNEL, "channels")
    with checks:
        territory_set = {check_territory(t) for t in territories}
        if not territory_set:
            raise DomainError(
                LicensingError.INVALID_TERRITORY, "An agreement needs a territory.", "territories"
            )
    with checks:
        if not isinstance(start_date, date) or not isinstance(end_date, date):
            raise DomainError(
                LicensingError.INVALID_TERM, "Give a start and an end date.", "endDate"
            )
        if end_date < start_date:
            raise DomainError(
                LicensingError.INVALID_TERM, "The end date comes before the start date.", "endDate"
            )
    with checks:
        _check_non_negative(sell_off_days, "sellOffDays")
    with checks:
        currency = check_currency(currency)
    with checks:
        _check_rate(rate_bps, "rateBps")
        if rate_bps is None:
            raise DomainError(LicensingError.INVALID_RATE, "A royalty rate is required.", "rateBps")
    with checks:
        _check_rate(bundle_rate_bps, "bundleRateBps")
    tier_list = [(int(t), int(r)) for t, r in tiers]
    with checks:
        try:
            check_tiers(tier_list)
        except ValueError as exc:
            raise DomainError(LicensingError.INVALID_TIERS, f"Tiers: {exc}.", "tiers") from None
    for value, field in (
        (per_unit_min_minor, "perUnitMinMinor"),
        (advance_minor, "advanceMinor"),
        (minimum_guarantee_minor, "minimumGuaranteeMinor"),
    ):
        with checks:
            _check_non_negative(value, field)
    checks.done()

    agreement = Agreement(
        code=code,
        merchant_id=merchant_id,
        status=AgreementStatus(status),
        start_date=start_date,
        end_date=end_date,
        sell_off_days=sell_off_days,
        currency=currency,
        rate_bps=rate_bps,
        per_unit_min_minor=per_unit_min_minor,
        bundle_rate_bps=bundle_rate_bps,
        advance_minor=advance_minor,
        minimum_guarantee_minor=minimum_guarantee_minor,
        films=[AgreementFilm(film_id=f) for f in sorted(film_set)],
        territories=[AgreementTerritory(country=c) for c in sorted(territory_set)],
        channels=[AgreementChannel(channel=c) for c in sorted(channel_set)],
        categories=[AgreementCategory(category=c) for c in sorted(category_set)],
        tiers=[AgreementTier(threshold_minor=t, rate_bps=r) for t, r in tier_list],
    )
    session.add(agreement)
    await session.flush()
    return agreement


async def set_agreement_status(
    session: AsyncSession, agreement_id: int, status: AgreementStatus, *, now: datetime
) -> Agreement:
    """Change an agreement's status: draft → active (or terminated), active → terminated or
    expired; terminated and expired are final. Setting the current status again is a no-op.
    Terminating records when (`terminated_at`)."""
    agreement = await session.get(Agreement, agreement_id, with_for_update=True)
    if agreement is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    try:
        status = AgreementStatus(status)
    except ValueError:
        raise DomainError(
            LicensingError.INVALID_STATUS_CHANGE, f"{status!r} is not a status.", "status"
        ) from None
    if status == agreement.status:
        return agreement
    if status not in STATUS_CHANGES[agreement.status]:
        raise DomainError(
            LicensingError.INVALID_STATUS_CHANGE,
            f"Agreement {agreement.code} cannot go from {agreement.status.value} to "
            f"{status.value}.",
            "status",
        )
    agreement.status = status
    if status == AgreementStatus.TERMINATED:
        agreement.terminated_at = now  # reports are owed up to its period, none after
    await session.flush()
    return agreement


async def get_agreement(session: AsyncSession, agreement_id: int) -> Agreement:
    """One agreement with its films, territories, channels, categories and tiers loaded."""
    query = _with_terms(select(Agreement)).where(Agreement.id == agreement_id)
    agreement = await session.scalar(query)
    if agreement is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such agreement.", "agreement")
    return agreement


async def get_agreement_by_code(session: AsyncSession, code: str) -> Agreement:
    """One agreement by its code (e.g. LA-2026-0042), with its terms loaded."""
    agreement = await session.scalar(
        _with_terms(select(Agreement)).where(Agreement.code == (code or "").strip())
    )
    if agreement is None:
        raise DomainError(LicensingError.NOT_FOUND, f"No agreement {code!r}.", "agreement")
    return agreement


async def list_agreements(
    session: AsyncSession,
    *,
    merchant_id: int | None = None,
    status: AgreementStatus | None = None,
) -> list[Agreement]:
    """Agreements (of one merchant, of one status) by code, with their terms loaded."""
    query = _with_terms(select(Agreement)).order_by(Agreement.code)
    if merchant_id is not None:
        query = query.where(Agreement.merchant_id == merchant_id)
    if status is not None:
        query = query.where(Agreement.status == status)
    return list((await session.scalars(query)).all())


def _with_terms(query: Select[tuple[Agreement]]) -> Select[tuple[Agreement]]:
    return query.options(
        selectinload(Agreement.merchant),
        selectinload(Agreement.films),
        selectinload(Agreement.territories),
        selectinload(Agreement.channels),
        selectinload(Agreement.categories),
        selectinload(Agreement.tiers),
    )
