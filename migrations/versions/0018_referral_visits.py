"""referral visits: per campaign and UTC day, counted by /r/<code> (SPEC §9's report)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.CheckConstraint("visits >= 0", name=op.f("ck_referral_visits_visits_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_referral_visits_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_visits")),
        sa.UniqueConstraint(
            "campaign_id", "day", name=op.f("uq_referral_visits_campaign_id_day")
        ),
    )
    with op.batch_alter_table("referral_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_visits_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_visits_campaign_id"))
    op.drop_table("referral_visits")
