"""orders.language: the language an order was placed in, for its e-mails (issue 14)

Orders placed before are English, as their e-mails were.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite too): rebuilding `orders` would trip its foreign keys.
    op.add_column(
        'orders', sa.Column('language', sa.String(length=16), server_default='en', nullable=False)
    )


def downgrade() -> None:
    op.drop_column('orders', 'language')  # SQLite 3.35+ drops a column in place
