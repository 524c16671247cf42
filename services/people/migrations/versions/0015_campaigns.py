"""campaign tasks (专项任务, issue 18): a task over every household of a scope, and the
households ticked off it

Revision ID: 0015
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0015"
down_revision = "0014"


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("scope", sa.String(24), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("launched_by", sa.String(64), nullable=False),
        sa.Column("launched_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "campaign_ticks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("ticked_by", sa.String(64), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("ticked_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "household_id", name="uq_campaign_household"),
    )


def downgrade():
    op.drop_table("campaign_ticks")
    op.drop_table("campaigns")
