"""grid geometry, bounding box, area, exclusive unit type and micro-grid zone type

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

COLUMNS = (
    ("unit_type", sa.String(30)), ("zone_type", sa.String(20)), ("geometry", sa.JSON),
    ("min_lon", sa.Float), ("min_lat", sa.Float), ("max_lon", sa.Float), ("max_lat", sa.Float),
    ("area_m2", sa.Float),
)


def upgrade():
    with op.batch_alter_table("grids") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_grids_bbox", "grids", ["min_lon", "max_lon", "min_lat", "max_lat"])
    op.create_index("ix_grids_status", "grids", ["status"])


def downgrade():
    op.drop_index("ix_grids_status", "grids")
    op.drop_index("ix_grids_bbox", "grids")
    with op.batch_alter_table("grids") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
