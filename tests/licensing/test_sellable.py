"""The sellable rule (SPEC §3): every refusal code, the check order and the sell-off window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from catalog.models import ApprovalStage, Category, Product
from kernel.errors import DomainError
from licensing.models import AgreementStatus, Channel
from licensing.sellable import (
    AgreementTerms,
    Refusal,
    check_sellable,
    load_terms,
    refusal_message,
    sellable,
    sellable_anywhere,
)
from tests import factory as F

TERMS = AgreementTerms(
    id=1,
    code="LA-2026-0001",
    merchant_id=1,
    status=AgreementStatus.ACTIVE,
    territories=frozenset({"US", "GB"}),
    channels=frozenset({Channel.STOREFRONT, Channel.BUNDLE}),
    categories=frozenset({Category.APPAREL}),
    film_ids=frozenset({7}),
    start_date=date(2026, 1, 1),
    end_date=date(2026, 12, 31),
    sell_off_days=30,
    currency="USD",
)
PRODUCT = Product(
    id=1, agreement_id=1, film_id=7, category=Category.APPAREL,
    approval_stage=ApprovalStage.APPROVED, name="Tee",
)  # fmt: skip
ON = date(2026, 6, 1)


def test_an_approved_product_in_term_territory_and_channel_is_sellable():
    assert sellable(PRODUCT, TERMS, "US", ON, Channel.STOREFRONT) is None


@pytest.mark.parametrize(
    ("terms", "product", "country", "channel", "expected"),
    [
        (replace(TERMS, status=AgreementStatus.DRAFT), PRODUCT, "US", Channel.STOREFRONT,
         Refusal.AGREEMENT_NOT_ACTIVE),
        (replace(TERMS, status=AgreementStatus.TERMINATED), PRODUCT, "US", Channel.STOREFRONT,
         Refusal.AGREEMENT_NOT_ACTIVE),
        (TERMS, PRODUCT, "JP", Channel.STOREFRONT, Refusal.NOT_LICENSED_IN_TERRITORY),
        (TERMS, PRODUCT, "US", Channel.LICENSEE_RETAIL, Refusal.CHANNEL_NOT_LICENSED),
        (replace(TERMS, start_date=date(2026, 7, 1)), PRODUCT, "US", Channel.STOREFRONT,
         Refusal.OUTSIDE_TERM),
        (replace(TERMS, categories=frozenset({Category.TOYS})), PRODUCT, "US", Channel.BUNDLE,
         Refusal.CATEGORY_NOT_LICENSED),
        (replace(TERMS, film_ids=frozenset({8})), PRODUCT, "US", Channel.STOREFRONT,
         Refusal.FILM_NOT_COVERED),
    ],
)  # fmt: skip
def test_each_failing_rule_is_named(terms, product, country, channel, expected):
    assert sellable(product, terms, country, ON, channel) == expected


def test_a_design_not_yet_approved_is_not_sellable():
    for stage in ApprovalStage:
        if stage != ApprovalStage.APPROVED:
            product = Product(film_id=7, category=Category.APPAREL, approval_stage=stage)
            assert sellable(product, TERMS, "US", ON, Channel.STOREFRONT) == Refusal.NOT_APPROVED


def test_the_first_failing_rule_in_the_fixed_order_wins():
    everything_wrong = replace(
        TERMS, status=AgreementStatus.EXPIRED, categories=frozenset(), film_ids=frozenset()
    )
    assert sellable(PRODUCT, everything_wrong, "JP", ON, Channel.LICENSEE_RETAIL) == (
        Refusal.AGREEMENT_NOT_ACTIVE
    )
    wrong_place_and_channel = replace(TERMS, film_ids=frozenset())
    assert sellable(PRODUCT, wrong_place_and_channel, "JP", ON, Channel.LICENSEE_RETAIL) == (
        Refusal.NOT_LICENSED_IN_TERRITORY
    )
    assert list(Refusal) == [
        Refusal.AGREEMENT_NOT_ACTIVE, Refusal.NOT_LICENSED_IN_TERRITORY,
        Refusal.CHANNEL_NOT_LICENSED, Refusal.OUTSIDE_TERM, Refusal.CATEGORY_NOT_LICENSED,
        Refusal.FILM_NOT_COVERED, Refusal.FILM_ARCHIVED, Refusal.NOT_APPROVED,
    ]  # fmt: skip


def test_the_merch_of_an_archived_film_is_sold_nowhere():
    archived = replace(TERMS, archived_film_ids=frozenset({7}))
    for country in ("US", "GB"):
        for channel in (Channel.STOREFRONT, Channel.BUNDLE):
            assert sellable(PRODUCT, archived, country, ON, channel) == Refusal.FILM_ARCHIVED
    assert not sellable_anywhere(PRODUCT, archived, ON)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 12, 31), Refusal.OUTSIDE_TERM),  # the day before the start
        (date(2026, 1, 1), None),  # the start date
        (date(2026, 12, 31), None),  # the end date
        (date(2027, 1, 30), None),  # the 30th sell-off day
        (date(2027, 1, 31), Refusal.OUTSIDE_TERM),  # the day after the sell-off
    ],
)
def test_the_term_includes_the_sell_off_days(on, expected):
    assert sellable(PRODUCT, TERMS, "US", on, Channel.STOREFRONT) == expected


def test_without_sell_off_days_the_term_ends_on_the_end_date():
    terms = replace(TERMS, sell_off_days=0)
    assert sellable(PRODUCT, terms, "US", date(2027, 1, 1), Channel.STOREFRONT) == (
        Refusal.OUTSIDE_TERM
    )


def test_refusals_are_said_in_plain_words_with_the_country_name():
    def say(refusal, country="JP"):
        return refusal_message(refusal, country=country, channel=Channel.BUNDLE, on_date=ON)

    assert say(Refusal.NOT_LICENSED_IN_TERRITORY) == "not licensed for sale in Japan"
    assert say(Refusal.NOT_LICENSED_IN_TERRITORY, "ZZ") == "not licensed for sale in ZZ"
    assert "ticket bundles" in say(Refusal.CHANNEL_NOT_LICENSED)
    assert "2026-06-01" in say(Refusal.OUTSIDE_TERM)
    assert all(say(r) for r in Refusal)


async def test_check_sellable_refuses_before_payment_with_the_code_and_the_field(db):
    async with db.session() as session:
        _, product = await F.licensing_world(session, territories=["US", "GB"])
        await check_sellable(session, product, "US", date(2026, 6, 1), Channel.STOREFRONT)
        with pytest.raises(DomainError) as refused:
            await check_sellable(session, product, "JP", date(2026, 6, 1), Channel.STOREFRONT)
    assert refused.value.code == "NOT_LICENSED_IN_TERRITORY"
    assert refused.value.field == "country"
    assert "not licensed for sale in Japan" in refused.value.message


async def test_load_terms_takes_the_same_number_of_queries_for_one_or_many(db, query_counter):
    async with db.session() as session:
        f = await F.make_film(session)
        m = await F.make_merchant(session)
        ids = [
            (await F.make_agreement(session, merchant_id=m.id, film_ids=[f.id])).id
            for _ in range(6)
        ]
    async with db.read_session() as session:
        with query_counter() as one:
            terms = await load_terms(session, ids[:1])
        with query_counter() as many:
            all_terms = await load_terms(session, ids)
    assert one.count == many.count == 1
    assert terms[ids[0]].territories == frozenset({"US", "GB", "JP"})
    assert set(all_terms) == set(ids)
    assert all_terms[ids[3]].film_ids == frozenset({f.id})


def test_every_refusal_is_a_licensing_error_code():
    from licensing.codes import LicensingError

    assert {r.value for r in Refusal} <= {c.value for c in LicensingError}
