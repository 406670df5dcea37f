"""Licensing verbs of the `tiein` command line: reports, statements and period close."""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Sequence
from datetime import date

from kernel.clock import now_utc
from kernel.config import load_settings
from kernel.db import Database
from kernel.money import format_amount
from kernel.periods import check_period
from licensing.agreements import get_agreement_by_code
from licensing.closing import close_period
from licensing.statements import StatementFigures, compute_statement, statements_for_period
from reports.audit import AuditPolicy, audit
from reports.film_commerce import film_commerce_report
from reports.royalty import mg_pace, royalty_report
from tiein.cli.common import CommandError, run_with_db

FORMATS = ("table", "csv")


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `tiein report …` and `tiein period …`."""
    report = verbs.add_parser(
        "report", help="royalty, statement, film, MG pace and label audit reports"
    )
    reports = report.add_subparsers(dest="report_verb", metavar="REPORT", required=True)

    royalties = reports.add_parser(
        "royalties", help="royalties of a period, grouped by film, merchant, territory, channel"
    )
    royalties.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q3")
    royalties.add_argument(
        "--group-by",
        nargs="+",
        action="extend",
        default=None,
        choices=("film", "merchant", "territory", "channel"),
        metavar="GROUP",
        help="one or more of film, merchant, territory, channel (default film); repeatable",
    )
    royalties.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    royalties.set_defaults(func=_royalties)

    statement = reports.add_parser("statement", help="the statement of one agreement")
    statement.add_argument("--agreement", required=True, help="agreement code, e.g. LA-2026-0042")
    statement.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q3")
    statement.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    statement.set_defaults(func=_statement)

    statements = reports.add_parser("statements", help="every statement of a period")
    statements.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q3")
    statements.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    statements.set_defaults(func=_statements)

    films = reports.add_parser("film-commerce", help="tickets, bundles, merch and royalty by film")
    films.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q3")
    films.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    films.set_defaults(func=_film_commerce)

    pace = reports.add_parser(
        "mg-pace",
        help="minimum-guarantee pace of active agreements and of ended ones owing a shortfall",
    )
    pace.add_argument("--today", type=_date, default=None, help="as of (YYYY-MM-DD; default today)")
    pace.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    pace.set_defaults(func=_mg_pace)

    audit = reports.add_parser(
        "audit",
        help="labels issued against units sold and in stock, per product; cloned labels",
    )
    audit.add_argument("--agreement", required=True, help="agreement code")
    audit.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q3")
    audit.add_argument("--format", choices=FORMATS, default="table", help="table or csv")
    audit.set_defaults(func=_audit)

    period = verbs.add_parser("period", help="royalty periods").add_subparsers(
        dest="period_verb", metavar="VERB", required=True
    )
    close = period.add_parser(
        "close", help="close an ended period and freeze its statements (idempotent)"
    )
    close.add_argument("period", help="a quarter, e.g. 2026-Q3")
    close.add_argument("--by", default="cli", help="who closes it (kept on the period)")
    close.set_defaults(func=_period_close)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-07-01") from None


def _period(text: str) -> str:
    return check_period(text)  # DomainError INVALID_PERIOD: one line, exit 2


_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (a name starting with =, +, -, @), quoted as
    text; numbers and amounts (negative ones too) as they are."""
    if isinstance(value, str) and value[:1] in _FORMULA and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def emit(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> None:
    """Print rows as an aligned text table or as CSV (formula-like text quoted)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([csv_cell(v) for v in row] for row in rows)
        sys.stdout.write(buffer.getvalue())
        return
    text = [[str(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in text:
        cells = []
        for i, (value, width) in enumerate(zip(row, widths, strict=True)):
            numeric = value.lstrip("-").replace(".", "", 1).isdigit()
            cells.append(value.rjust(width) if numeric and i else value.ljust(width))
        print("  ".join(cells).rstrip())
    if not rows:
        print("(nothing)")


def _royalties(args: argparse.Namespace) -> int:

    period = _period(args.period)
    group_by = args.group_by or ["film"]

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            return await royalty_report(session, period, group_by)

    rows = run_with_db(work)
    names = {
        "film": ("film", lambda r: r.film_title),
        "merchant": ("merchant", lambda r: r.merchant_name),
        "territory": ("territory", lambda r: r.territory),
        "channel": ("channel", lambda r: r.channel and r.channel.value),
    }
    groups = list(dict.fromkeys(group_by))
    headers = [names[g][0] for g in groups] + ["currency", "units", "net", "royalty"]
    table = [
        [names[g][1](r) for g in groups]
        + [
            r.currency,
            r.units,
            format_amount(r.net_minor, r.currency),
            format_amount(r.royalty_minor, r.currency),
        ]
        for r in rows
    ]
    emit(headers, table, args.format)
    return 0


STATEMENT_HEADERS = [
    "agreement",
    "period",
    "currency",
    "units",
    "net_sales",
    "royalty_earned",
    "cumulative_earned",
    "advance_recouped",
    "royalty_payable",
    "mg_shortfall",
    "adjustments",
    "frozen",
]


def _statement_row(f: StatementFigures) -> list[object]:
    c = f.currency
    return [
        f.agreement_code,
        f.period,
        c,
        f.units,
        format_amount(f.net_sales_minor, c),
        format_amount(f.royalty_earned_minor, c),
        format_amount(f.cumulative_earned_minor, c),
        format_amount(f.advance_recouped_minor, c),
        format_amount(f.royalty_payable_minor, c),
        format_amount(f.mg_shortfall_minor, c),
        "yes" if f.has_adjustments else "no",
        "yes" if f.frozen else "no",
    ]


def _statement(args: argparse.Namespace) -> int:

    period = _period(args.period)

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            agreement = await get_agreement_by_code(session, args.agreement)
            return await compute_statement(session, agreement.id, period)

    figures = run_with_db(work)
    if args.format == "csv":
        emit(STATEMENT_HEADERS, [_statement_row(figures)], "csv")
    else:
        emit(
            ["figure", "value"],
            list(zip(STATEMENT_HEADERS, _statement_row(figures), strict=True)),
            "table",
        )
    return 0


def _statements(args: argparse.Namespace) -> int:

    period = _period(args.period)

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            return await statements_for_period(session, period)

    emit(STATEMENT_HEADERS, [_statement_row(f) for f in run_with_db(work)], args.format)
    return 0


def _film_commerce(args: argparse.Namespace) -> int:

    period = _period(args.period)

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            return await film_commerce_report(session, period)

    rows = []
    for r in run_with_db(work):
        money = r.money or ()
        for i, m in enumerate(money or [None]):
            first = i == 0
            rows.append(
                [
                    r.film_title,
                    r.tickets_sold if first else "",
                    r.bundles_sold if first else "",
                    r.merch_units if first else "",
                    f"{r.merch_attach_rate * 100:.2f}%" if first else "",
                    m.currency if m else "",
                    format_amount(m.net_minor, m.currency) if m else "",
                    format_amount(m.royalty_minor, m.currency) if m else "",
                ]
            )
    headers = ["film", "tickets", "bundles", "merch_units", "attach_rate", "currency", "net",
               "royalty"]  # fmt: skip
    emit(headers, rows, args.format)
    return 0


def _mg_pace(args: argparse.Namespace) -> int:

    today = args.today or now_utc().date()

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            return await mg_pace(session, today=today)

    rows = [
        [
            r.agreement_code,
            r.currency,
            format_amount(r.minimum_guarantee_minor, r.currency),
            format_amount(r.earned_to_date_minor, r.currency),
            f"{r.days_elapsed}/{r.term_days}",
            format_amount(r.projected_earned_minor, r.currency),
            format_amount(r.projected_shortfall_minor, r.currency),
            r.pace,
        ]
        for r in run_with_db(work)
    ]
    headers = ["agreement", "currency", "minimum_guarantee", "earned", "days", "projected",
               "projected_shortfall", "on_pace"]  # fmt: skip
    emit(headers, rows, args.format)
    return 0


def _audit(args: argparse.Namespace) -> int:

    period = _period(args.period)
    policy = AuditPolicy.from_settings(load_settings())

    async def work(db: Database):  # type: ignore[no-untyped-def]
        async with db.read_session() as session:
            agreement = await get_agreement_by_code(session, args.agreement)
            return await audit(session, agreement.id, period, policy)

    result = run_with_db(work)
    rows = [
        [
            line.sku or "(all)",
            line.issued,
            line.storefront_units,
            line.bundle_units,
            line.retail_units,
            line.on_hand,
            line.gap,
            line.tolerance,
            line.status,
        ]
        for line in (*result.lines, result.total)
    ]
    headers = ["sku", "labels_issued", "storefront", "bundle", "retail", "on_hand", "gap",
               "tolerance", "status"]  # fmt: skip
    emit(headers, rows, args.format)
    if result.cloned_count and args.format == "table":
        print(f"{result.cloned_count} label(s) verified like clones:")
        for label in result.cloned:
            print(f"  {label.code} {label.sku}: {label.verifications} verifications "
                  f"from {label.networks} network(s)")  # fmt: skip
    return 0


def _period_close(args: argparse.Namespace) -> int:

    period = _period(args.period)

    async def work(db: Database) -> int:
        async with db.session() as session:
            return len(await close_period(session, period, now=now_utc(), closed_by=args.by))

    count = run_with_db(work)
    print(f"{period} closed: {count} statement(s) frozen")
    return 0


__all__ = ["CommandError", "emit", "register"]
