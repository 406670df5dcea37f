"""films: titles per language (film_titles) and films.archived_at

A film's title and synopsis in `en`, `zh-Hans` and `ja` live in film_titles, one row per
language; every existing film gets its `en` row from its current title and synopsis. Staff
archive a film by setting films.archived_at. Downgrading drops both (the `en` title stays in
films.title).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('film_titles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('film_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('synopsis', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['film_id'], ['films.id'], name=op.f('fk_film_titles_film_id_films'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_film_titles')),
    sa.UniqueConstraint('film_id', 'language', name=op.f('uq_film_titles_film_id_language'))
    )
    with op.batch_alter_table('films', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', kernel.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "INSERT INTO film_titles (film_id, language, title, synopsis) "
        "SELECT id, 'en', title, synopsis FROM films"
    )


def downgrade() -> None:
    with op.batch_alter_table('films', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    op.drop_table('film_titles')
