"""places and per-grid counters fed by other services' events

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_table(
        "places",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("grid_code", sa.String(24), sa.ForeignKey("grids.code"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_places_grid_code", "places", ["grid_code"])
    op.create_table(
        "grid_counters",
        sa.Column("grid_code", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("grid_counters")
    op.drop_table("places")
