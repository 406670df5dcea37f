"""Staff reports: royalties by group, film-to-commerce and MG pace (the audit: test_audit.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kernel.errors import DomainError
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from orders.models import LineKind
from reports.film_commerce import film_commerce_report
from reports.royalty import mg_pace, royalty_report
from tests import factory as F

NOW = F.at("2026-08-10T12:00")


def line(ref, product, units, net, territory="US", channel=Channel.STOREFRONT, when=NOW):
    return SaleLine(ref, product.id, units, net, channel, territory, when)


async def test_royalties_group_by_film_and_channel_and_never_mix_currencies(db):
    async with db.session() as session:
        _dollars, tee = await F.licensing_world(session, rate_bps=1000)
        _yen, cup = await F.licensing_world(session, rate_bps=500, currency="JPY")
        await post_sales(
            session,
            [
                line("o:1", tee, 1, 1000),
                line("o:2", tee, 2, 3000, channel=Channel.BUNDLE),
                line("o:3", tee, 1, 1000, territory="GB"),
                line("o:4", cup, 3, 9000, territory="JP"),
            ],
            now=NOW,
        )
        by_channel = await royalty_report(session, "2026-Q3", ["FILM", "channel"])
        by_territory = await royalty_report(session, "2026-Q3", ["territory"])
        with pytest.raises(DomainError) as bad:
            await royalty_report(session, "2026-Q3", ["colour"])
    assert [(r.film_id, r.channel, r.currency, r.units, r.net_minor, r.royalty_minor)
            for r in by_channel] == [
        (tee.film_id, Channel.BUNDLE, "USD", 2, 3000, 300),
        (tee.film_id, Channel.STOREFRONT, "USD", 2, 2000, 200),
        (cup.film_id, Channel.STOREFRONT, "JPY", 3, 9000, 450),
    ]  # fmt: skip
    assert [(r.territory, r.currency, r.royalty_minor) for r in by_territory] == [
        ("GB", "USD", 100), ("JP", "JPY", 450), ("US", "USD", 400),
    ]  # fmt: skip
    assert bad.value.code == "INVALID_GROUP_BY"


async def _paid_order(session, number, lines, paid_at=NOW):
    order = await F.make_order(session, now=paid_at, number=number)
    for kwargs in lines:
        await F.make_order_line(session, order.id, total_minor=1000, **kwargs)
    return order


async def test_film_commerce_counts_tickets_bundles_merch_and_the_attach_rate(db):
    async with db.session() as session:
        _agreement, tee = await F.licensing_world(session, rate_bps=1000)
        cinema = await F.make_cinema(session, name="Rex", city="Paris")
        show = await F.make_showtime(session, film_id=tee.film_id, cinema_id=cinema.id,
                                     starts_at=NOW)  # fmt: skip
        offer = await F.make_bundle(session, film_id=tee.film_id, code="B1", name="B",
                                    price_minor=3000, components=[],
                                    valid_from=NOW - timedelta(days=9),
                                    valid_to=NOW + timedelta(days=9))  # fmt: skip
        ticket = {"kind": LineKind.TICKET, "showtime_id": show.id}
        # 1: two tickets and a tee; 2: one bundle; 3: one ticket alone.
        await _paid_order(session, "T-1", [
            {**ticket, "quantity": 2},
            {"kind": LineKind.PRODUCT, "product_id": tee.id, "quantity": 1},
        ])  # fmt: skip
        bundle = {"kind": LineKind.BUNDLE, "showtime_id": show.id, "bundle_offer_id": offer.id}
        await _paid_order(session, "T-2", [{**bundle, "quantity": 1}])
        await _paid_order(session, "T-3", [{**ticket, "quantity": 1}])
        await _paid_order(session, "T-4", [{**ticket, "quantity": 5}], paid_at=F.at("2026-01-05"))
        # 5: three tickets, one refunded; 6: wholly refunded, merch and all — counts for nothing.
        await _paid_order(session, "T-5", [{**ticket, "quantity": 3, "refunded_quantity": 1}])
        await _paid_order(session, "T-6", [
            {**ticket, "quantity": 2, "refunded_quantity": 2},
            {"kind": LineKind.PRODUCT, "product_id": tee.id, "quantity": 1,
             "refunded_quantity": 1},
        ])  # fmt: skip
        await post_sales(session, [line("order_line:2", tee, 1, 2500),
                                   line("bundle_part:1", tee, 1, 1800, channel=Channel.BUNDLE),
                                   line("report_line:1", tee, 4, 8000,
                                        channel=Channel.LICENSEE_RETAIL)], now=NOW)  # fmt: skip
        [row] = await film_commerce_report(session, "2026-Q3")
    assert (row.film_id, row.tickets_sold, row.bundles_sold) == (tee.film_id, 2 + 1 + 1 + 2, 1)
    assert (row.ticket_orders, row.ticket_orders_with_merch) == (4, 2)
    assert row.merch_attach_rate == Decimal("0.5000")
    assert row.merch_units == 2  # storefront + bundle, not the licensee's own retail
    [usd] = row.money
    assert (usd.currency, usd.net_minor) == ("USD", 4300)
    assert usd.royalty_minor == 250 + 180 + 800  # royalty on every channel


async def test_mg_pace_projects_the_run_rate_to_the_end_of_the_term(db):
    async with db.session() as session:
        _agreement, tee = await F.licensing_world(
            session, rate_bps=1000, minimum_guarantee_minor=10000, advance_minor=1000,
            end_date=date(2026, 12, 31),
        )  # fmt: skip
        await post_sales(session, [line("o:1", tee, 1, 20000, when=F.at("2026-02-01"))],
                         now=NOW)  # fmt: skip
        [row] = await mg_pace(session, today=date(2026, 3, 31))
    # 20.00 earned in 90 of 365 days → 20.00 * 365 / 90 = 81.11 projected; MG 100.00.
    assert (row.earned_to_date_minor, row.days_elapsed, row.term_days) == (2000, 90, 365)
    assert row.projected_earned_minor == 8111
    assert (row.shortfall_now_minor, row.projected_shortfall_minor) == (8000, 1889)
    assert row.on_pace is False
