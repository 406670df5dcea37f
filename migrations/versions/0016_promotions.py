"""promotions: campaigns (with their films), promo codes and their uses; orders keep their
campaign, code and discount; order lines their share of it; bundle allocations the part's
net in the whole line (SPEC §5, §9)

Existing bundle parts get net_minor = amount_minor * the line's quantity (no discount then).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 21:13:54.398887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "referral",
                "email",
                "social",
                "cinema",
                "partner",
                name="campaign_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("referral_code", sa.String(length=40), nullable=True),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_campaigns_dates_in_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("referral_code", name=op.f("uq_campaigns_referral_code")),
    )
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "percent",
                "fixed",
                name="promo_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("percent_bps", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "scope",
            sa.Enum(
                "tickets",
                "merch",
                "bundles",
                "any",
                name="promo_scope",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("campaign_films_only", sa.Boolean(), nullable=False),
        sa.Column("valid_from", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_to", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("min_subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("use_limit", sa.Integer(), nullable=True),
        sa.Column("per_email_limit", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'percent' AND percent_bps BETWEEN 1 AND 10000 AND amount_minor IS NULL) OR (kind = 'fixed' AND amount_minor > 0 AND percent_bps IS NULL AND currency IS NOT NULL)",
            name=op.f("ck_promo_codes_kind_matches_value"),
        ),
        sa.CheckConstraint(
            "min_subtotal_minor >= 0", name=op.f("ck_promo_codes_minimum_not_negative")
        ),
        sa.CheckConstraint(
            "per_email_limit IS NULL OR per_email_limit >= 1",
            name=op.f("ck_promo_codes_email_limit_positive"),
        ),
        sa.CheckConstraint(
            "use_limit IS NULL OR use_limit >= 1", name=op.f("ck_promo_codes_limit_positive")
        ),
        sa.CheckConstraint(
            "uses >= 0 AND (use_limit IS NULL OR uses <= use_limit)",
            name=op.f("ck_promo_codes_uses_within_limit"),
        ),
        sa.CheckConstraint("valid_to > valid_from", name=op.f("ck_promo_codes_window_in_order")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_promo_codes_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promo_codes_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "campaign_films",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("film_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_films_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["film_id"], ["films.id"], name=op.f("fk_campaign_films_film_id_films")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_films")),
        sa.UniqueConstraint(
            "campaign_id", "film_id", name=op.f("uq_campaign_films_campaign_id_film_id")
        ),
    )
    with op.batch_alter_table("campaign_films", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_films_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_films_film_id"), ["film_id"], unique=False)

    op.create_table(
        "promo_code_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promo_code_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("taken_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_promo_code_uses_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promo_codes.id"],
            name=op.f("fk_promo_code_uses_promo_code_id_promo_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_code_uses")),
        sa.UniqueConstraint("order_id", name=op.f("uq_promo_code_uses_order_id")),
    )
    with op.batch_alter_table("promo_code_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_code_uses_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_promo_code_uses_promo_code_id"), ["promo_code_id"], unique=False
        )

    # Columns added in place: on SQLite a batch rebuild of these tables would drop tables
    # that other tables' foreign keys point at (with rows in them), so SQLite gets plain
    # ADD COLUMN statements with their constraints inline (named as the models name them).
    added = [
        ('bundle_allocations', 'net_minor', "INTEGER DEFAULT '0' NOT NULL"
         " CONSTRAINT ck_bundle_allocations_net_not_negative CHECK (net_minor >= 0)"),
        ('order_lines', 'discount_minor', "INTEGER DEFAULT '0' NOT NULL"
         " CONSTRAINT ck_order_lines_discount_within_total"
         " CHECK (discount_minor >= 0 AND discount_minor <= total_minor)"),
        ('orders', 'campaign_id', "INTEGER"),
        ('orders', 'promo_code_id', "INTEGER"),
        ('orders', 'discount_minor', "INTEGER DEFAULT '0' NOT NULL"
         " CONSTRAINT ck_orders_discount_not_negative CHECK (discount_minor >= 0)"),
    ]  # fmt: skip
    if op.get_bind().dialect.name == "sqlite":
        inspector = sa.inspect(op.get_bind())
        for table, column, spec in added:
            if column not in {c["name"] for c in inspector.get_columns(table)}:
                op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {spec}")
    else:
        op.add_column(
            "bundle_allocations",
            sa.Column("net_minor", sa.Integer(), server_default="0", nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_bundle_allocations_net_not_negative"), "bundle_allocations", "net_minor >= 0"
        )
        op.add_column(
            "order_lines",
            sa.Column("discount_minor", sa.Integer(), server_default="0", nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_order_lines_discount_within_total"),
            "order_lines",
            "discount_minor >= 0 AND discount_minor <= total_minor",
        )
        op.add_column("orders", sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.add_column("orders", sa.Column("promo_code_id", sa.Integer(), nullable=True))
        op.add_column(
            "orders", sa.Column("discount_minor", sa.Integer(), server_default="0", nullable=False)
        )
        op.create_check_constraint(
            op.f("ck_orders_discount_not_negative"), "orders", "discount_minor >= 0"
        )
    op.create_index(op.f("ix_orders_campaign_id"), "orders", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_orders_promo_code_id"), "orders", ["promo_code_id"], unique=False)
    op.execute(
        "UPDATE bundle_allocations SET net_minor = amount_minor * (SELECT quantity FROM"
        " order_lines WHERE order_lines.id = bundle_allocations.order_line_id)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_orders_promo_code_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_campaign_id"), table_name="orders")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite keeps the added columns (dropping them rebuilds tables that rows of other
        # tables point at); older code never reads them and upgrading again adds only what
        # is missing.
        op.execute("UPDATE orders SET campaign_id = NULL, promo_code_id = NULL")
    else:
        op.drop_column("orders", "discount_minor")
        op.drop_column("orders", "promo_code_id")
        op.drop_column("orders", "campaign_id")
        op.drop_column("order_lines", "discount_minor")
        op.drop_column("bundle_allocations", "net_minor")

    with op.batch_alter_table("promo_code_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_code_uses_promo_code_id"))
        batch_op.drop_index(batch_op.f("ix_promo_code_uses_email"))

    op.drop_table("promo_code_uses")
    with op.batch_alter_table("campaign_films", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_films_film_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_films_campaign_id"))

    op.drop_table("campaign_films")
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_codes_campaign_id"))

    op.drop_table("promo_codes")
    op.drop_table("campaigns")
