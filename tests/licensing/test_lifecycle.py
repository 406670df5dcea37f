"""The agreement lifecycle (SPEC §10): an active agreement becomes `expired` by itself the
day after its end date plus sell-off (a periodic job of the worker); terminating one stops
its sales at once, in the Python and the SQL form of the sellable rule alike."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from catalog.models import Product
from kernel.db import Database
from kernel.errors import DomainError
from licensing.agreements import set_agreement_status
from licensing.lifecycle import expire_agreements, expires_on
from licensing.models import Agreement, AgreementStatus, Channel
from licensing.sellable import (
    SHOPPER_CHANNELS,
    Refusal,
    check_sellable,
    load_terms,
    sellable,
    sellable_clause,
)
from tests import factory as F
from tiein.jobs import periodic_jobs

END = date(2026, 6, 30)


async def statuses(db: Database) -> dict[str, str]:
    async with db.read_session() as s:
        rows = await s.execute(select(Agreement.code, Agreement.status))
        return {code: status.value for code, status in rows}


async def world(db: Database) -> dict[str, str]:
    """Agreements ending on 2026-06-30: with 10 sell-off days, without, a draft, a
    terminated one, and one running to 2027."""
    async with db.session() as s:
        film = await F.make_film(s)
        merchant = await F.make_merchant(s)

        async def sign(code: str, **terms) -> str:
            terms.setdefault("end_date", END)
            await F.make_agreement(s, merchant_id=merchant.id, film_ids=[film.id], code=code,
                                   **terms)  # fmt: skip
            return code

        return {
            "sell_off": await sign("LA-2026-0101", sell_off_days=10),
            "plain": await sign("LA-2026-0102"),
            "draft": await sign("LA-2026-0103", status=AgreementStatus.DRAFT),
            "terminated": await sign("LA-2026-0104", status=AgreementStatus.TERMINATED),
            "running": await sign("LA-2026-0105", end_date=date(2027, 12, 31)),
        }


async def test_active_agreements_expire_the_day_after_their_end_plus_sell_off(
    db: Database,
) -> None:
    codes = await world(db)
    # On the end date nothing expires; the day after, the one without sell-off does
    async with db.session() as s:
        assert await expire_agreements(s, now=F.at("2026-06-30T23:59")) == []
    async with db.session() as s:
        assert await expire_agreements(s, now=F.at("2026-07-01T00:00")) == [codes["plain"]]
    # The one with 10 sell-off days sells until 2026-07-10 and expires on 2026-07-11
    async with db.session() as s:
        assert await expire_agreements(s, now=F.at("2026-07-10T23:59")) == []
    async with db.session() as s:
        assert await expire_agreements(s, now=F.at("2026-07-11T00:00")) == [codes["sell_off"]]
        again = await expire_agreements(s, now=F.at("2026-07-11T00:01"))
    assert again == []  # idempotent
    assert await statuses(db) == {
        codes["sell_off"]: "expired",
        codes["plain"]: "expired",
        codes["draft"]: "draft",  # a draft never signed is not "expired" by the clock
        codes["terminated"]: "terminated",
        codes["running"]: "active",
    }


async def test_the_worker_runs_agreement_expiry_as_a_periodic_job(db: Database) -> None:
    codes = await world(db)
    [job] = [j for j in periodic_jobs(db, None) if j.kind == "job.expire_agreements"]
    await job.run(F.at("2026-08-01T00:00"))
    found = await statuses(db)
    assert (found[codes["plain"]], found[codes["sell_off"]]) == ("expired", "expired")
    assert found[codes["running"]] == "active"


def test_expires_on_is_the_day_after_the_last_selling_day() -> None:
    class Terms:
        end_date = END
        sell_off_days = 10

    assert expires_on(Terms) == date(2026, 7, 11)


async def sellable_ids(db: Database, on: date) -> set[int]:
    async with db.read_session() as s:
        rows = await s.scalars(
            select(Product.id).where(sellable_clause(on, channels=SHOPPER_CHANNELS, country="US"))
        )
        return set(rows)


async def test_terminating_an_agreement_stops_its_sales_at_once_in_both_forms(
    db: Database,
) -> None:
    async with db.session() as s:
        agreement, product = await F.licensing_world(s)
        _, other = await F.licensing_world(s)
    on = date(2026, 5, 1)
    assert await sellable_ids(db, on) == {product.id, other.id}

    async with db.session() as s:
        await set_agreement_status(
            s, agreement.id, AgreementStatus.TERMINATED, now=F.at("2026-05-01T10:00")
        )

    # SQL form: the catalogue drops it, the other licensee's product stays
    assert await sellable_ids(db, on) == {other.id}
    async with db.session() as s:
        row = await s.get(Product, product.id)
        terms = (await load_terms(s, [agreement.id]))[agreement.id]
        # Python form: the same refusal, mid-term, in a licensed territory and channel
        assert sellable(row, terms, "US", on, Channel.STOREFRONT) == Refusal.AGREEMENT_NOT_ACTIVE
        # and checkout refuses it before payment
        with pytest.raises(DomainError) as refused:
            await check_sellable(s, row, "US", on, Channel.STOREFRONT)
    assert refused.value.code == Refusal.AGREEMENT_NOT_ACTIVE.value
