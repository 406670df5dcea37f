"""Staff royalty reports (SPEC §4): royalties grouped by film/merchant/territory/channel,
and minimum-guarantee pace per agreement.

All figures come from SQL aggregation (GROUP BY); amounts are never added across
currencies, so every money figure carries its currency. Royalties are exact micros per row,
rounded half-up to minor units only for display (`royalty_minor`), so a column of rounded
rows may differ from a statement's rounded total by rounding alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Film
from kernel.errors import DomainError
from kernel.periods import check_period
from licensing.codes import LicensingError
from licensing.models import Agreement, AgreementStatus, Channel, Merchant
from licensing.receivables import ReceivableKind
from licensing.remittances import load_receivables
from licensing.royalty import div_round_half_up, mg_shortfall, micros_to_minor
from licensing.statements import guarantee_standings, ledger_scan

GROUPS = ("film", "merchant", "territory", "channel")


@dataclass(frozen=True)
class ReportRow:
    """One group of the royalty report; the fields of groups not asked for are None."""

    currency: str
    entries: int
    units: int
    net_minor: int
    royalty_micros: int
    film_id: int | None = None
    film_title: str | None = None
    merchant_id: int | None = None
    merchant_name: str | None = None
    territory: str | None = None
    channel: Channel | None = None

    @property
    def royalty_minor(self) -> int:
        return micros_to_minor(self.royalty_micros)


def check_group_by(group_by: Sequence[str]) -> list[str]:
    """Normalise group names (FILM, film, …); DomainError INVALID_GROUP_BY otherwise."""
    out: list[str] = []
    for name in group_by:
        key = str(getattr(name, "value", name)).strip().lower()
        if key not in GROUPS:
            raise DomainError(
                LicensingError.INVALID_GROUP_BY,
                f"{name!r} is not one of: {', '.join(GROUPS)}.",
                "groupBy",
            )
        if key not in out:
            out.append(key)
    return out


async def royalty_report(
    session: AsyncSession, period: str, group_by: Sequence[str]
) -> list[ReportRow]:
    """Royalties of the ledger entries posted to `period`, grouped by any of film, merchant,
    territory and channel, and always by currency. One query: the entries are first summed
    per agreement and asked-for group (a few thousand rows at most), and only those sums
    are joined to agreements, films and merchants."""
    period = check_period(period)
    groups = check_group_by(group_by)
    e = ledger_scan(session)
    inner_keys = [e.c.agreement_id]
    if "film" in groups:
        inner_keys.append(e.c.film_id)
    if "territory" in groups:
        inner_keys.append(e.c.territory)
    if "channel" in groups:
        inner_keys.append(e.c.channel)
    sums = (
        select(
            *inner_keys,
            func.count().label("entries"),
            func.sum(e.c.units).label("units"),
            func.sum(e.c.net_minor).label("net_minor"),
            func.sum(e.c.royalty_micros).label("royalty_micros"),
        )
        .where(e.c.period == period)
        .group_by(*inner_keys)
        .subquery("sums")
    )
    source = sums.join(Agreement, Agreement.id == sums.c.agreement_id)
    columns = []
    if "film" in groups:
        source = source.join(Film, Film.id == sums.c.film_id)
        columns += [sums.c.film_id.label("film_id"), Film.title.label("film_title")]
    if "merchant" in groups:
        source = source.join(Merchant, Merchant.id == Agreement.merchant_id)
        columns += [
            Agreement.merchant_id.label("merchant_id"),
            Merchant.name.label("merchant_name"),
        ]
    if "territory" in groups:
        columns.append(sums.c.territory.label("territory"))
    if "channel" in groups:
        columns.append(sums.c.channel.label("channel"))
    columns.append(Agreement.currency.label("currency"))
    query = (
        select(
            *columns,
            func.sum(sums.c.entries).label("entries"),
            func.sum(sums.c.units).label("units"),
            func.sum(sums.c.net_minor).label("net_minor"),
            func.sum(sums.c.royalty_micros).label("royalty_micros"),
        )
        .select_from(source)
        .group_by(*columns)
        .order_by(*columns)
    )
    rows = []
    for row in (await session.execute(query)).mappings():
        values = dict(row)
        for key in ("entries", "units", "net_minor", "royalty_micros"):
            values[key] = int(values[key] or 0)
        if values.get("channel") is not None:
            values["channel"] = Channel(values["channel"])
        rows.append(ReportRow(**values))
    return rows


@dataclass(frozen=True)
class MgPaceRow:
    """Earned to date against the minimum guarantee, and where the run-rate leads."""

    agreement_id: int
    agreement_code: str
    merchant_id: int
    currency: str
    start_date: date
    end_date: date
    minimum_guarantee_minor: int
    advance_minor: int
    earned_to_date_minor: int
    days_elapsed: int
    term_days: int
    projected_earned_minor: int  # earned to date * term days / days elapsed
    shortfall_now_minor: int  # max(0, MG - max(advance, earned to date))
    projected_shortfall_minor: int  # max(0, MG - max(advance, projected))
    status: AgreementStatus = AgreementStatus.ACTIVE
    shortfall_owed_minor: int = 0  # ended agreements: what is left to pay of the shortfall

    @property
    def on_pace(self) -> bool:
        return self.status == AgreementStatus.ACTIVE and self.projected_shortfall_minor == 0

    @property
    def pace(self) -> str:
        """In words: on pace or not, or (ended) that its shortfall is owed."""
        if self.status != AgreementStatus.ACTIVE:
            return f"{self.status.value}, shortfall owed"
        return "yes" if self.on_pace else "no"


async def mg_pace(session: AsyncSession, *, today: date) -> list[MgPaceRow]:
    """MG pace of every active agreement with a minimum guarantee, and of every expired or
    terminated one that still owes a shortfall (its final statement shows one and it is
    not paid yet: `shortfall_owed_minor`), by code (six queries whatever their number).

    Earned to date and the shortfall now are the statements' own (`guarantee_standings`):
    the cumulative royalty up to the period holding the end date, and the MG shortfall its
    statement shows, or would show were the term over today; past the end (in the sell-off)
    that is the final statement's shortfall exactly. The projection extends earned to date
    linearly over the term (past the end, it is earned to date)."""
    agreements = (
        await session.scalars(
            select(Agreement)
            .where(Agreement.status.in_(PACED), Agreement.minimum_guarantee_minor > 0)
            .order_by(Agreement.code)
        )
    ).all()
    if not agreements:
        return []
    standings = await guarantee_standings(session, agreements)
    ended = [
        a.id
        for a in agreements
        if a.status != AgreementStatus.ACTIVE and standings[a.id].shortfall_minor > 0
    ]
    owed = await _shortfalls_owed(session, ended, standings, today=today)
    out = []
    for a in agreements:
        if a.status != AgreementStatus.ACTIVE and not owed.get(a.id):
            continue  # ended, and owes no shortfall (none, or paid)
        term_days = (a.end_date - a.start_date).days + 1
        elapsed = min(max((today - a.start_date).days + 1, 0), term_days)
        standing = standings[a.id]
        to_date = standing.earned_minor
        projected = div_round_half_up(to_date * term_days, elapsed) if elapsed else 0
        mg, advance = a.minimum_guarantee_minor, a.advance_minor
        out.append(
            MgPaceRow(
                agreement_id=a.id,
                agreement_code=a.code,
                merchant_id=a.merchant_id,
                currency=a.currency,
                start_date=a.start_date,
                end_date=a.end_date,
                minimum_guarantee_minor=mg,
                advance_minor=advance,
                earned_to_date_minor=to_date,
                days_elapsed=elapsed,
                term_days=term_days,
                projected_earned_minor=projected,
                shortfall_now_minor=standing.shortfall_minor,
                projected_shortfall_minor=mg_shortfall(mg, advance, projected),
                status=a.status,
                shortfall_owed_minor=owed.get(a.id, 0),
            )
        )
    return out


PACED = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)


async def _shortfalls_owed(
    session: AsyncSession, ids: list[int], standings: dict, *, today: date
) -> dict[int, int]:
    """What ended agreements still owe of their MG shortfall: the whole shortfall while the
    final period is open (its statement is not made yet), else the balance of the shortfall's
    receivable (`load_receivables`: remittances pay the oldest receivable first)."""
    if not ids:
        return {}
    out = {i: standings[i].shortfall_minor for i in ids if not standings[i].frozen}
    for found in await load_receivables(session, today=today, agreement_ids=ids):
        if standings[found.agreement_id].frozen:
            out[found.agreement_id] = sum(
                r.balance_minor
                for r in found.ledger.receivables
                if r.kind == ReceivableKind.MG_SHORTFALL
            )
    return out
