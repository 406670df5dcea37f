"""shipping addresses: a row of their own, in parts (orders/addresses.py)

The free-text address of each order placed before (and its name) moves into the new row's
`line1` (and `name`), with the order's country; its other parts stay empty, since a
free-text box cannot be split into parts reliably. Then the order's two columns go.
Downgrading joins the parts back into the free text, one per line.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 18:01:55.232696
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shipping_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('line1', sa.String(length=2000), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('area', sa.String(length=100), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipping_addresses_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_addresses')),
    sa.UniqueConstraint('order_id', name=op.f('uq_shipping_addresses_order_id'))
    )
    # The old box took up to 2000 characters, which line1 holds.
    op.execute(
        "INSERT INTO shipping_addresses"
        " (order_id, name, line1, line2, city, area, postcode, country, phone)"
        " SELECT id, shipping_name, shipping_address, '', '', '', '', country, ''"
        " FROM orders WHERE shipping_address <> '' OR shipping_name <> ''"
    )
    # ALTER TABLE … DROP COLUMN, also on SQLite (3.35+): a batch copy of `orders` would drop
    # the table, which its order lines, payments and this new table refer to.
    op.drop_column('orders', 'shipping_address')
    op.drop_column('orders', 'shipping_name')


def downgrade() -> None:
    op.add_column('orders', sa.Column('shipping_name', sa.String(length=200), nullable=False, server_default=''))
    op.add_column('orders', sa.Column('shipping_address', sa.Text(), nullable=False, server_default=''))
    orders = sa.table('orders', sa.column('id'), sa.column('shipping_name'), sa.column('shipping_address'))
    addresses = sa.table(
        'shipping_addresses', sa.column('order_id'), sa.column('name'), sa.column('line1'),
        sa.column('line2'), sa.column('city'), sa.column('area'), sa.column('postcode'),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(addresses)).mappings():
        last = " ".join(p for p in (row['city'], row['area'], row['postcode']) if p)
        text = "\n".join(p for p in (row['line1'], row['line2'], last) if p)
        connection.execute(
            orders.update().where(orders.c.id == row['order_id'])
            .values(shipping_name=row['name'], shipping_address=text)
        )
    if connection.dialect.name != 'sqlite':  # SQLite cannot alter a column in place
        op.alter_column('orders', 'shipping_name', server_default=None)
        op.alter_column('orders', 'shipping_address', server_default=None)
    op.drop_table('shipping_addresses')
