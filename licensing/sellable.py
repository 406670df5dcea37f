"""The sellable rule (SPEC §3): may this product be sold here, today, through this channel?

`sellable` is pure and answers with the first rule that fails, in a fixed order, or None.
`check_sellable` is what checkout calls before payment: it raises a DomainError whose code
names the rule and whose message says it in plain words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Category, Product
from kernel.countries import country_in_sentence
from kernel.errors import DomainError
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementStatus,
    AgreementTerritory,
    Channel,
)


class Refusal(StrEnum):
    """Why a product may not be sold; members are listed in the order they are checked."""

    AGREEMENT_NOT_ACTIVE = "AGREEMENT_NOT_ACTIVE"
    NOT_LICENSED_IN_TERRITORY = "NOT_LICENSED_IN_TERRITORY"
    CHANNEL_NOT_LICENSED = "CHANNEL_NOT_LICENSED"
    OUTSIDE_TERM = "OUTSIDE_TERM"
    CATEGORY_NOT_LICENSED = "CATEGORY_NOT_LICENSED"
    FILM_NOT_COVERED = "FILM_NOT_COVERED"
    NOT_APPROVED = "NOT_APPROVED"


# The input a refusal is about, for forms and GraphQL `UserError.field`.
REFUSAL_FIELDS: dict[Refusal, str] = {
    Refusal.AGREEMENT_NOT_ACTIVE: "product",
    Refusal.NOT_LICENSED_IN_TERRITORY: "country",
    Refusal.CHANNEL_NOT_LICENSED: "channel",
    Refusal.OUTSIDE_TERM: "date",
    Refusal.CATEGORY_NOT_LICENSED: "product",
    Refusal.FILM_NOT_COVERED: "product",
    Refusal.NOT_APPROVED: "product",
}

CHANNEL_NAMES: dict[Channel, str] = {
    Channel.STOREFRONT: "the storefront",
    Channel.BUNDLE: "ticket bundles",
    Channel.LICENSEE_RETAIL: "the licensee's own retail",
}


@dataclass(frozen=True)
class AgreementTerms:
    """What an agreement allows, as plain values (loaded once, checked many times)."""

    id: int
    code: str
    merchant_id: int
    status: AgreementStatus
    territories: frozenset[str]
    channels: frozenset[Channel]
    categories: frozenset[Category]
    film_ids: frozenset[int]
    start_date: date
    end_date: date
    sell_off_days: int
    currency: str

    @property
    def last_selling_day(self) -> date:
        """The end date plus the sell-off days."""
        return self.end_date + timedelta(days=self.sell_off_days)


def sellable(
    product: Product, terms: AgreementTerms, country: str, on_date: date, channel: Channel
) -> Refusal | None:
    """The first rule of SPEC §3 that forbids the sale, in the order of `Refusal`, or None.

    The term includes the sell-off window: start_date <= on_date <= end_date + sell_off_days.
    """
    if terms.status != AgreementStatus.ACTIVE:
        return Refusal.AGREEMENT_NOT_ACTIVE
    if country.upper() not in terms.territories:
        return Refusal.NOT_LICENSED_IN_TERRITORY
    if channel not in terms.channels:
        return Refusal.CHANNEL_NOT_LICENSED
    if not terms.start_date <= on_date <= terms.last_selling_day:
        return Refusal.OUTSIDE_TERM
    if product.category not in terms.categories:
        return Refusal.CATEGORY_NOT_LICENSED
    if product.film_id not in terms.film_ids:
        return Refusal.FILM_NOT_COVERED
    if product.approval_stage != ApprovalStage.APPROVED:
        return Refusal.NOT_APPROVED
    return None


def refusal_message(refusal: Refusal, *, country: str, channel: Channel, on_date: date) -> str:
    """The refusal in plain words, e.g. "not licensed for sale in Japan"."""
    match refusal:
        case Refusal.AGREEMENT_NOT_ACTIVE:
            return "not for sale: its license agreement is not active"
        case Refusal.NOT_LICENSED_IN_TERRITORY:
            return f"not licensed for sale in {country_in_sentence(country)}"
        case Refusal.CHANNEL_NOT_LICENSED:
            return f"not licensed for sale through {CHANNEL_NAMES.get(channel, str(channel))}"
        case Refusal.OUTSIDE_TERM:
            return f"not licensed for sale on {on_date.isoformat()}: outside the license term"
        case Refusal.CATEGORY_NOT_LICENSED:
            return "not for sale: its product category is not licensed"
        case Refusal.FILM_NOT_COVERED:
            return "not for sale: its film is not covered by the license agreement"
        case Refusal.NOT_APPROVED:
            return "not for sale: the design has not been approved yet"
    return str(refusal)  # pragma: no cover


async def load_terms(
    session: AsyncSession, agreement_ids: Iterable[int]
) -> dict[int, AgreementTerms]:
    """The terms of the given agreements, in five queries whatever their number."""
    ids = sorted(set(agreement_ids))
    if not ids:
        return {}
    agreements = (await session.execute(select(Agreement).where(Agreement.id.in_(ids)))).scalars()
    sets: dict[str, defaultdict[int, set]] = {}
    for name, model, column in (
        ("territories", AgreementTerritory, AgreementTerritory.country),
        ("channels", AgreementChannel, AgreementChannel.channel),
        ("categories", AgreementCategory, AgreementCategory.category),
        ("film_ids", AgreementFilm, AgreementFilm.film_id),
    ):
        rows = await session.execute(
            select(model.agreement_id, column).where(model.agreement_id.in_(ids))
        )
        by_agreement: defaultdict[int, set] = defaultdict(set)
        for agreement_id, value in rows:
            by_agreement[agreement_id].add(value)
        sets[name] = by_agreement
    return {
        a.id: AgreementTerms(
            id=a.id,
            code=a.code,
            merchant_id=a.merchant_id,
            status=a.status,
            territories=frozenset(sets["territories"][a.id]),
            channels=frozenset(sets["channels"][a.id]),
            categories=frozenset(sets["categories"][a.id]),
            film_ids=frozenset(sets["film_ids"][a.id]),
            start_date=a.start_date,
            end_date=a.end_date,
            sell_off_days=a.sell_off_days,
            currency=a.currency,
        )
        for a in agreements
    }


async def check_sellable(
    session: AsyncSession, product: Product, country: str, on_date: date, channel: Channel
) -> None:
    """Raise DomainError(<refusal code>, <plain message>, field) unless the sale is allowed."""
    terms = (await load_terms(session, [product.agreement_id])).get(product.agreement_id)
    if terms is None:
        refusal: Refusal | None = Refusal.AGREEMENT_NOT_ACTIVE
    else:
        refusal = sellable(product, terms, country, on_date, channel)
    if refusal is not None:
        message = refusal_message(refusal, country=country, channel=channel, on_date=on_date)
        raise DomainError(refusal.value, f"{product.name}: {message}.", REFUSAL_FIELDS[refusal])
