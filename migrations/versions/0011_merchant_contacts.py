"""merchant contacts: merchant_contacts (name, e-mail, role per merchant)

Every merchant onboarded before contacts existed gets one `licensing` contact, named after
the merchant, at its `contact_email` (which stays: it is the merchant's main address).
Downgrading drops the table; `contact_email` keeps the main address.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('merchant_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_contacts_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_contacts'))
    )
    with op.batch_alter_table('merchant_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_contacts_merchant_id'), ['merchant_id'], unique=False)
    op.execute(
        "INSERT INTO merchant_contacts (merchant_id, position, name, email, role) "
        "SELECT id, 1, name, contact_email, 'licensing' FROM merchants"
    )


def downgrade() -> None:
    with op.batch_alter_table('merchant_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_contacts_merchant_id'))
    op.drop_table('merchant_contacts')
