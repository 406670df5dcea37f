"""variant images: variants.image_id (the variant's photo, an upload of its merchant)

A plain column (no foreign key): on SQLite a foreign key would rebuild the table, which
drops the content-version triggers on it; catalog.variants.set_variant_image checks it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("variants", sa.Column("image_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.drop_column("image_id")
