"""content_versions: the public content's version, bumped by triggers on the tables public
pages show (kernel.content_version; DESIGN §6: caches keyed by a version the database bumps)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.content_version import drop_trigger_ddl, trigger_ddl

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the tables as of this revision (a later revision adds its own).
TABLES = (
    "films", "film_titles", "franchises", "showtimes", "cinemas", "screens", "products",
    "variants", "product_images", "images", "bundle_offers", "bundle_components", "merchants",
    "agreements", "agreement_territories", "agreement_channels", "agreement_categories",
    "agreement_films",
)


def upgrade() -> None:
    op.create_table('content_versions',
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('slot', name=op.f('pk_content_versions'))
    )
    for statement in trigger_ddl(op.get_bind().dialect.name, TABLES):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_trigger_ddl(op.get_bind().dialect.name, TABLES):
        op.execute(statement)
    op.drop_table('content_versions')
