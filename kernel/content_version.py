"""The version of the public content, bumped by the database itself (DESIGN §6).

A page that shows films, showtimes, products, photos, bundles or what the sellable rule reads
may be cached in a process only under the version current when it was rendered: every insert,
update or delete of those tables bumps the version in the same transaction, through triggers
(SQLite and PostgreSQL alike; created with the schema here and by migration 0015), so no code
path can forget it and every worker reads the same number. Stock and seats are columns of
`products`, `variants` and `showtimes`: a sale bumps it too.

The version is the sum of a few counter rows ("slots"). On PostgreSQL each writing transaction
bumps the slot of its transaction id modulo SLOTS, so concurrent sales do not queue on one
row (the bump is deferred to commit, so it is the last lock a transaction takes: no
deadlock); the sum still grows with every committed change. SQLite writes one at a time:
one slot.
A page reads the version first, then its rows: its rows are never older than its version.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, Integer, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import Table

from kernel.db import Base

SLOTS = 8
# The tables whose rows a public page (home, film, product) shows or the sellable rule reads.
VERSIONED_TABLES: tuple[str, ...] = (
    "films",
    "film_titles",
    "franchises",
    "showtimes",
    "cinemas",
    "screens",
    "products",
    "variants",
    "product_images",
    "images",
    "bundle_offers",
    "bundle_components",
    "merchants",
    "agreements",
    "agreement_territories",
    "agreement_channels",
    "agreement_categories",
    "agreement_films",
)
_FUNCTION = "tiein_bump_content_version"
_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION tiein_bump_content_version() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO content_versions (slot, version) VALUES ((txid_current() % 8)::integer, 1) "
    "ON CONFLICT (slot) DO UPDATE SET version = content_versions.version + 1; "
    "RETURN NULL; END; $$ LANGUAGE plpgsql"
)  # SLOTS = 8


class ContentVersion(Base):
    """One counter slot of the content version (see the module docstring)."""

    __tablename__ = "content_versions"

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


async def content_version(session: AsyncSession) -> int:
    """The current content version, in one statement."""
    return int(await session.scalar(select(func.coalesce(func.sum(ContentVersion.version), 0))))


def trigger_ddl(dialect: str, tables: Iterable[str] = VERSIONED_TABLES) -> list[str]:
    """The statements that create the bump triggers on `tables` (for the schema and the
    migration)."""
    if dialect == "sqlite":
        bump = (
            "INSERT INTO content_versions (slot, version) VALUES (0, 1) "
            "ON CONFLICT (slot) DO UPDATE SET version = version + 1;"
        )
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_content_{op.lower()} AFTER {op} ON {table} "
            f"BEGIN {bump} END"
            for table in tables
            for op in ("INSERT", "UPDATE", "DELETE")
        ]
    statements = [_PG_FUNCTION]
    for table in tables:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_content_version ON {table}")
        # Deferred to commit: the slot row is locked last, after every row the transaction
        # needs, so two writers never wait for each other's rows while holding a slot.
        statements.append(
            f"CREATE CONSTRAINT TRIGGER {table}_content_version AFTER INSERT OR UPDATE OR "
            f"DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION {_FUNCTION}()"
        )
    return statements


def drop_trigger_ddl(dialect: str, tables: Iterable[str] = VERSIONED_TABLES) -> list[str]:
    """The statements that drop what `trigger_ddl` creates."""
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_content_{op}"
            for table in tables
            for op in ("insert", "update", "delete")
        ]
    return [f"DROP TRIGGER IF EXISTS {t}_content_version ON {t}" for t in tables] + [
        f"DROP FUNCTION IF EXISTS {_FUNCTION}()"
    ]


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(target: object, connection: Connection, **kw: object) -> None:
    """`metadata.create_all` (tests, a fresh SQLite file) creates the triggers too, on the
    versioned tables it holds."""
    tables: dict[str, Table] = Base.metadata.tables  # type: ignore[assignment]
    present = [t for t in VERSIONED_TABLES if t in tables]
    for statement in trigger_ddl(connection.dialect.name, present):
        connection.exec_driver_sql(statement)
