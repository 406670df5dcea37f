"""screens: cinemas get screens (auditoriums), every showtime is on one (issue 12)

Each existing cinema gets one screen, "Screen 1", whose capacity is the largest capacity of
that cinema's showtimes (100 when it has none), and every existing showtime is put on its
cinema's screen; then `showtimes.screen_id` becomes NOT NULL. Showtimes keep their own
`capacity` (the seat arithmetic reads it). Downgrading drops the column and the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CAPACITY = 100


def upgrade() -> None:
    op.create_table(
        'screens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cinema_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.CheckConstraint('capacity > 0', name=op.f('ck_screens_capacity_positive')),
        sa.ForeignKeyConstraint(
            ['cinema_id'], ['cinemas.id'], name=op.f('fk_screens_cinema_id_cinemas')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_screens')),
        sa.UniqueConstraint('cinema_id', 'name', name=op.f('uq_screens_cinema_id_name')),
    )
    with op.batch_alter_table('screens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screens_cinema_id'), ['cinema_id'], unique=False)
    with op.batch_alter_table('showtimes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screen_id', sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO screens (cinema_id, name, capacity) "
        "SELECT c.id, 'Screen 1', COALESCE("
        "(SELECT MAX(s.capacity) FROM showtimes s WHERE s.cinema_id = c.id), "
        f"{DEFAULT_CAPACITY}) FROM cinemas c"
    )
    op.execute(
        "UPDATE showtimes SET screen_id = "
        "(SELECT sc.id FROM screens sc WHERE sc.cinema_id = showtimes.cinema_id)"
    )
    with op.batch_alter_table('showtimes', schema=None) as batch_op:
        batch_op.alter_column('screen_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_showtimes_screen_id'), ['screen_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_showtimes_screen_id_screens'), 'screens', ['screen_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('showtimes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_showtimes_screen_id_screens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_showtimes_screen_id'))
        batch_op.drop_column('screen_id')
    with op.batch_alter_table('screens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screens_cinema_id'))
    op.drop_table('screens')
