"""agreements.terminated_at (SPEC §10)

When staff terminated an agreement: sales reports are owed up to the period holding that
moment and none after; an agreement terminated before its start date owes no advance.
Agreements terminated before this column existed keep it empty (their date is unknown).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreements') as batch_op:
        batch_op.add_column(sa.Column('terminated_at', kernel.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agreements') as batch_op:
        batch_op.drop_column('terminated_at')
