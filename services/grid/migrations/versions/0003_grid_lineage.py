"""grid lineage (split and merge history)

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "grid_lineage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.Column("from_code", sa.String(24), sa.ForeignKey("grids.code"), nullable=False),
        sa.Column("to_code", sa.String(24), sa.ForeignKey("grids.code"), nullable=False),
        sa.Column("happened_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_grid_lineage_from_code", "grid_lineage", ["from_code"])
    op.create_index("ix_grid_lineage_to_code", "grid_lineage", ["to_code"])


def downgrade():
    op.drop_table("grid_lineage")
