"""images: uploaded images, product photos, approval artwork, films.poster_image_id

Images are validated and re-encoded by catalog.images; their files live in the media store
(TIEIN_MEDIA_DIR), content-addressed by the SHA-256 kept here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:18:33.421129
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('owner_key', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=True),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('thumbnails', sa.JSON(), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('bytes > 0', name=op.f('ck_images_bytes_positive')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_images_size_positive')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_images_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_images_staff_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    sa.UniqueConstraint('owner_key', 'sha256', name=op.f('uq_images_owner_key_sha256'))
    )
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 1', name=op.f('ck_product_images_position_positive')),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_product_images_image_id_images')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_images_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images')),
    sa.UniqueConstraint('product_id', 'image_id', name=op.f('uq_product_images_product_id_image_id'))
    )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_images_image_id'), ['image_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_images_product_id'), ['product_id'], unique=False)

    op.create_table('review_artwork',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_review_artwork_image_id_images')),
    sa.ForeignKeyConstraint(['review_id'], ['product_reviews.id'], name=op.f('fk_review_artwork_review_id_product_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_artwork')),
    sa.UniqueConstraint('review_id', 'position', name=op.f('uq_review_artwork_review_id_position'))
    )
    with op.batch_alter_table('review_artwork', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_artwork_image_id'), ['image_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_artwork_review_id'), ['review_id'], unique=False)

    with op.batch_alter_table('films', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poster_image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_films_poster_image_id_images'), 'images', ['poster_image_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('films', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_films_poster_image_id_images'), type_='foreignkey')
        batch_op.drop_column('poster_image_id')

    with op.batch_alter_table('review_artwork', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_artwork_review_id'))
        batch_op.drop_index(batch_op.f('ix_review_artwork_image_id'))

    op.drop_table('review_artwork')
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_images_product_id'))
        batch_op.drop_index(batch_op.f('ix_product_images_image_id'))

    op.drop_table('product_images')
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_merchant_id'))

    op.drop_table('images')
