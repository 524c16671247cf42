"""trail witnesses: the newest trail head each ticket's events carried

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "trail_witnesses",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("trail_seq", sa.Integer(), nullable=False),
        sa.Column("trail_head", sa.String(64), nullable=False),
        sa.Column("witnessed_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("trail_witnesses")
