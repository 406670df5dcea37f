"""Report tables declared once as columns: a CSV header, a page header, a getter, whether it
is money, and what the figure means. The page and the CSV are rendered from the same rows and
the same columns, so their figures cannot disagree. Money on the page goes through
`format_money` (the `money` filter: symbol or code, grouped digits), in the CSV through
`format_amount` with a currency column, so both carry the currency and neither a float.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from starlette.responses import Response

from kernel.money import format_amount, format_money

# What a royalty statement's figures mean: said under every table of statements.
CUMULATIVE = "royalty earned from the start of the agreement to the end of this period."
RECOUPED = "the part of this period's royalty kept against the advance paid up front."
PAYABLE = "royalty owed for this period after recouping the advance; negative is a credit."
SHORTFALL = (
    "on the period holding the end date only: the minimum guarantee less the larger of the "
    "advance and the cumulative royalty, never below zero; the licensee owes it."
)
STATEMENT_NOTES = [
    ("Cumulative", CUMULATIVE),
    ("Advance recouped", RECOUPED),
    ("Payable", PAYABLE),
    ("MG shortfall", SHORTFALL),
]


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    label: str  # the page header
    get: Callable[[Any], Any]
    money: bool = False
    number: bool = False
    note: str = ""  # what the figure is, shown under the table where it is used
    # Where the column appears: a wide table's page shows some figures combined (e.g. a
    # term as "start to end") that its CSV keeps apart, so that the page fits its width.
    on_page: bool = True
    in_csv: bool = True

    def csv(self, row: Any) -> str:
        value = self.get(row)
        if value is None:
            return ""
        if self.money:
            return format_amount(value, row_currency(row))
        text = str(value)
        # A cell that a spreadsheet would run as a formula is quoted as text.
        if not self.number and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + text
        return text

    def html(self, row: Any) -> str:
        value = self.get(row)
        if value is None:
            return "—"
        if self.money:
            return format_money(value, row_currency(row))
        return str(value)


def row_currency(row: Any) -> str:
    return row["currency"] if isinstance(row, dict) else row.currency


@dataclass(frozen=True)
class Table:
    ident: str
    columns: Sequence[Column]
    rows: Sequence[Any]

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]

    @property
    def headers(self) -> list[tuple[str, bool]]:
        return [(c.label, c.money or c.number) for c in self.page_columns]

    @property
    def notes(self) -> list[tuple[str, str]]:
        """(page header, meaning) of each column that explains itself."""
        return [(c.label, c.note) for c in self.page_columns if c.note]

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        columns = self.page_columns
        return [[(c.html(r), c.money or c.number) for c in columns] for r in self.rows]

    def to_csv(self) -> str:
        columns = [c for c in self.columns if c.in_csv]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.key for c in columns])
        for row in self.rows:
            writer.writerow([c.csv(row) for c in columns])
        return out.getvalue()


def percent(value: Decimal) -> str:
    """A ratio as a percentage with one decimal: Decimal("0.3752") → "37.5 %"."""
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)} %"


def percent_tick(value: Fraction) -> str:
    """A chart axis tick of a ratio, as `percent` writes it."""
    return percent(Decimal(value.numerator) / Decimal(value.denominator))


def money_tick(currency: str) -> Callable[[Fraction], str]:
    """A chart axis tick formatter of amounts in minor units of `currency`."""

    def tick(value: Fraction) -> str:
        return format_money(round(value), currency)

    return tick


def csv_response(table: Table, filename: str) -> Response:
    """A table as a CSV download."""
    return Response(
        table.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
