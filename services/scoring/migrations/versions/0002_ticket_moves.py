"""ticket moves: where a re-homed ticket lives now

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table(
        "ticket_moves",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("moved_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("ticket_moves")
