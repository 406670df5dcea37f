"""The two forms of the sellable rule agree (SPEC §3): `sellable` in Python for one product,
`sellable_clause` in SQL for lists, on random agreements, products, countries and dates
(the boundary days of the term and of the sell-off window included), on the real database.

Each example builds its own rows (fresh codes, slugs and SKUs) in the test's database and
asks only about them, so the examples of one run share that database safely.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalog.models import ApprovalStage, Category, Film, Product
from kernel.db import Database
from licensing.models import (
    Agreement,
    AgreementCategory,
    AgreementChannel,
    AgreementFilm,
    AgreementStatus,
    AgreementTerritory,
    Channel,
    Merchant,
)
from licensing.sellable import (
    SHOPPER_CHANNELS,
    AgreementTerms,
    load_terms,
    sellable,
    sellable_anywhere,
    sellable_clause,
)

TERRITORIES = ["US", "GB", "JP", "FR"]
COUNTRIES = [*TERRITORIES, "DE"]  # DE is never licensed
BASE = date(2026, 1, 1)
_seq = itertools.count(1)


@dataclass(frozen=True)
class AgreementPlan:
    status: AgreementStatus
    territories: frozenset[str]
    channels: frozenset[Channel]
    categories: frozenset[Category]
    films: frozenset[int]  # indexes into the example's two films
    archived: frozenset[int]  # which of the example's two films staff archived
    start: date
    end: date
    sell_off_days: int

    def boundary_days(self) -> list[date]:
        last = self.end + timedelta(days=self.sell_off_days)
        one = timedelta(days=1)
        return [self.start - one, self.start, self.end, self.end + one, last, last + one]


@dataclass(frozen=True)
class ProductPlan:
    agreement: int  # index into the example's agreements
    film_covered: bool  # a film its agreement covers (when it covers one), or another
    category_allowed: bool  # a category its agreement allows (when it allows one), or another
    stage: ApprovalStage


def mostly(often: st.SearchStrategy, rarely: st.SearchStrategy) -> st.SearchStrategy:
    """`often` seven times in eight. Uniformly random terms would almost never pass all seven
    rules, and a rule is only tested where every other rule passes."""
    return st.integers(0, 7).flatmap(lambda i: rarely if i == 7 else often)


def subsets(values: list) -> st.SearchStrategy[frozenset]:
    """All of them or some of them; rarely none."""
    some = st.frozensets(st.sampled_from(values), min_size=1, max_size=len(values))
    return mostly(st.just(frozenset(values)) | some, st.just(frozenset()))


def pick(wanted: bool, chosen: frozenset, every: list) -> object:
    """One of `chosen` when `wanted`, else one of the others (whichever exists)."""
    inside = sorted(chosen)
    outside = [value for value in every if value not in chosen]
    return (inside if (wanted and inside) or not outside else outside)[0]


def one_of_or(values: list, fallback: list) -> st.SearchStrategy:
    return st.sampled_from(sorted(values) or fallback)


@st.composite
def agreement_plans(draw: st.DrawFn) -> AgreementPlan:
    start = BASE + timedelta(days=draw(st.integers(0, 40)))
    end = start + timedelta(days=draw(st.integers(0, 40)))
    not_active = [s for s in AgreementStatus if s != AgreementStatus.ACTIVE]
    return AgreementPlan(
        status=draw(mostly(st.just(AgreementStatus.ACTIVE), st.sampled_from(not_active))),
        territories=draw(subsets(TERRITORIES)),
        channels=draw(subsets(list(Channel))),
        categories=draw(subsets(list(Category))),
        films=draw(subsets([0, 1])),
        archived=draw(mostly(st.just(frozenset()), subsets([0, 1]))),
        start=start,
        end=end,
        sell_off_days=draw(st.integers(0, 10)),
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[AgreementPlan], list[ProductPlan]]:
    agreements = draw(st.lists(agreement_plans(), min_size=1, max_size=2))
    not_approved = [s for s in ApprovalStage if s != ApprovalStage.APPROVED]
    product = st.builds(
        ProductPlan,
        agreement=st.integers(0, len(agreements) - 1),
        film_covered=mostly(st.just(True), st.just(False)),
        category_allowed=mostly(st.just(True), st.just(False)),
        stage=mostly(st.just(ApprovalStage.APPROVED), st.sampled_from(not_approved)),
    )
    return agreements, draw(st.lists(product, min_size=1, max_size=6))


async def build(
    db: Database, agreements: list[AgreementPlan], products: list[ProductPlan]
) -> tuple[list[Product], dict[int, AgreementTerms]]:
    """The rows of one example, written directly (the services would refuse some of the
    odd terms we want here, such as an agreement with no territory)."""
    async with db.session() as session:
        n = next(_seq)
        # a film is archived when the first agreement's plan says so (one draw per example)
        archived = agreements[0].archived
        films = [
            Film(
                slug=f"forms-{n}-{i}", title="F", release_date=BASE, runtime_minutes=90,
                archived_at=datetime(2026, 1, 1, tzinfo=UTC) if i in archived else None,
            )
            for i in range(2)
        ]  # fmt: skip
        merchant = Merchant(slug=f"forms-{n}", name="M", country="US", contact_email="m@x.io")
        session.add_all([*films, merchant])
        await session.flush()
        rows = []
        for i, plan in enumerate(agreements):
            row = Agreement(
                code=f"LA-F-{n}-{i}", merchant_id=merchant.id, status=plan.status,
                start_date=plan.start, end_date=plan.end, sell_off_days=plan.sell_off_days,
                currency="USD", rate_bps=1000,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            session.add_all(
                AgreementTerritory(agreement_id=row.id, country=c) for c in plan.territories
            )
            session.add_all(AgreementChannel(agreement_id=row.id, channel=c) for c in plan.channels)
            session.add_all(
                AgreementCategory(agreement_id=row.id, category=c) for c in plan.categories
            )
            session.add_all(
                AgreementFilm(agreement_id=row.id, film_id=films[f].id) for f in plan.films
            )
            rows.append(row)
        made = []
        for i, p in enumerate(products):
            terms = agreements[p.agreement]
            film = pick(p.film_covered, terms.films, [0, 1])
            category = pick(p.category_allowed, terms.categories, list(Category))
            made.append(
                Product(
                    sku=f"FORMS-{n}-{i}", merchant_id=merchant.id,
                    agreement_id=rows[p.agreement].id, film_id=films[film].id, name="P",
                    category=category, price_minor=100, currency="USD", approval_stage=p.stage,
                )
            )  # fmt: skip
        session.add_all(made)
        await session.flush()
        terms = {
            row.id: AgreementTerms(
                id=row.id, code=row.code, merchant_id=merchant.id, status=plan.status,
                territories=plan.territories, channels=plan.channels, categories=plan.categories,
                film_ids=frozenset(films[f].id for f in plan.films), start_date=plan.start,
                end_date=plan.end, sell_off_days=plan.sell_off_days, currency="USD",
                archived_film_ids=frozenset(films[f].id for f in plan.films if f in archived),
            )
            for row, plan in zip(rows, agreements, strict=True)
        }  # fmt: skip
        # the terms checkout loads are the ones built here
        assert await load_terms(session, list(terms)) == terms
    return made, terms


async def sql_keeps(db: Database, products: list[Product], clause: object) -> set[int]:
    async with db.read_session() as session:
        ids = [p.id for p in products]
        return set(await session.scalars(select(Product.id).where(Product.id.in_(ids), clause)))


@settings(
    max_examples=80,
    deadline=None,
    # Every example writes its own rows, so sharing the test's database is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: on a database it takes minutes, and the failing example is small already.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(world=worlds(), data=st.data())
async def test_the_sql_form_keeps_exactly_what_the_python_form_allows(
    db: Database, world: tuple[list[AgreementPlan], list[ProductPlan]], data: st.DataObject
) -> None:
    agreements, plans = world
    products, terms = await build(db, agreements, plans)
    for _ in range(4):
        # Ask mostly what one of the agreements licenses, on its boundary days.
        plan = data.draw(st.sampled_from(agreements), "agreement")
        days = plan.boundary_days()  # [start-1, start, end, end+1, last, last+1]
        near = st.dates(days[0] - timedelta(days=3), days[-1] + timedelta(days=3))
        on = data.draw(mostly(st.sampled_from(days[1:5]), st.sampled_from(days) | near), "on")
        country = data.draw(
            mostly(one_of_or(plan.territories, COUNTRIES), st.sampled_from(COUNTRIES)), "country"
        )
        channel = data.draw(
            mostly(one_of_or(plan.channels, list(Channel)), st.sampled_from(list(Channel))),
            "channel",
        )
        if data.draw(st.booleans(), label="lower case"):
            country = country.lower()
        verdicts = {
            p.id: sellable(p, terms[p.agreement_id], country, on, channel) for p in products
        }
        for verdict in verdicts.values():
            event(f"refusal: {verdict}")  # --hypothesis-show-statistics shows the spread
        expected = {pid for pid, verdict in verdicts.items() if verdict is None}
        clause = sellable_clause(on, channels=[channel], country=country)
        assert await sql_keeps(db, products, clause) == expected, (on, country, channel)

        # The public catalogue's question: in some licensed territory, through some channel.
        channels = data.draw(st.sampled_from([SHOPPER_CHANNELS, (channel,), tuple(Channel), ()]))
        anywhere = {
            p.id for p in products if sellable_anywhere(p, terms[p.agreement_id], on, channels)
        }
        clause = sellable_clause(on, channels=channels)
        assert await sql_keeps(db, products, clause) == anywhere, (on, channels)
