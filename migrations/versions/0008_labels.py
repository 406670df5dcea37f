"""labels: authenticity label batches, their codes and verifications (SPEC §10)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 20:18:25.663011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('label_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('requested_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_label_batches_quantity_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_label_batches_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_label_batches_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_label_batches_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_batches'))
    )
    with op.batch_alter_table('label_batches', schema=None) as batch_op:
        batch_op.create_index('ix_label_batches_agreement_requested', ['agreement_id', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_batches_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_batches_product_id'), ['product_id'], unique=False)

    op.create_table('label_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['label_batches.id'], name=op.f('fk_label_codes_batch_id_label_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_label_codes_code'))
    )
    with op.batch_alter_table('label_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_codes_batch_id'), ['batch_id'], unique=False)

    op.create_table('label_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('verified_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['label_id'], ['label_codes.id'], name=op.f('fk_label_verifications_label_id_label_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_verifications'))
    )
    with op.batch_alter_table('label_verifications', schema=None) as batch_op:
        batch_op.create_index('ix_label_verifications_label_at', ['label_id', 'verified_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('label_verifications', schema=None) as batch_op:
        batch_op.drop_index('ix_label_verifications_label_at')

    op.drop_table('label_verifications')
    with op.batch_alter_table('label_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_codes_batch_id'))

    op.drop_table('label_codes')
    with op.batch_alter_table('label_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_batches_product_id'))
        batch_op.drop_index(batch_op.f('ix_label_batches_merchant_id'))
        batch_op.drop_index('ix_label_batches_agreement_requested')

    op.drop_table('label_batches')
