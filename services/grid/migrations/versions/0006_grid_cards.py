"""grid cards: a grid's duty phone, hours and note for its public card (上岗公示, issue 19)

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0006"
down_revision = "0005"


def upgrade():
    op.create_table(
        "grid_cards",
        sa.Column("grid_code", sa.String(24), sa.ForeignKey("grids.code"), primary_key=True),
        sa.Column("duty_phone", sa.String(20), nullable=True),
        sa.Column("service_hours", sa.String(100), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("grid_cards")
