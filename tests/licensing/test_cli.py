"""`tiein report …` and `tiein period close`: figures on stdout, one-line errors, exit codes."""

from __future__ import annotations

import asyncio

import pytest

from licensing.ledger import SaleLine, post_sales
from licensing.models import Channel
from tests import factory as F
from tiein.cli import main


@pytest.fixture
def run(database_url, monkeypatch, capsys):
    monkeypatch.setenv("TIEIN_DATABASE_URL", database_url)

    async def run(*argv: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def _seed(db) -> str:
    async with db.session() as session:
        agreement, tee = await F.licensing_world(session, rate_bps=1000, code="LA-2026-0042")
        when = F.at("2026-02-10T10:00")
        await post_sales(
            session,
            [
                SaleLine("o:1", tee.id, 2, 5000, Channel.STOREFRONT, "US", when),
                SaleLine("o:2", tee.id, 1, 1001, Channel.BUNDLE, "GB", when),
            ],
            now=when,
        )
    return agreement.code


async def test_royalties_report_as_table_and_csv(db, run):
    await _seed(db)
    code, out, _ = await run(
        "report", "royalties", "--period", "2026-Q1", "--group-by", "territory", "channel",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines() == [
        "territory,channel,currency,units,net,royalty",
        "GB,bundle,USD,1,10.01,1.00",
        "US,storefront,USD,2,50.00,5.00",
    ]
    code, out, _ = await run("report", "royalties", "--period", "2026-Q1")
    assert code == 0 and "50.00" not in out and "60.01" in out  # one film: 50.00 + 10.01


async def test_statement_and_period_close(db, run):
    agreement_code = await _seed(db)
    code, out, _ = await run(
        "report", "statement", "--agreement", agreement_code, "--period", "2026-Q1",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0
    header, row = out.splitlines()
    figures = dict(zip(header.split(","), row.split(","), strict=True))
    assert (figures["royalty_earned"], figures["frozen"]) == ("6.00", "no")  # 6.001 → 6.00
    code, out, _ = await run("period", "close", "2026-Q1")
    assert (code, out.strip()) == (0, "2026-Q1 closed: 1 statement(s) frozen")
    code, out, _ = await run("period", "close", "2026-Q1")
    assert code == 0  # idempotent
    code, out, _ = await run("report", "statements", "--period", "2026-Q1", "--format", "csv")
    assert out.splitlines()[1].endswith(",no,yes")


async def test_bad_input_is_one_clear_line_and_a_non_zero_exit(db, run):
    code, _, err = await run("period", "close", "2099-Q1")
    assert code != 0 and err.strip().startswith("tiein: PERIOD_NOT_ENDED")
    assert len(err.strip().splitlines()) == 1
    code, _, err = await run("report", "statement", "--agreement", "LA-NOPE", "--period", "2026-Q1")
    assert code != 0 and "No agreement 'LA-NOPE'" in err
    code, _, err = await run("report", "royalties", "--period", "Q3-2026")
    assert code != 0 and "INVALID_PERIOD" in err


async def test_audit_mg_pace_and_film_commerce_reports(db, run):
    agreement_code = await _seed(db)
    code, out, _ = await run(
        "report", "audit", "--agreement", agreement_code, "--period", "2026-Q1", "--format", "csv"
    )
    assert code == 0
    # No labels: 2 + 1 units sold and 100 in stock carry none, beyond the 10-unit tolerance.
    assert [row.split(",", 1)[1] for row in out.splitlines()[1:]] == [
        "0,2,1,0,100,-103,10,units without labels",
        "0,2,1,0,100,-103,10,units without labels",
    ]
    code, out, _ = await run("report", "film-commerce", "--period", "2026-Q1", "--format", "csv")
    assert code == 0 and out.splitlines()[1].endswith(",0,0,3,0.00%,USD,60.01,6.00")
    code, out, _ = await run("report", "mg-pace", "--today", "2026-03-01")
    assert code == 0 and "(nothing)" in out  # the seeded agreement has no minimum guarantee
