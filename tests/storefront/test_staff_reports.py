"""Staff reports: tables with charts, and CSV downloads whose figures equal the page's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx

from kernel.db import Database
from kernel.money import format_money, parse_amount
from orders.models import LineKind
from tests.factory import (
    make_cinema,
    make_order,
    make_order_line,
    make_showtime,
    staff_member,
    staff_world,
)
from tests.prices import price, usd
from tests.storefront.console import sign_in

PAID_AT = datetime(2025, 8, 2, 18, tzinfo=UTC)


class _Tables(HTMLParser):
    """Every <table id=…> of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _csv_as_displayed(text: str, money_columns: set[str]) -> tuple[list[str], list[list[str]]]:
    """The CSV's rows with money written as the page writes it (symbol, grouping)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0]) if rows else []
    shown = []
    for row in rows:
        cells = []
        for key in header:
            value = row[key]
            if key in money_columns and value != "":
                value = format_money(parse_amount(value, row["currency"]), row["currency"])
            cells.append(value or "—")
        shown.append(cells)
    return header, shown


async def _film_orders(db: Database, film_id: int, product_id: int) -> None:
    """Two paid ticket orders for Night Train in 2025-Q3, one of which also bought a tee."""
    async with db.session() as session:
        cinema = await make_cinema(session, name="Roxy", city="Austin")
        show = await make_showtime(session, film_id=film_id, cinema_id=cinema.id, capacity=50,
                                   starts_at=PAID_AT, seats_taken=3, price_minor=1500)  # fmt: skip
        for n, with_tee in ((1, True), (2, False)):
            order = await make_order(session, now=PAID_AT, number=f"R-{n}", total_minor=4000)
            await make_order_line(session, order.id, kind=LineKind.TICKET, showtime_id=show.id,
                                  quantity=1 + n % 2, unit_price_minor=1500)  # fmt: skip
            if with_tee:
                await make_order_line(session, order.id, kind=LineKind.PRODUCT,
                                      product_id=product_id, unit_price_minor=2500)  # fmt: skip


async def test_royalty_report_csv_equals_the_page_for_every_grouping(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    for groups in (["film"], ["merchant"], ["territory"], ["channel"], ["film", "territory"]):
        query = "&".join(f"group_by={g}" for g in groups)
        page = await client.get(f"/staff/reports?period=2025-Q3&{query}")
        assert page.status_code == 200
        table = _tables(page.text)["royalties-table"]
        download = await client.get(f"/staff/reports/royalties.csv?period=2025-Q3&{query}")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        header, rows = _csv_as_displayed(download.text, {"net_sales", "royalty"})
        assert header[: len(groups)] == groups
        assert table[1:] == rows, groups
        escaped = query.replace("&", "&amp;")
        assert f'href="/staff/reports/royalties.csv?period=2025-Q3&amp;{escaped}"' in page.text

    # Worked figures (10 %): Night Train 100.00 + 30.00 → 13.00; Dust & Gold 25.00 → 2.50.
    download = await client.get("/staff/reports/royalties.csv?period=2025-Q3&group_by=film")
    by_film = {r["film"]: r for r in csv.DictReader(io.StringIO(download.text))}
    assert by_film["Night Train"]["net_sales"] == "130.00"
    assert by_film["Night Train"]["royalty"] == "13.00"
    assert by_film["Night Train"]["units"] == "6"
    assert by_film["Dust & Gold"]["royalty"] == "2.50"
    assert {r["currency"] for r in by_film.values()} == {"USD"}


async def test_report_page_charts_royalties_and_escapes_names(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff/reports?period=2025-Q3&group_by=merchant")
    assert page.text.count("<svg") == 3  # royalties, film to commerce, MG pace
    assert "Royalty earned by merchant, 2025-Q3 (USD)" in page.text
    assert "Acme &lt;Merch&gt; &amp; Co" in page.text
    assert "<Merch>" not in page.text
    assert usd(1550) in page.text


async def test_film_commerce_csv_equals_the_page(client: httpx.AsyncClient, db: Database) -> None:
    world = await staff_world(db)
    await _film_orders(db, world.film_ids[0], world.product_ids[0])
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff/reports?period=2025-Q3")
    table = _tables(page.text)["film-commerce-table"]
    download = await client.get("/staff/reports/film-commerce.csv?period=2025-Q3")
    _, rows = _csv_as_displayed(download.text, {"merch_net", "royalty"})
    assert table[1:] == rows
    night = next(
        r for r in csv.DictReader(io.StringIO(download.text)) if r["film"] == "Night Train"
    )
    # Three tickets over two orders; one of the two also bought merch.
    assert night["tickets_sold"] == "3"
    assert night["ticket_orders"] == "2"
    assert night["merch_attach_rate"] == "50.0 %"
    assert night["merch_units"] == "6"
    assert night["royalty"] == "13.00"
    assert "Merch attach rate by film, 2025-Q3" in page.text


async def test_mg_pace_csv_equals_the_page(client: httpx.AsyncClient, db: Database) -> None:
    await staff_world(db)
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff/reports?period=2025-Q3")
    table = _tables(page.text)["mg-pace-table"]
    download = await client.get("/staff/reports/mg-pace.csv")
    money = {
        "minimum_guarantee",
        "advance",
        "earned_to_date",
        "projected_earned",
        "shortfall_now",
        "projected_shortfall",
    }
    header, rows = _csv_as_displayed(download.text, money)

    def as_on_the_page(cells: list[str]) -> list[str]:
        # The page shows the term and the days combined (to fit its width); the CSV keeps
        # them apart, and the currency in a column of its own.
        d = dict(zip(header, cells, strict=True))
        return [
            d["agreement"],
            f"{d['start_date']} to {d['end_date']}",
            d["minimum_guarantee"],
            d["advance"],
            d["earned_to_date"],
            d["earned_share_of_mg"],
            f"{d['days_elapsed']} of {d['term_days']}",
            d["projected_earned"],
            d["shortfall_now"],
            d["projected_shortfall"],
            d["on_pace"],
        ]

    assert table[1:] == [as_on_the_page(r) for r in rows]
    (row,) = list(csv.DictReader(io.StringIO(download.text)))
    # Earned to date: 15.50 in 2025-Q3 plus 2.50 in 2025-Q4.
    assert row["agreement"] == "LA-2025-0001"
    assert row["earned_to_date"] == "18.00"
    assert row["minimum_guarantee"] == "5000.00"


async def test_a_bad_period_is_explained_not_crashed(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff/reports?period=2025-Q5")
    assert page.status_code == 400
    assert 'data-code="INVALID_PERIOD"' in page.text and "(INVALID_PERIOD)" not in page.text
    assert "is not a period like 2026-Q3" in page.text
    bad_group = await client.get("/staff/reports/royalties.csv?period=2025-Q3&group_by=planet")
    assert bad_group.status_code == 400
    assert "planet" in bad_group.text and "INVALID_GROUP_BY" not in bad_group.text


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted_but_amounts_are_not() -> None:
    from storefront.staff.tables import Column, Table

    rows = [
        {"name": '=HYPERLINK("http://evil.example")', "amount": -1050, "currency": "USD"},
        {"name": "Night Train", "amount": 1050, "currency": "JPY"},
    ]
    table = Table(
        "t",
        [
            Column("name", "Name", lambda r: r["name"]),
            Column("amount", "Amount", lambda r: r["amount"], money=True),
        ],
        rows,
    )
    parsed = list(csv.reader(io.StringIO(table.to_csv())))
    assert parsed == [
        ["name", "amount"],
        ['\'=HYPERLINK("http://evil.example")', "-10.50"],
        ["Night Train", "1050"],
    ]
    assert [cells[1][0] for cells in table.cells] == [usd(-1050), price(1050, "JPY")]
