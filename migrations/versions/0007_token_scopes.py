"""token scopes: api_tokens.scopes (SPEC §7)

Every token issued before scopes existed keeps what it could do: a merchant token becomes
`read,write`, a staff token holds every scope (`read,write,tokens`). Downgrading drops the
column (a token then does all that its owner may, as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('scopes', sa.String(length=60), server_default='read,write', nullable=False)
        )
    op.execute(
        "UPDATE api_tokens SET scopes = 'read,write,tokens' WHERE staff_user_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scopes')
