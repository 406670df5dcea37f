"""variants: products.option_names, the variants table (own SKU, price, stock), variant_id on
order lines, reservations, bundle allocations, fulfilment lines and bundle components, and
bundle_components.choose_variant (SPEC §5, §7)

Every existing product has no variants and keeps its own stock, so nothing moves.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:17:32.344449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('options', sa.String(length=400), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=True),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_minor IS NULL OR price_minor > 0', name=op.f('ck_variants_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_variants_stock_not_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_variants_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_variants')),
    sa.UniqueConstraint('product_id', 'options', name=op.f('uq_variants_product_id_options')),
    sa.UniqueConstraint('sku', name=op.f('uq_variants_sku'))
    )
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_variants_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('bundle_allocations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bundle_allocations_variant_id_variants'), 'variants', ['variant_id'], ['id'])

    with op.batch_alter_table('bundle_components', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('choose_variant', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_bundle_components_variant_id_variants'), 'variants', ['variant_id'], ['id'])

    with op.batch_alter_table('fulfilment_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_fulfilment_lines_variant_id_variants'), 'variants', ['variant_id'], ['id'])

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_lines_variant_id'), ['variant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_lines_variant_id_variants'), 'variants', ['variant_id'], ['id'])

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('option_names', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reservations_variant_id_variants'), 'variants', ['variant_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reservations_variant_id_variants'), type_='foreignkey')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('option_names')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_lines_variant_id_variants'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_lines_variant_id'))
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('fulfilment_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fulfilment_lines_variant_id_variants'), type_='foreignkey')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('bundle_components', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bundle_components_variant_id_variants'), type_='foreignkey')
        batch_op.drop_column('choose_variant')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('bundle_allocations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bundle_allocations_variant_id_variants'), type_='foreignkey')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_variants_product_id'))

    op.drop_table('variants')
