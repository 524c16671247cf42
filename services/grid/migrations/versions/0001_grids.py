"""grids, outbox and processed events

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime
from common.tables import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade():
    create_plumbing_tables(op.get_bind())
    op.create_table(
        "grids",
        sa.Column("code", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(30), nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_code", sa.String(24), sa.ForeignKey("grids.code"), nullable=True),
        sa.Column("households", sa.Integer, nullable=True),
        sa.Column("population", sa.Integer, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("valid_from", UtcDateTime, nullable=False),
        sa.Column("valid_to", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_grids_parent_code", "grids", ["parent_code"])


def downgrade():
    op.drop_table("grids")
    drop_plumbing_tables(op.get_bind())
