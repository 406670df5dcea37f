"""Merchant verbs: `tiein merchants list`, and the lookup of a merchant by slug that every
verb taking `--merchant SLUG` shares (a wrong slug names the right ones)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import Database
from licensing.models import Agreement, AgreementStatus, Merchant
from tiein.cli.common import run_with_db, unknown_name


def register(verbs: Any) -> None:
    merchants = verbs.add_parser("merchants", help="licensee partners").add_subparsers(
        dest="merchants_verb", metavar="VERB", required=True
    )
    merchants.add_parser(
        "list", help="every merchant: slug, name, country and active agreements"
    ).set_defaults(func=_list)


async def merchant_by_slug(session: AsyncSession, slug: str) -> Merchant:
    """The merchant with `slug`; a CommandError naming the known slugs when there is none."""
    wanted = slug.strip().lower()
    merchant = await session.scalar(select(Merchant).where(Merchant.slug == wanted))
    if merchant is None:
        known = (await session.scalars(select(Merchant.slug))).all()
        raise unknown_name("merchant", slug, known, listing="tiein merchants list")
    return merchant


async def merchant_rows(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """(slug, name, country, active agreements) of every merchant, by slug."""
    active = (
        select(Agreement.merchant_id, func.count().label("n"))
        .where(Agreement.status == AgreementStatus.ACTIVE)
        .group_by(Agreement.merchant_id)
        .subquery()
    )
    rows = await session.execute(
        select(Merchant.slug, Merchant.name, Merchant.country, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.merchant_id == Merchant.id)
        .order_by(Merchant.slug)
    )
    return [(slug, name, country, int(n)) for slug, name, country, n in rows.all()]


def format_table(rows: list[tuple[str, str, str, int]]) -> str:
    """The rows under a header, columns aligned; the count right-aligned."""
    header = ("SLUG", "NAME", "COUNTRY", "ACTIVE AGREEMENTS")
    cells = [header, *[(s, n, c, str(a)) for s, n, c, a in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(3)]
    return "\n".join(
        "  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3].rjust(len(header[3]))
        for row in cells
    ).rstrip()


def _list(args: argparse.Namespace) -> int:
    async def work(db: Database) -> list[tuple[str, str, str, int]]:
        async with db.read_session() as session:
            return await merchant_rows(session)

    rows = run_with_db(work)
    print(format_table(rows) if rows else "no merchants yet")
    return 0
