"""The sellable rule (SPEC §3): may this product be sold here, today, through this channel?

The rule lives here once, in its two forms side by side (tests/licensing/test_sellable_forms.py
checks with hypothesis that they agree, on both databases):

- Python, for one product whose agreement terms are loaded: `sellable` is pure and answers
  with the first rule that fails, in a fixed order, or None; `sellable_anywhere` says whether
  it may be sold in some licensed territory. `check_sellable` is what checkout calls before
  payment: it raises a DomainError whose code names the rule and whose message says it in
  plain words.
- SQL, for lists: `sellable_clause` is the same rule as a WHERE clause over `Product`, for one
  country or for any licensed territory (what the public catalogue shows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, and_, cast, exists, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from catalog.film_status import film_not_archived
from catalog.models import ApprovalStage, Category, Film, Product
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
    FILM_ARCHIVED = "FILM_ARCHIVED"
    NOT_APPROVED = "NOT_APPROVED"


# The input a refusal is about, for forms and GraphQL `UserError.field`.
REFUSAL_FIELDS: dict[Refusal, str] = {
    Refusal.AGREEMENT_NOT_ACTIVE: "product",
    Refusal.NOT_LICENSED_IN_TERRITORY: "country",
    Refusal.CHANNEL_NOT_LICENSED: "channel",
    Refusal.OUTSIDE_TERM: "date",
    Refusal.CATEGORY_NOT_LICENSED: "product",
    Refusal.FILM_NOT_COVERED: "product",
    Refusal.FILM_ARCHIVED: "product",
    Refusal.NOT_APPROVED: "product",
}

# The channels through which shoppers buy; the public catalogue shows what they may buy.
SHOPPER_CHANNELS: tuple[Channel, ...] = (Channel.STOREFRONT, Channel.BUNDLE)

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
    # The covered films that staff have archived: their merch is sold nowhere.
    archived_film_ids: frozenset[int] = frozenset()

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
    if product.film_id in terms.archived_film_ids:
        return Refusal.FILM_ARCHIVED
    if product.approval_stage != ApprovalStage.APPROVED:
        return Refusal.NOT_APPROVED
    return None


def sellable_anywhere(
    product: Product,
    terms: AgreementTerms,
    on_date: date,
    channels: Iterable[Channel] = SHOPPER_CHANNELS,
) -> bool:
    """Whether `sellable` allows the sale in some territory of the agreement through one of
    `channels`: what the public catalogue shows (checkout then checks the shopper's country)."""
    wanted = tuple(channels)
    return any(
        sellable(product, terms, country, on_date, channel) is None
        for country in terms.territories
        for channel in wanted
    )


class date_plus_days(FunctionElement[date]):
    """`a_date + n days` in SQL, portable between SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True


@compiles(date_plus_days, "sqlite")
def _date_plus_days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


@compiles(date_plus_days)
def _date_plus_days_default(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


def sellable_clause(
    on_date: date, *, channels: Iterable[Channel], country: str | None = None
) -> ColumnElement[bool]:
    """The SQL form of `sellable`, a WHERE clause over `Product`: true exactly for the
    products that `sellable(product, terms, country, on_date, channel)` allows through one of
    `channels`; with `country=None`, in some territory of the agreement (`sellable_anywhere`).

    One condition per rule of `Refusal`; unlike the Python form it names no failing rule, it
    only keeps or drops the row."""
    territory = exists().where(AgreementTerritory.agreement_id == Product.agreement_id)
    if country is not None:
        territory = territory.where(AgreementTerritory.country == country.upper())
    return and_(
        exists().where(
            Agreement.id == Product.agreement_id,
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.start_date <= on_date,
            date_plus_days(Agreement.end_date, Agreement.sell_off_days) >= on_date,
        ),
        territory,
        exists().where(
            AgreementChannel.agreement_id == Product.agreement_id,
            AgreementChannel.channel.in_(list(channels)),
        ),
        exists().where(
            AgreementCategory.agreement_id == Product.agreement_id,
            AgreementCategory.category == Product.category,
        ),
        exists().where(
            AgreementFilm.agreement_id == Product.agreement_id,
            AgreementFilm.film_id == Product.film_id,
        ),
        exists().where(Film.id == Product.film_id, film_not_archived()),
        Product.approval_stage == ApprovalStage.APPROVED,
    )


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
        case Refusal.FILM_ARCHIVED:
            return "not for sale: its film has been archived by the studio"
        case Refusal.NOT_APPROVED:
            return "not for sale: the design has not been approved yet"
    return str(refusal)  # pragma: no cover


def _typed_null(column: Any) -> Any:
    return cast(null(), column.type)


def _terms_members(ids: list[int]) -> Any:
    """The agreements' territories, channels, categories and covered films as one UNION ALL,
    one member a row (the other value columns NULL, typed so each reads back as its kind)."""
    country, channel, category = (
        AgreementTerritory.country,
        AgreementChannel.channel,
        AgreementCategory.category,
    )
    film_id, archived_at = AgreementFilm.film_id, Film.archived_at
    blank = [_typed_null(c) for c in (country, channel, category, film_id, archived_at)]

    def branch(model: Any, values: dict[int, Any]) -> Any:
        columns = [values.get(i, blank[i]) for i in range(5)]
        return select(
            model.agreement_id.label("agreement_id"),
            *(c.label(n) for c, n in zip(columns, _MEMBER_COLUMNS, strict=True)),
        ).where(model.agreement_id.in_(ids))

    return union_all(
        branch(AgreementTerritory, {0: country}),
        branch(AgreementChannel, {1: channel}),
        branch(AgreementCategory, {2: category}),
        branch(AgreementFilm, {3: film_id, 4: archived_at}).join(
            Film, Film.id == AgreementFilm.film_id
        ),
    ).subquery("members")


_MEMBER_COLUMNS = ("country", "channel", "category", "film_id", "archived_at")


async def load_terms(
    session: AsyncSession, agreement_ids: Iterable[int]
) -> dict[int, AgreementTerms]:
    """The terms of the given agreements, in one statement whatever their number (the
    agreements joined to the union of their territories, channels, categories and covered
    films, which come with whether staff archived them)."""
    ids = sorted(set(agreement_ids))
    if not ids:
        return {}
    members = _terms_members(ids)
    rows = await session.execute(
        select(Agreement, *(members.c[n] for n in _MEMBER_COLUMNS))
        .outerjoin(members, members.c.agreement_id == Agreement.id)
        .where(Agreement.id.in_(ids))
    )
    agreements: dict[int, Agreement] = {}
    sets: dict[str, defaultdict[int, set]] = {
        name: defaultdict(set)
        for name in ("territories", "channels", "categories", "film_ids", "archived_film_ids")
    }
    for agreement, country, channel, category, film_id, archived_at in rows:
        agreements[agreement.id] = agreement
        for name, value in (
            ("territories", country),
            ("channels", channel),
            ("categories", category),
            ("film_ids", film_id),
        ):
            if value is not None:
                sets[name][agreement.id].add(value)
        if film_id is not None and archived_at is not None:
            sets["archived_film_ids"][agreement.id].add(film_id)
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
            archived_film_ids=frozenset(sets["archived_film_ids"][a.id]),
            start_date=a.start_date,
            end_date=a.end_date,
            sell_off_days=a.sell_off_days,
            currency=a.currency,
        )
        for a in agreements.values()
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
        raise DomainError(
            refusal.value,
            f"{product.name}: {message}.",
            REFUSAL_FIELDS[refusal],
            {"product": product.name, "country": country, "date": on_date},
        )
