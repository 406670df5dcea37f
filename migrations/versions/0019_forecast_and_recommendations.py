"""forecast alerts and co-purchases: forecast_alerts (one stock.low per product and day from
the demand forecast, SPEC §9) and co_purchases (precomputed "also bought" counts)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('forecast_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_forecast_alerts_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_alerts')),
    sa.UniqueConstraint('product_id', 'day', name=op.f('uq_forecast_alerts_product_id_day'))
    )
    op.create_table('co_purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=8), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_co_purchases_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_co_purchases')),
    sa.UniqueConstraint('source_kind', 'source_id', 'product_id', name=op.f('uq_co_purchases_source_kind_source_id_product_id'))
    )
    with op.batch_alter_table('co_purchases', schema=None) as batch_op:
        batch_op.create_index('ix_co_purchases_source', ['source_kind', 'source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_co_purchases_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('co_purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_co_purchases_product_id'))
        batch_op.drop_index('ix_co_purchases_source')
    op.drop_table('co_purchases')
    op.drop_table('forecast_alerts')
