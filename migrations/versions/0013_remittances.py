"""remittances and sales report reminders (SPEC §10)

Receivables are derived from agreements, closed statements and remittances; nothing else is
stored for them. `sales_report_reminders` keeps one row per agreement and period reminded of
a missing sales report, so each is reminded once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('remittances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_remittances_amount_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_remittances_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittances'))
    )
    with op.batch_alter_table('remittances', schema=None) as batch_op:
        batch_op.create_index('ix_remittances_agreement_received', ['agreement_id', 'received_on'], unique=False)

    op.create_table('sales_report_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sent_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_sales_report_reminders_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_report_reminders')),
    sa.UniqueConstraint('agreement_id', 'period', name=op.f('uq_sales_report_reminders_agreement_id_period'))
    )


def downgrade() -> None:
    op.drop_table('sales_report_reminders')
    with op.batch_alter_table('remittances', schema=None) as batch_op:
        batch_op.drop_index('ix_remittances_agreement_received')
    op.drop_table('remittances')
